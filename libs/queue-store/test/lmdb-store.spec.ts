import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore, type QueueStore } from '../src';
import { storeConformance } from '../src/testing';

const dirs: string[] = [];
const paths = new WeakMap<QueueStore, string>();
const engine = new WeakMap<QueueStore, object>();

function lmdb(path: string, opts: object): LmdbStore {
  const store = new LmdbStore({ path, ...opts });
  paths.set(store, path);
  engine.set(store, opts);
  return store;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

for (const overlappingSync of [true, false]) {
  storeConformance(
    `LmdbStore overlappingSync=${overlappingSync}`,
    (opts) => {
      const dir = mkdtempSync(join(tmpdir(), 'zmq-mq-store-'));
      dirs.push(dir);
      return lmdb(dir, { ...opts, overlappingSync });
    },
    {
      reopen: async (store) => {
        await store.close();
        const next = lmdb(paths.get(store) as string, engine.get(store) as object);
        await next.open();
        return next;
      },
    },
  );
}
