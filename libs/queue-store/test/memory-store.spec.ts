import { MemoryStore } from '../src';
import { storeConformance } from '../src/testing';

storeConformance('MemoryStore', (opts) => new MemoryStore(opts), {
  // A MemoryStore closed and opened again keeps its contents, as a clean restart would.
  reopen: async (store) => {
    await store.close();
    await store.open();
    return store;
  },
});
