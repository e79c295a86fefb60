import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore, type LmdbStoreOptions, type QueueStore } from '../src';
import { storeConformance } from '../testing/conformance';

const dirs: string[] = [];
const settings = new WeakMap<QueueStore, LmdbStoreOptions>();

function lmdb(options: LmdbStoreOptions): LmdbStore {
  const store = new LmdbStore(options);
  settings.set(store, options);
  return store;
}

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const variants: Array<[string, Partial<LmdbStoreOptions>]> = [
  ['overlappingSync', { overlappingSync: true }],
  ['without overlappingSync', { overlappingSync: false }],
  // Every lease reads back from disk; a turn's messages spread over many chunks.
  ['no cache, 100-byte chunks', { cacheBytes: 0, chunkBytes: 100 }],
];

for (const [label, extra] of variants) {
  storeConformance(
    `LmdbStore ${label}`,
    (opts) => {
      const path = mkdtempSync(join(tmpdir(), 'zmq-mq-store-'));
      dirs.push(path);
      return lmdb({ ...opts, ...extra, path });
    },
    {
      reopen: async (store) => {
        await store.close();
        const next = lmdb(settings.get(store) as LmdbStoreOptions);
        await next.open();
        return next;
      },
    },
  );
}

describe('LmdbStore paths', () => {
  it('takes a directory whose name has a dot as a directory (lmdb-js alone would not)', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'zmq-mq-store-'));
    dirs.push(parent);
    const path = join(parent, 'data.v1');
    const store = new LmdbStore({ path });
    await store.open();
    await store.declare({ name: 'q', prefixes: ['q.'] });
    await store.close();
    const again = new LmdbStore({ path });
    await again.open();
    expect(again.definitions().map((d) => d.name)).toEqual(['q']);
    await again.close();
    expect(again.diskBytes()).toBeGreaterThan(0); // data.mdb inside the directory
  });
});
