/**
 * Model-based test: random sequences of appends (with repeated dedup ids), leases, acks,
 * naks, terms, replays and restarts against a plain model of a queue; after every step the
 * store's counts and each delivery's attempt must match the model.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbStore, MemoryStore, type Delivery, type QueueStore } from '../src';
import { testMessage } from '../testing/conformance';

type Op =
  | { op: 'append'; ids: number[] }
  | { op: 'lease'; max: number }
  | { op: 'ack'; pick: number[] }
  | { op: 'nak'; pick: number }
  | { op: 'term'; pick: number }
  | { op: 'replay' }
  | { op: 'restart' };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('append' as const),
      ids: fc.array(fc.integer({ min: 0, max: 30 }), { minLength: 1, maxLength: 5 }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant('lease' as const),
      max: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant('ack' as const),
      pick: fc.array(fc.nat(), { maxLength: 3 }),
    }),
  },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('nak' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('term' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('replay' as const) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('restart' as const) }) },
);

const MAX_DELIVERIES = 3;

interface Model {
  /** Live message id -> deliveries so far. */
  alive: Map<string, number>;
  dead: Set<string>;
  held: Delivery[];
  seen: Set<string>;
}

async function run(
  ops: Op[],
  make: () => QueueStore,
  reopen: (s: QueueStore) => Promise<QueueStore>,
): Promise<void> {
  let store = make();
  await store.open();
  try {
    await store.declare({ name: 'q', prefixes: [''] });
    const m: Model = { alive: new Map(), dead: new Set(), held: [], seen: new Set() };
    const take = (pick: number): Delivery | undefined =>
      m.held.length === 0 ? undefined : m.held.splice(pick % m.held.length, 1)[0];
    for (const step of ops) {
      switch (step.op) {
        case 'append': {
          const reqs = step.ids.map((n) => ({
            message: testMessage(n),
            queues: ['q'],
            dedupId: `m-${n}`,
          }));
          const results = await store.append(reqs);
          step.ids.forEach((n, i) => {
            const id = `m-${n}`;
            expect(results[i]?.status).toBe(m.seen.has(id) ? 'duplicate' : 'stored');
            if (!m.seen.has(id)) m.alive.set(id, 0);
            m.seen.add(id);
          });
          break;
        }
        case 'lease': {
          const ds = await store.lease('q', step.max, 60_000);
          for (const d of ds) {
            const before = m.alive.get(d.message.id);
            expect(before).toBeDefined();
            expect(d.attempt).toBe((before as number) + 1);
            m.alive.set(d.message.id, d.attempt);
            m.held.push(d);
          }
          break;
        }
        case 'ack': {
          const ds = step.pick.map(take).filter((d): d is Delivery => d !== undefined);
          await store.ack(ds);
          for (const d of ds) m.alive.delete(d.message.id);
          break;
        }
        case 'nak': {
          const d = take(step.pick);
          if (d === undefined) break;
          const outcome = await store.nak(d, 0);
          expect(outcome).toBe(d.attempt >= MAX_DELIVERIES ? 'dead' : 'requeued');
          if (outcome === 'dead') {
            m.alive.delete(d.message.id);
            m.dead.add(d.message.id);
          }
          break;
        }
        case 'term': {
          const d = take(step.pick);
          if (d === undefined) break;
          await store.term(d, 'model');
          m.alive.delete(d.message.id);
          m.dead.add(d.message.id);
          break;
        }
        case 'replay': {
          expect(await store.replay('q')).toBe(m.dead.size);
          for (const id of m.dead) m.alive.set(id, 0);
          m.dead.clear();
          break;
        }
        case 'restart': {
          store = await reopen(store);
          m.held = [];
          // A message whose last delivery was in flight at its maxDeliveries dies at open.
          for (const [id, n] of m.alive) {
            if (n >= MAX_DELIVERIES) {
              m.alive.delete(id);
              m.dead.add(id);
            }
          }
          break;
        }
      }
      const s = store.stats('q');
      expect(s.messages).toBe(m.alive.size);
      expect(s.unacked).toBe(m.held.length);
      expect(s.ready + s.delayed).toBe(m.alive.size - m.held.length);
      expect(s.dead).toBe(m.dead.size);
    }
  } finally {
    await store.close();
  }
}

describe('store against a model', () => {
  it('MemoryStore', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(arbOp, { maxLength: 60 }), (ops) =>
        run(
          ops,
          () => new MemoryStore({ maxDeliveries: MAX_DELIVERIES, chunkBytes: 40 }),
          async (s) => {
            await s.close();
            await s.open();
            return s;
          },
        ),
      ),
      { numRuns: 200 },
    );
  }, 60_000);

  it('LmdbStore, without the cache', async () => {
    const dirs: string[] = [];
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(arbOp, { maxLength: 30 }), (ops) => {
          const path = mkdtempSync(join(tmpdir(), 'zmq-mq-model-'));
          dirs.push(path);
          const make = (): QueueStore =>
            new LmdbStore({ path, maxDeliveries: MAX_DELIVERIES, chunkBytes: 40, cacheBytes: 0 });
          return run(ops, make, async (s) => {
            await s.close();
            const next = make();
            await next.open();
            return next;
          });
        }),
        { numRuns: 40 },
      );
    } finally {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }, 120_000);
});
