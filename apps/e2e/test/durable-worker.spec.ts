// kill -9 of a worker holding deliveries: the broker hears nothing from it for three heartbeat
// intervals and gives its deliveries to another worker at once, long before the ack wait.
import { ConfirmingProducer, QueueWorker } from '@zmq-mq/client';
import { getJson } from '../src/durable';
import { startPython } from '../src/python';
import { durableFixture } from './durable-fixture';

const HELD = 100;
const HEARTBEAT_MS = 1000;

describe('durable queues: a worker killed with SIGKILL', () => {
  const fixture = durableFixture();

  it('hands its 100 unacked deliveries to another worker within 3 heartbeat intervals, attempt 2', async () => {
    // An ack wait far beyond the test: only the heartbeats can explain a quick redelivery.
    const broker = await fixture.broker(['--queue', 'jobs=jobs.', '--ack-wait', '10m']);
    const endpoint = broker.ports.reliable;
    const producer = fixture.client(new ConfirmingProducer({ connect: endpoint }));
    await Promise.all(
      Array.from({ length: HELD }, (_, i) => producer.send('jobs.run', { i }, { id: `j${i}` })),
    );

    // The Python client holds every delivery, settles none, and heartbeats every interval.
    const holder = fixture.process(
      startPython('reliable_client.py', [
        ...['consume', endpoint, 'jobs', String(HELD), '--credit', String(HELD), '--hold'],
        ...['--heartbeat', String(HEARTBEAT_MS), '--timeout', '60'],
      ]),
    );
    await holder.waitForLine(new RegExp(`^holding ${HELD}$`), 20_000, 'stderr');
    expect((await broker.queue('jobs')).unacked).toBe(HELD);

    const other = fixture.client(
      new QueueWorker({ connect: endpoint, queue: 'jobs', credit: HELD }),
    );
    await other.ready();
    const got: Array<{ id: string; attempt: number }> = [];
    let allAt = 0;
    const reading = (async () => {
      for await (const d of other) {
        got.push({ id: d.meta.id, attempt: d.attempt });
        d.ack();
        if (got.length === HELD) {
          allAt = Date.now();
          return;
        }
      }
    })();
    const killedAt = Date.now();
    holder.child.kill('SIGKILL');
    await holder.waitForExit(5000);
    await reading;

    // Silence from the killed worker's last HEARTBEAT (at most one interval before the kill)
    // for 3 intervals ends its session; 500 ms more for scheduling on a shared machine.
    expect(allAt - killedAt).toBeLessThanOrEqual(3 * HEARTBEAT_MS + 500);
    expect(got.map((d) => d.attempt)).toEqual(new Array(HELD).fill(2));
    expect(new Set(got.map((d) => d.id)).size).toBe(HELD);
    // Silence ended its session, not the ack wait: the broker says so.
    const q = await broker.queue('jobs');
    expect(q.counters).toMatchObject({ redelivered: HELD, expired: 0 });
    const stats = (await getJson(`${broker.ports.monitor}/stats`)) as {
      reliable: { sessions: { endedSilent: number } };
    };
    expect(stats.reliable.sessions.endedSilent).toBe(1);
  }, 60_000);
});
