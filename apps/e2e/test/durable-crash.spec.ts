// kill -9 of the broker in the middle of a confirmed flow, then a restart on the same data
// directory: nothing confirmed is lost, and only messages in flight at the kill come twice.
import { ConfirmingProducer, QueueWorker } from '@zmq-mq/client';
import { withTimeout } from '@zmq-mq/protocol/testing';
import { startConfirmedFlow } from '../src/confirmed-flow';
import { expectFlowDone } from '../src/durable';
import { durableFixture } from './durable-fixture';

const MESSAGES = 10_000;

describe('durable queues: the broker killed with SIGKILL mid-flow', () => {
  const fixture = durableFixture();

  it('delivers every confirmed message after a restart on the same data dir; duplicates only of those in flight at the kill, counted', async () => {
    const broker = await fixture.broker(['--queue', 'jobs=jobs.']);
    const endpoint = broker.ports.reliable;
    // Heartbeats of 200 ms: each client finds the broker gone after 600 ms of silence.
    const producer = fixture.client(
      new ConfirmingProducer({
        connect: endpoint,
        heartbeatMs: 200,
        confirmTimeoutMs: 60_000,
      }),
    );
    const worker = fixture.client(
      new QueueWorker({ connect: endpoint, queue: 'jobs', heartbeatMs: 200 }),
    );

    // Which broker made a delivery: the epoch of the last WELCOME the worker heard (a
    // restarted broker delivers nothing before its WELCOME on the worker's new connection).
    let epoch = '';
    worker.on('welcome', (w) => (epoch = w.epoch));
    await worker.ready();
    const firstEpoch = epoch;
    /** Each delivery: its id, attempt, and whether the first broker (before the kill) made it. */
    const deliveries: Array<{ id: string; attempt: number; beforeKill: boolean }> = [];
    // Mid-flow: some confirmed, some delivered and acked, more in flight both ways (the
    // producer never more than 2,000 ahead of the deliveries, so thousands are unconfirmed).
    let confirmedAtKill = 0;
    let killed: Promise<void> | undefined;
    const flow = startConfirmedFlow({
      total: MESSAGES,
      ahead: 2000,
      send: (i) => producer.send('jobs.run', { i }, { id: `job-${i}` }).then(() => `job-${i}`),
      delivered: () => deliveries.length,
      at: { confirmed: 3000, delivered: 1000 },
      midFlow: () => {
        killed = broker.kill9();
        confirmedAtKill = flow.confirmed.size;
      },
    });
    const running = worker.run(
      async (d) => {
        deliveries.push({ id: d.meta.id, attempt: d.attempt, beforeKill: epoch === firstEpoch });
        flow.delivery();
      },
      { concurrency: 100 },
    );
    await withTimeout(
      flow.midFlow,
      30_000,
      () => `3,000 confirmed and 1,000 delivered (${flow.confirmed.size}, ${deliveries.length})`,
    );
    await killed;
    expect(confirmedAtKill).toBeLessThan(MESSAGES);
    await broker.start();

    // The producer sends again what got no answer, with the same ids; every send resolves.
    await expectFlowDone({ ...flow, deliveries }, () => broker.queue('jobs'));
    await worker.close();
    await running;

    const byId = new Map<string, Array<{ attempt: number; beforeKill: boolean }>>();
    for (const d of deliveries) byId.set(d.id, [...(byId.get(d.id) ?? []), d]);
    const duplicated = [...byId].filter(([, ds]) => ds.length > 1);
    // Each duplicate was first delivered by the killed broker, its ack not yet durable, and
    // delivered again only by the restarted one: a message held (or acked) at the kill.
    for (const [, ds] of duplicated) {
      expect(ds[0]!.beforeKill).toBe(true);
      expect(ds.slice(1).every((d) => !d.beforeKill)).toBe(true);
    }
    // Every duplicate comes again as attempt 2 or more, counted as redelivered by the restarted
    // broker: the lease counts of the last moments before the kill were in its lease log.
    for (const [, ds] of duplicated) expect(ds.slice(1).every((d) => d.attempt >= 2)).toBe(true);
    const restarted = await broker.queue('jobs');
    expect(restarted.counters.redelivered).toBeGreaterThanOrEqual(duplicated.length);
    expect(epoch).not.toBe(firstEpoch);
    expect(restarted).toMatchObject({ messages: 0, dead: 0 });
  }, 120_000);
});
