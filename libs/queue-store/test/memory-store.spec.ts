import { MemoryStore, type StoreOptions } from '../src';
import { storeConformance } from '../testing/conformance';

const variants: Array<[string, StoreOptions]> = [
  ['', {}],
  [' no cache, 100-byte chunks', { cacheBytes: 0, chunkBytes: 100 }],
];

for (const [label, extra] of variants) {
  storeConformance(`MemoryStore${label}`, (opts) => new MemoryStore({ ...opts, ...extra }), {
    // A MemoryStore closed and opened again keeps its contents, as a clean restart would.
    reopen: async (store) => {
      await store.close();
      await store.open();
      return store;
    },
  });
}
