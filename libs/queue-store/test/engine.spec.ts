import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineStore, LmdbStore, StoreErrorCode, type AppendRequest } from '../src';
import { MemoryJournal } from '../src/journal';
import { testMessage } from '../testing/conformance';

/** A memory journal whose writes stop reaching the disk. */
class FailingJournal extends MemoryJournal {
  broken = false;
  override durable(): Promise<void> {
    return this.broken ? Promise.reject(new Error('EIO')) : Promise.resolve();
  }
}

function batch(from: number, n: number, size = 100): AppendRequest[] {
  const out: AppendRequest[] = [];
  for (let i = from; i < from + n; i++) {
    out.push({
      message: testMessage(i, { frames: [Buffer.alloc(size, 0x61)] }),
      queues: ['q'],
      dedupId: `d${i}`,
    });
  }
  return out;
}

describe('EngineStore', () => {
  it('refuses everything after a failed write, until reopened', async () => {
    const journal = new FailingJournal();
    const store = new EngineStore(journal);
    await store.open();
    await store.declare({ name: 'q', prefixes: [''] });
    journal.broken = true;
    await expect(store.append(batch(0, 1))).rejects.toMatchObject({ code: StoreErrorCode.Failed });
    await expect(store.lease('q', 1, 1000)).rejects.toMatchObject({ code: StoreErrorCode.Failed });
    await store.close();
    journal.broken = false;
    await store.open();
    expect(await store.lease('q', 1, 1000)).toHaveLength(1);
    await store.close();
  });

  it('keeps its handle out of a serialized delivery', async () => {
    const store = new EngineStore(new MemoryJournal());
    await store.open();
    await store.declare({ name: 'q', prefixes: [''] });
    await store.append(batch(0, 1, 3));
    const [d] = await store.lease('q', 1, 1000);
    expect(Object.keys(JSON.parse(JSON.stringify(d)))).toEqual([
      'queue',
      'seq',
      'attempt',
      'message',
    ]);
    expect(d?.handle).toBeDefined();
    await store.close();
  });

  it('counts group commits: one durability wait per turn of appends', async () => {
    const store = new EngineStore(new MemoryJournal());
    await store.open();
    await store.declare({ name: 'q', prefixes: [''] });
    const before = store.engineStats().appendTurns;
    await Promise.all([
      store.append(batch(0, 10)),
      store.append(batch(10, 10)),
      store.append(batch(20, 10)),
    ]);
    const s = store.engineStats();
    expect(s.appendTurns - before).toBe(1);
    expect(s.dedupIds).toBe(30);
    await store.close();
  });
});

describe('LmdbStore disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmq-mq-disk-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('deletes acked messages: refilling reuses the freed pages', async () => {
    const store = new LmdbStore({ path: dir, dedupWindowMs: 1 });
    await store.open();
    await store.declare({ name: 'q', prefixes: [''] });
    const round = async (from: number): Promise<void> => {
      for (let i = from; i < from + 20_000; i += 1000) await store.append(batch(i, 1000, 200));
      const ds = await store.lease('q', 100_000, 60_000);
      expect(ds).toHaveLength(20_000);
      await store.ack(ds);
      await store.sync();
    };
    await round(0);
    const first = store.diskBytes();
    for (let r = 1; r <= 3; r++) await round(r * 20_000);
    expect(store.stats('q')).toMatchObject({ messages: 0, bytes: 0 });
    // Three more rounds of the same volume add at most a fifth to the file.
    expect(store.diskBytes()).toBeLessThanOrEqual(first * 1.2);
    await store.close();
  }, 60_000);

  it('refuses a bad path option', () => {
    expect(() => new LmdbStore({ path: '' })).toThrow(
      expect.objectContaining({ code: StoreErrorCode.InvalidOption }),
    );
  });
});
