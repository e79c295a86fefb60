/**
 * The conformance suite every QueueStore implementation runs (jest). Call it from a spec file:
 *
 *   storeConformance('MemoryStore', (opts) => new MemoryStore(opts));
 *
 * It opens a fresh store per test (the factory returns it unopened) and closes it after.
 * Restart tests run only when `reopen` is given: it closes the store and returns a store
 * opened over the same data. Nothing here assumes a particular engine.
 */
import { StoreErrorCode } from '../src/errors';
import type { QueueDefinitionInput } from '../src/definition';
import type { AppendResult, Delivery, QueueStats, QueueStore, StoredMessage } from '../src/types';

/** Options the suite asks a factory for; a store maps them to its own settings. */
export interface ConformanceStoreOptions {
  maxDeliveries?: number;
  dedupWindowMs?: number;
  /** How often to sweep messages past maxAgeMs (a hint; a store may sweep its own way). */
  maintenanceIntervalMs?: number;
}

export type StoreFactory = (options: ConformanceStoreOptions) => QueueStore | Promise<QueueStore>;

export interface ConformanceCapabilities {
  /** Closes `store` and returns a store opened over the same data (a restart). */
  reopen?: (store: QueueStore) => Promise<QueueStore>;
  /**
   * What the store counts towards a queue's `bytes` and `maxBytes` for a message (default:
   * the bytes of its frames, as the embedded stores count).
   */
  storedBytes?: (store: QueueStore, queue: string, message: StoredMessage) => number;
  /**
   * A nak's delay still runs after a restart (JetStream keeps it); by default the message
   * comes back at once (the embedded stores do not persist delays).
   */
  keepsDelaysAcrossRestart?: boolean;
}

function frameBytes(m: StoredMessage): number {
  return m.frames.reduce((n, f) => n + f.length, 0);
}

const WAIT_MS = 5_000;

/** A message with one frame `topic SP payload`, its id and publishedAt. */
export function testMessage(n: number, opts: Partial<StoredMessage> = {}): StoredMessage {
  const topic = opts.topic ?? `orders.${n % 3}`;
  return {
    frames: opts.frames ?? [Buffer.from(`${topic} payload-${n}`)],
    topic,
    id: opts.id ?? `m-${n}`,
    publishedAt: opts.publishedAt ?? Date.now(),
  };
}

/** The value, or a thrown error when it is missing. */
function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}

/**
 * The queue's stats, read from the engine first when the store's figures live there
 * (`refresh`): what a caller sees once every operation it awaited has taken effect.
 */
async function statsOf(store: QueueStore, queue: string): Promise<QueueStats> {
  await store.refresh?.();
  return store.stats(queue);
}

function payloadOf(d: Delivery): string {
  return (d.message.frames[0] as Buffer).toString();
}

function stored(r: AppendResult | undefined): number[] {
  if (r?.status !== 'stored') throw new Error(`expected stored, got ${JSON.stringify(r)}`);
  return r.seqs;
}

/** Resolves when `cond()` holds, checking every 5 ms; rejects after `WAIT_MS`. */
async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function storeConformance(
  name: string,
  makeStore: StoreFactory,
  caps: ConformanceCapabilities = {},
): void {
  describe(`${name} (QueueStore conformance)`, () => {
    const bytesOf = (store: QueueStore, queue: string, m: StoredMessage): number =>
      caps.storedBytes?.(store, queue, m) ?? frameBytes(m);
    let live: QueueStore[] = [];
    const waiters = new Map<QueueStore, Array<{ queue: string; resolve: () => void }>>();

    async function start(options: ConformanceStoreOptions = {}): Promise<QueueStore> {
      const store = await makeStore(options);
      await store.open();
      track(store);
      return store;
    }

    function track(store: QueueStore): void {
      live.push(store);
      const list: Array<{ queue: string; resolve: () => void }> = [];
      waiters.set(store, list);
      store.onReady((queue) => {
        for (const w of list.filter((x) => x.queue === queue)) {
          list.splice(list.indexOf(w), 1);
          w.resolve();
        }
      });
    }

    /** The next onReady for `queue`. */
    function nextReady(store: QueueStore, queue: string): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no onReady(${queue}) within ${WAIT_MS} ms`)),
          WAIT_MS,
        );
        waiters.get(store)?.push({
          queue,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }

    /**
     * The first non-empty lease after the next onReady: a store whose engine is remote may
     * tell onReady a little before the engine hands the message out (JetStream's timer for a
     * delay fires a few ms after the store's), and tells it again while its consumer finds
     * nothing. Bounded: at most 100 rounds of onReady.
     */
    async function leaseOnReady(store: QueueStore, ready: Promise<void>): Promise<Delivery[]> {
      await ready;
      for (let i = 0; i < 100; i++) {
        const ds = await store.lease('q', 1, 30_000);
        if (ds.length > 0) return ds;
        await nextReady(store, 'q');
      }
      return [];
    }

    async function restart(store: QueueStore): Promise<QueueStore> {
      const reopen = caps.reopen as (s: QueueStore) => Promise<QueueStore>;
      live = live.filter((s) => s !== store);
      const next = await reopen(store);
      track(next);
      return next;
    }

    afterEach(async () => {
      const stores = live;
      live = [];
      for (const s of stores) await s.close();
    });

    async function withQueue(
      options: ConformanceStoreOptions = {},
      def: Partial<QueueDefinitionInput> = {},
    ): Promise<QueueStore> {
      const store = await start(options);
      await store.declare({ name: 'q', prefixes: ['orders.'], ...def });
      return store;
    }

    async function put(
      store: QueueStore,
      from: number,
      to: number,
      queue = 'q',
    ): Promise<number[]> {
      const batch = [];
      for (let n = from; n <= to; n++) batch.push({ message: testMessage(n), queues: [queue] });
      const results = await store.append(batch);
      return results.flatMap((r) => stored(r));
    }

    describe('definitions', () => {
      it('fills defaults, lists and keeps a declared queue', async () => {
        const store = await start();
        const def = await store.declare({ name: 'orders-1', prefixes: ['orders.', 'orders.'] });
        expect(def).toEqual({
          name: 'orders-1',
          prefixes: ['orders.'],
          maxMessages: 1_000_000,
          maxBytes: 1024 * 1024 * 1024,
          maxAgeMs: 0,
          overflow: 'reject',
          maxDeadMessages: 10_000,
        });
        expect(store.definitions()).toEqual([def]);
        expect(await store.declare({ name: 'orders-1', prefixes: ['orders.'] })).toEqual(def);
        expect(store.definitions()).toHaveLength(1);
      });

      it('updates the limits of a queue declared again with others', async () => {
        const store = await start();
        await store.declare({ name: 'q', prefixes: ['a'] });
        const def = await store.declare({ name: 'q', prefixes: ['a', 'b'], maxMessages: 7 });
        expect(def.maxMessages).toBe(7);
        expect(store.definitions()).toEqual([def]);
      });

      it.each([
        [{ name: '', prefixes: ['a'] }, 'name'],
        [{ name: 'a b', prefixes: ['a'] }, 'name'],
        [{ name: 'x'.repeat(65), prefixes: ['a'] }, 'name'],
        [{ name: 'q', prefixes: [] }, 'prefixes'],
        [{ name: 'q', prefixes: ['a b'] }, 'prefixes'],
        [{ name: 'q', prefixes: ['a'], maxMessages: 0 }, 'maxMessages'],
        [{ name: 'q', prefixes: ['a'], maxBytes: 1.5 }, 'maxBytes'],
        [{ name: 'q', prefixes: ['a'], maxAgeMs: -1 }, 'maxAgeMs'],
        [{ name: 'q', prefixes: ['a'], overflow: 'drop' }, 'overflow'],
        [{ name: 'q', prefixes: ['a'], maxDeadMessages: -1 }, 'maxDeadMessages'],
        [{ name: 'q', prefixes: ['a'], maxMessage: 5 }, 'maxMessage'],
      ])('refuses %j naming %s', async (def, field) => {
        const store = await start();
        const err = await store.declare(def as QueueDefinitionInput).catch((e: unknown) => e);
        expect(err).toMatchObject({ code: StoreErrorCode.InvalidDefinition, field });
        expect(store.definitions()).toEqual([]);
      });
    });

    describe('append and lease', () => {
      it('leases in seq order with attempt 1 and the message as appended', async () => {
        const store = await withQueue();
        const m = testMessage(1, { frames: [Buffer.from('orders.1 hi'), Buffer.from([0, 1, 2])] });
        const [r] = await store.append([{ message: m, queues: ['q'] }]);
        const [seq] = stored(r);
        await put(store, 2, 4);
        const ds = await store.lease('q', 10, 30_000);
        expect(ds.map((d) => d.seq)).toEqual([seq, must(seq) + 1, must(seq) + 2, must(seq) + 3]);
        expect(ds.every((d) => d.attempt === 1 && d.queue === 'q')).toBe(true);
        expect(must(ds[0]).message).toEqual(m);
        expect(ds.map(payloadOf).slice(1)).toEqual([
          'orders.2 payload-2',
          'orders.0 payload-3',
          'orders.1 payload-4',
        ]);
        expect(await store.lease('q', 10, 30_000)).toEqual([]);
      });

      it('leases at most max and the rest later', async () => {
        const store = await withQueue();
        await put(store, 1, 5);
        expect((await store.lease('q', 2, 30_000)).map(payloadOf)).toEqual([
          'orders.1 payload-1',
          'orders.2 payload-2',
        ]);
        expect(await store.lease('q', 0, 30_000)).toEqual([]);
        expect(await store.lease('q', 10, 30_000)).toHaveLength(3);
      });

      it('keeps 200 appends of one turn in call order with increasing seqs', async () => {
        const store = await withQueue();
        const calls = [];
        for (let n = 0; n < 200; n++) {
          calls.push(store.append([{ message: testMessage(n), queues: ['q'] }]));
        }
        const seqs = (await Promise.all(calls)).map((rs) => must(stored(rs[0])[0]));
        for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(must(seqs[i - 1]));
        const ds = await store.lease('q', 500, 30_000);
        expect(ds.map((d) => d.seq)).toEqual(seqs);
        expect(ds.map((d) => d.message.id)).toEqual(seqs.map((_, n) => `m-${n}`));
      });

      it('stores a message once per named queue, each leased and acked on its own', async () => {
        const store = await withQueue();
        await store.declare({ name: 'audit', prefixes: [''] });
        const [r] = await store.append([{ message: testMessage(1), queues: ['q', 'audit', 'q'] }]);
        expect(stored(r)).toHaveLength(2);
        const [a] = await store.lease('q', 1, 30_000);
        const [b] = await store.lease('audit', 1, 30_000);
        expect(must(a).message).toEqual(must(b).message);
        await store.ack([must(a)]);
        expect((await statsOf(store, 'q')).messages).toBe(0);
        expect((await statsOf(store, 'audit')).messages).toBe(1);
      });

      it('rejects a request naming an unknown queue and stores it nowhere', async () => {
        const store = await withQueue();
        const [r] = await store.append([{ message: testMessage(1), queues: ['q', 'nope'] }]);
        expect(r).toMatchObject({ status: 'rejected', reason: 'unknown-queue', queue: 'nope' });
        expect((await statsOf(store, 'q')).messages).toBe(0);
      });

      it('tells onReady when appended messages can be leased', async () => {
        const store = await withQueue();
        const ready = nextReady(store, 'q');
        await put(store, 1, 1);
        await ready;
        expect(await store.lease('q', 1, 30_000)).toHaveLength(1);
      });

      it('refuses malformed requests with coded errors', async () => {
        const store = await withQueue();
        const bad: unknown[] = [
          [{ message: testMessage(1), queues: [] }],
          [{ message: { ...testMessage(1), frames: [] }, queues: ['q'] }],
          [{ message: { ...testMessage(1), frames: ['x'] }, queues: ['q'] }],
          [{ message: { ...testMessage(1), publishedAt: 'now' }, queues: ['q'] }],
          [{ message: testMessage(1), queues: ['q'], dedupId: 5 }],
          'not a batch',
        ];
        for (const b of bad) {
          await expect(store.append(b as never)).rejects.toMatchObject({
            code: StoreErrorCode.InvalidRequest,
          });
        }
        expect((await statsOf(store, 'q')).messages).toBe(0);
        await expect(store.lease('nope', 1, 1000)).rejects.toMatchObject({
          code: StoreErrorCode.UnknownQueue,
        });
        await expect(store.lease('q', 1, 0)).rejects.toMatchObject({
          code: StoreErrorCode.InvalidRequest,
        });
        await expect(store.lease('q', 1.5, 1000)).rejects.toMatchObject({
          code: StoreErrorCode.InvalidRequest,
        });
        expect(() => store.stats('nope')).toThrow(
          expect.objectContaining({ code: StoreErrorCode.UnknownQueue }),
        );
      });

      it('refuses every operation once closed', async () => {
        const store = await withQueue();
        await Promise.all([store.close(), store.close()]);
        await store.close();
        await expect(
          store.append([{ message: testMessage(1), queues: ['q'] }]),
        ).rejects.toMatchObject({
          code: StoreErrorCode.Closed,
        });
        await expect(store.lease('q', 1, 1000)).rejects.toMatchObject({
          code: StoreErrorCode.Closed,
        });
      });
    });

    describe('ack, nak, term, progress', () => {
      it('removes acked messages and counts them', async () => {
        const store = await withQueue();
        await put(store, 1, 3);
        const ds = await store.lease('q', 3, 30_000);
        await store.ack(ds.slice(0, 2));
        const s = await statsOf(store, 'q');
        expect(s).toMatchObject({ ready: 0, unacked: 1, messages: 1, delayed: 0 });
        expect(s.counters).toMatchObject({ appended: 3, delivered: 3, acked: 2 });
        await store.ack(ds.slice(0, 2));
        expect((await statsOf(store, 'q')).counters.acked).toBe(2);
      });

      it('redelivers nak-ed messages first, in seq order, with attempt 2', async () => {
        const store = await withQueue();
        const seqs = await put(store, 1, 6);
        const ds = await store.lease('q', 4, 30_000);
        const ready = nextReady(store, 'q');
        expect(await store.nak(must(ds[2]), 0)).toBe('requeued');
        expect(await store.nak(must(ds[0]), 0)).toBe('requeued');
        await ready;
        const again = await store.lease('q', 3, 30_000);
        expect(again.map((d) => [d.seq, d.attempt])).toEqual([
          [seqs[0], 2],
          [seqs[2], 2],
          [seqs[4], 1],
        ]);
        expect((await statsOf(store, 'q')).counters).toMatchObject({
          nacked: 2,
          redelivered: 2,
          delivered: 7,
        });
      });

      it('holds a message nak-ed with a delay until the delay is over', async () => {
        const store = await withQueue();
        await put(store, 1, 1);
        const [d] = await store.lease('q', 1, 30_000);
        const ready = nextReady(store, 'q');
        // Longer than a remote store's lease may wait for messages (JetStream: 100 ms).
        await store.nak(must(d), 300);
        expect(await statsOf(store, 'q')).toMatchObject({ delayed: 1, ready: 0, unacked: 0 });
        expect(await store.lease('q', 1, 30_000)).toEqual([]);
        const [again] = await leaseOnReady(store, ready);
        expect(again).toMatchObject({ seq: must(d).seq, attempt: 2 });
      });

      it('returns a lease whose ack wait ran out, counted as expired and redelivered', async () => {
        const store = await withQueue();
        await put(store, 1, 1);
        const [d] = await store.lease('q', 1, 30);
        const ready = nextReady(store, 'q');
        await ready;
        expect((await statsOf(store, 'q')).counters.expired).toBe(1);
        const [again] = await store.lease('q', 1, 30_000);
        expect(again).toMatchObject({ seq: must(d).seq, attempt: 2 });
        expect((await statsOf(store, 'q')).counters.redelivered).toBe(1);
        // The old delivery no longer holds the lease: its nak changes nothing.
        await store.nak(must(d), 0);
        expect(await statsOf(store, 'q')).toMatchObject({ unacked: 1, ready: 0 });
      });

      it('extends a lease on progress', async () => {
        const store = await withQueue();
        await put(store, 1, 2);
        const [a, b] = await store.lease('q', 2, 50);
        await store.progress(must(a), 60_000);
        await nextReady(store, 'q');
        const again = await store.lease('q', 5, 60_000);
        expect(again.map((d) => [d.seq, d.attempt])).toEqual([[must(b).seq, 2]]);
        expect((await statsOf(store, 'q')).unacked).toBe(2);
      });

      it('dead-letters at maxDeliveries on nak', async () => {
        const store = await withQueue({ maxDeliveries: 2 });
        await put(store, 1, 1);
        const [d1] = await store.lease('q', 1, 30_000);
        expect(await store.nak(must(d1), 0)).toBe('requeued');
        const [d2] = await store.lease('q', 1, 30_000);
        expect(await store.nak(must(d2), 0)).toBe('dead');
        const [dead] = await store.deadLetters('q', { limit: 10 });
        expect(dead).toMatchObject({ seq: must(d1).seq, reason: 'max-deliveries', attempts: 2 });
        expect(must(dead).message).toEqual(must(d1).message);
        expect(await statsOf(store, 'q')).toMatchObject({ messages: 0, dead: 1 });
        expect((await statsOf(store, 'q')).counters.deadLettered).toBe(1);
      });

      it('dead-letters at maxDeliveries when the ack wait runs out', async () => {
        const store = await withQueue({ maxDeliveries: 1 });
        await put(store, 1, 1);
        await store.lease('q', 1, 20);
        await until(async () => (await statsOf(store, 'q')).dead === 1, 'the dead letter');
        const [dead] = await store.deadLetters('q', { limit: 10 });
        expect(dead).toMatchObject({ reason: 'max-deliveries', attempts: 1 });
        expect(await statsOf(store, 'q')).toMatchObject({ messages: 0, unacked: 0 });
      });

      it('dead-letters on term with the reason', async () => {
        const store = await withQueue();
        await put(store, 1, 2);
        const [a, b] = await store.lease('q', 2, 30_000);
        await store.term(must(a), 'bad payload');
        await store.term(must(b), '');
        const dead = await store.deadLetters('q', { limit: 10 });
        expect(dead.map((d) => d.reason)).toEqual(['term: bad payload', 'term']);
        expect(await statsOf(store, 'q')).toMatchObject({ messages: 0, dead: 2 });
      });

      it('ignores settles of deliveries it does not hold', async () => {
        const store = await withQueue();
        await put(store, 1, 1);
        const [d] = await store.lease('q', 1, 30_000);
        const fake = { ...must(d), attempt: 7, handle: undefined };
        await store.term(fake, 'x');
        await store.progress(fake, 1000);
        expect(await store.nak(fake, 0)).toBe('requeued');
        expect(await statsOf(store, 'q')).toMatchObject({ unacked: 1, dead: 0 });
        await store.ack([{ ...must(d), queue: 'nope' }]);
        expect((await statsOf(store, 'q')).messages).toBe(1);
      });
    });

    describe('limits', () => {
      it('rejects past maxMessages naming the queue and the limit', async () => {
        const store = await withQueue({}, { maxMessages: 3 });
        await put(store, 1, 3);
        const [r] = await store.append([{ message: testMessage(4), queues: ['q'] }]);
        expect(r).toMatchObject({
          status: 'rejected',
          reason: 'queue-full',
          queue: 'q',
          limit: 'maxMessages',
        });
        expect((r as { text: string }).text).toMatch(/"q".*maxMessages 3/);
        expect(await statsOf(store, 'q')).toMatchObject({ messages: 3 });
        expect((await statsOf(store, 'q')).counters.rejected).toBe(1);
      });

      it('rejects past maxBytes', async () => {
        const store = await withQueue();
        const big = testMessage(1, { frames: [Buffer.alloc(40, 0x61)] });
        const size = bytesOf(store, 'q', big);
        await store.declare({ name: 'q', prefixes: ['orders.'], maxBytes: Math.floor(size * 1.5) });
        const results = await store.append([
          { message: big, queues: ['q'] },
          { message: big, queues: ['q'] },
        ]);
        expect(must(results[0]).status).toBe('stored');
        expect(results[1]).toMatchObject({ status: 'rejected', limit: 'maxBytes', queue: 'q' });
        expect((await statsOf(store, 'q')).bytes).toBe(size);
      });

      it('stores a request in all its queues or in none', async () => {
        const store = await withQueue({}, { maxMessages: 1 });
        await store.declare({ name: 'other', prefixes: ['orders.'] });
        await put(store, 1, 1);
        const [r] = await store.append([{ message: testMessage(2), queues: ['other', 'q'] }]);
        expect(r).toMatchObject({ status: 'rejected', queue: 'q' });
        expect((await statsOf(store, 'other')).messages).toBe(0);
      });

      it('drops the oldest ready messages with overflow drop-oldest, counted', async () => {
        const store = await withQueue({}, { maxMessages: 3, overflow: 'drop-oldest' });
        const seqs = await put(store, 1, 5);
        expect(seqs).toHaveLength(5);
        const s = await statsOf(store, 'q');
        expect(s.messages).toBe(3);
        expect(s.counters.droppedOldest).toBe(2);
        const ds = await store.lease('q', 10, 30_000);
        expect(ds.map((d) => d.seq)).toEqual(seqs.slice(2));
      });

      it('never drops a leased message: full of leases it rejects', async () => {
        const store = await withQueue({}, { maxMessages: 2, overflow: 'drop-oldest' });
        await put(store, 1, 2);
        await store.lease('q', 2, 30_000);
        const [r] = await store.append([{ message: testMessage(3), queues: ['q'] }]);
        expect(r).toMatchObject({ status: 'rejected', limit: 'maxMessages' });
        expect(await statsOf(store, 'q')).toMatchObject({ unacked: 2, messages: 2 });
      });

      it('refuses with drop-oldest a message bigger than maxBytes', async () => {
        const store = await withQueue({}, { maxBytes: 10, overflow: 'drop-oldest' });
        const [r] = await store.append([
          { message: testMessage(1, { frames: [Buffer.alloc(11)] }), queues: ['q'] },
        ]);
        expect(r).toMatchObject({ status: 'rejected', limit: 'maxBytes' });
      });

      it('dead-letters messages past maxAgeMs instead of leasing them', async () => {
        const store = await withQueue({}, { maxAgeMs: 60_000 });
        await store.append([
          { message: testMessage(1, { publishedAt: Date.now() - 120_000 }), queues: ['q'] },
          { message: testMessage(2), queues: ['q'] },
        ]);
        const ds = await store.lease('q', 10, 30_000);
        expect(ds.map((d) => d.message.id)).toEqual(['m-2']);
        const [dead] = await store.deadLetters('q', { limit: 10 });
        expect(dead).toMatchObject({ reason: 'expired', attempts: 0 });
      });

      it('sweeps messages past maxAgeMs that nobody leases', async () => {
        const store = await withQueue({ maintenanceIntervalMs: 20 }, { maxAgeMs: 60_000 });
        await store.append([
          { message: testMessage(1, { publishedAt: Date.now() - 120_000 }), queues: ['q'] },
        ]);
        await until(async () => (await statsOf(store, 'q')).dead === 1, 'the expired message');
        expect((await statsOf(store, 'q')).messages).toBe(0);
      });

      it('reports depth, bytes and the age of the oldest message', async () => {
        const store = await withQueue();
        const older = testMessage(1, {
          publishedAt: Date.now() - 5_000,
          frames: [Buffer.alloc(10)],
        });
        const newer = testMessage(2, { frames: [Buffer.alloc(20)] });
        await store.append([
          { message: older, queues: ['q'] },
          { message: newer, queues: ['q'] },
        ]);
        const s = await statsOf(store, 'q');
        expect(s).toMatchObject({
          queue: 'q',
          ready: 2,
          unacked: 0,
          delayed: 0,
          messages: 2,
          bytes: bytesOf(store, 'q', older) + bytesOf(store, 'q', newer),
          dead: 0,
        });
        expect(s.oldestAgeMs).toBeGreaterThanOrEqual(5_000);
      });
    });

    describe('dedup', () => {
      it('stores an id once within the window, in one batch or across calls', async () => {
        const store = await withQueue();
        const results = await store.append([
          { message: testMessage(1), queues: ['q'], dedupId: 'a' },
          { message: testMessage(1), queues: ['q'], dedupId: 'a' },
        ]);
        expect(results.map((r) => r.status)).toEqual(['stored', 'duplicate']);
        const again = await store.append([
          { message: testMessage(1), queues: ['q'], dedupId: 'a' },
        ]);
        expect(must(again[0]).status).toBe('duplicate');
        expect((await statsOf(store, 'q')).messages).toBe(1);
        expect((await statsOf(store, 'q')).counters.duplicates).toBe(2);
      });

      it('treats two concurrent appends of one id as one message', async () => {
        const store = await withQueue();
        const [a, b] = await Promise.all([
          store.append([{ message: testMessage(1), queues: ['q'], dedupId: 'x' }]),
          store.append([{ message: testMessage(1), queues: ['q'], dedupId: 'x' }]),
        ]);
        expect([must(a[0]).status, must(b[0]).status]).toEqual(['stored', 'duplicate']);
      });

      it('stores an id again after the window', async () => {
        // 100 ms: JetStream's shortest duplicate window.
        const store = await withQueue({ dedupWindowMs: 100 });
        await store.append([{ message: testMessage(1), queues: ['q'], dedupId: 'a' }]);
        // The window is the feature under test: wait it out (JetStream forgets ids on a timer
        // that may fire up to 50 ms late).
        await new Promise((r) => setTimeout(r, 250));
        const [r] = await store.append([{ message: testMessage(1), queues: ['q'], dedupId: 'a' }]);
        expect(must(r).status).toBe('stored');
      });
    });

    describe('dead letters', () => {
      async function killAll(store: QueueStore, n: number): Promise<number[]> {
        const seqs = await put(store, 1, n);
        for (const d of await store.lease('q', n, 30_000)) await store.term(d, `r${d.message.id}`);
        return seqs;
      }

      it('pages through dead letters in seq order', async () => {
        const store = await withQueue();
        const seqs = await killAll(store, 5);
        const first = await store.deadLetters('q', { limit: 2 });
        expect(first.map((d) => d.seq)).toEqual(seqs.slice(0, 2));
        const next = await store.deadLetters('q', { after: must(first[1]).seq, limit: 10 });
        expect(next.map((d) => d.seq)).toEqual(seqs.slice(2));
        expect(next[0]).toMatchObject({ queue: 'q', reason: 'term: rm-3', attempts: 1 });
        expect(must(next[0]).deadAt).toBeGreaterThan(0);
        await expect(store.deadLetters('q', { limit: 0 })).rejects.toMatchObject({
          code: StoreErrorCode.InvalidRequest,
        });
      });

      it('keeps maxDeadMessages, dropping the oldest, counted', async () => {
        const store = await withQueue({}, { maxDeadMessages: 2 });
        const seqs = await killAll(store, 3);
        const dead = await store.deadLetters('q', { limit: 10 });
        expect(dead.map((d) => d.seq)).toEqual(seqs.slice(1));
        expect((await statsOf(store, 'q')).counters.deadDropped).toBe(1);
      });

      it('replays chosen dead letters to the tail with the attempt reset', async () => {
        const store = await withQueue();
        const seqs = await killAll(store, 3);
        await put(store, 10, 10);
        const ready = nextReady(store, 'q');
        expect(await store.replay('q', [must(seqs[1]), 999])).toBe(1);
        await ready;
        const ds = await store.lease('q', 10, 30_000);
        expect(ds.map((d) => [d.message.id, d.attempt])).toEqual([
          ['m-10', 1],
          ['m-2', 1],
        ]);
        expect(must(ds[1]).seq).toBeGreaterThan(must(seqs[2]));
        expect(await statsOf(store, 'q')).toMatchObject({ dead: 2 });
        expect((await statsOf(store, 'q')).counters.replayed).toBe(1);
        expect(await store.replay('q')).toBe(2);
        expect(await statsOf(store, 'q')).toMatchObject({ dead: 0, ready: 2 });
      });

      it('stops a replay when the queue is full', async () => {
        const store = await withQueue({}, { maxMessages: 2 });
        await killAll(store, 2);
        await put(store, 5, 5);
        expect(await store.replay('q')).toBe(1);
        expect(await statsOf(store, 'q')).toMatchObject({ messages: 2, dead: 1 });
      });

      it('purges dead letters', async () => {
        const store = await withQueue();
        await killAll(store, 3);
        expect(await store.purge('q')).toBe(3);
        expect(await store.deadLetters('q', { limit: 10 })).toEqual([]);
        expect(await statsOf(store, 'q')).toMatchObject({ dead: 0 });
        expect((await statsOf(store, 'q')).counters.purged).toBe(3);
        expect(await store.purge('q')).toBe(0);
      });
    });

    if (caps.reopen !== undefined) {
      describe('restart', () => {
        it('keeps definitions, unacked messages and dead letters; acked ones are gone', async () => {
          let store = await withQueue({}, { maxMessages: 50 });
          const seqs = await put(store, 1, 6);
          const ds = await store.lease('q', 3, 30_000);
          await store.ack([must(ds[0])]);
          await store.term(must(ds[1]), 'no');
          store = await restart(store);
          expect(store.definitions()).toEqual([
            expect.objectContaining({ name: 'q', maxMessages: 50 }),
          ]);
          expect(await statsOf(store, 'q')).toMatchObject({ messages: 4, dead: 1, unacked: 0 });
          const again = await store.lease('q', 10, 30_000);
          expect(again.map((d) => [d.seq, d.attempt])).toEqual([
            [seqs[2], 2],
            [seqs[3], 1],
            [seqs[4], 1],
            [seqs[5], 1],
          ]);
          expect(must(again[1]).message).toEqual(
            testMessage(4, { publishedAt: must(again[1]).message.publishedAt }),
          );
          expect((await statsOf(store, 'q')).counters.redelivered).toBe(1);
          const [dead] = await store.deadLetters('q', { limit: 1 });
          expect(dead).toMatchObject({ seq: seqs[1], reason: 'term: no' });
          const [more] = await put(store, 7, 7);
          expect(more).toBeGreaterThan(must(seqs[5]));
        });

        it('finishes appends still in flight when closed', async () => {
          let store = await withQueue();
          const pending = store.append([{ message: testMessage(1), queues: ['q'] }]);
          store = await restart(store);
          expect((await pending)[0]?.status).toBe('stored');
          expect((await statsOf(store, 'q')).messages).toBe(1);
        });

        if (caps.keepsDelaysAcrossRestart === true) {
          it('keeps a delayed nak delayed across a restart, attempt counted on', async () => {
            let store = await withQueue();
            await put(store, 1, 1);
            const [d] = await store.lease('q', 1, 30_000);
            const delayMs = 1000;
            const until = Date.now() + delayMs;
            await store.nak(must(d), delayMs);
            store = await restart(store);
            const [again] = await leaseOnReady(store, Promise.resolve());
            expect(Date.now()).toBeGreaterThanOrEqual(until);
            expect(again).toMatchObject({ seq: must(d).seq, attempt: 2 });
          });
        } else {
          it('redelivers a delayed nak at once after a restart, attempt counted on', async () => {
            let store = await withQueue();
            await put(store, 1, 1);
            const [d] = await store.lease('q', 1, 30_000);
            await store.nak(must(d), 60_000);
            store = await restart(store);
            const [again] = await store.lease('q', 1, 30_000);
            expect(again).toMatchObject({ seq: must(d).seq, attempt: 2 });
          });
        }

        it('dead-letters after a restart what had its last delivery in flight', async () => {
          let store = await withQueue({ maxDeliveries: 1 });
          await put(store, 1, 1);
          await store.lease('q', 1, 30_000);
          store = await restart(store);
          expect(await statsOf(store, 'q')).toMatchObject({ messages: 0, dead: 1 });
          const [dead] = await store.deadLetters('q', { limit: 1 });
          expect(dead).toMatchObject({ reason: 'max-deliveries', attempts: 1 });
        });

        it('remembers dedup ids across a restart', async () => {
          let store = await withQueue();
          await store.append([{ message: testMessage(1), queues: ['q'], dedupId: 'keep' }]);
          store = await restart(store);
          const [r] = await store.append([
            { message: testMessage(1), queues: ['q'], dedupId: 'keep' },
          ]);
          expect(must(r).status).toBe('duplicate');
          expect((await statsOf(store, 'q')).messages).toBe(1);
        });

        it('keeps partly acked groups of messages exact', async () => {
          let store = await withQueue();
          const seqs = await put(store, 1, 20);
          const ds = await store.lease('q', 20, 30_000);
          await store.ack(ds.filter((_, i) => i % 2 === 0));
          await store.nak(must(ds[1]), 0);
          store = await restart(store);
          const again = await store.lease('q', 50, 30_000);
          expect(again.map((d) => d.seq)).toEqual(seqs.filter((_, i) => i % 2 === 1));
          expect(again.every((d) => d.attempt === 2)).toBe(true);
          await store.ack(again);
          store = await restart(store);
          expect((await statsOf(store, 'q')).messages).toBe(0);
        });
      });
    }
  });
}
