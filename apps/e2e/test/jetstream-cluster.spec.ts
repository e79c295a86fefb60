// Several brokers on one NATS JetStream: a 3-server cluster on loopback and two broker
// processes on it. A confirmed producer on broker A, workers on broker B; broker A and the
// queue's stream leader are killed with SIGKILL mid-flow: every confirmed message is delivered
// and acked, and a message comes twice only when JetStream never had its ack (counted as a
// redelivery). Then, on one server: a worker that dies on one broker has its messages
// delivered through the other, and so has a broker that dies holding deliveries.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ConfirmingProducer, NackError, QueueWorker } from '@zmq-mq/client';
import { waitFor, withTimeout } from '@zmq-mq/protocol/testing';
import { NatsServers } from '@zmq-mq/queue-store/testing/nats';
import { startConfirmedFlow } from '../src/confirmed-flow';
import { expectFlowDone, type DurableBroker } from '../src/durable';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';
import { startPython } from '../src/python';
import { durableFixture } from './durable-fixture';

const MESSAGES = 3000;

/** Sends until confirmed: a NACK store-error (JetStream electing a leader) is sent again, same id. */
async function sendConfirmed(
  producer: ConfirmingProducer,
  i: number,
  refused: { storeErrors: number },
): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      await producer.send('jobs.run', { i }, { id: `job-${i}` });
      return;
    } catch (err) {
      if (!(err instanceof NackError) || err.code !== 'store-error') throw err;
      refused.storeErrors++;
      // The cluster answers again once its leaders are elected (seconds): pace the retries.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`job-${i} refused 50 times`);
}

describe('durable queues on a 3-server NATS JetStream cluster, two brokers', () => {
  const fixture = durableFixture();
  let nats: NatsServers | undefined;
  afterEach(async () => {
    await nats?.stop();
    nats = undefined;
  });

  it('delivers and acks every confirmed message when broker A and the stream leader are killed mid-flow', async () => {
    nats = await NatsServers.start(3);
    const flags = ['--store', nats.urls.join(','), '--queue', 'jobs=jobs.', '--ack-wait', '2s'];
    const a = await fixture.broker(flags);
    const b = await fixture.broker(flags);
    const producer = fixture.client(
      new ConfirmingProducer({
        connect: a.ports.reliable,
        heartbeatMs: 200,
        confirmTimeoutMs: 60_000,
      }),
    );
    const worker = fixture.client(
      new QueueWorker({ connect: b.ports.reliable, queue: 'jobs', heartbeatMs: 200 }),
    );
    await worker.ready();
    // The server leading the queue's stream: its loss makes the other two elect a new leader.
    const nc = await connect({ servers: nats.urls });
    const leaderName = (await (await jetstreamManager(nc)).streams.info('zmqmq_q_jobs')).cluster
      ?.leader;
    await nc.close();
    const leader = nats.servers.find((s) => s.name === leaderName);
    expect(leader).toBeDefined();

    const deliveries: Array<{ id: string; attempt: number }> = [];
    const refused = { storeErrors: 0 };
    // Mid-flow (the producer never more than 700 ahead of the deliveries): broker A and the
    // stream's leader killed at once.
    let confirmedAtKill = 0;
    let killed: Promise<unknown> | undefined;
    const flow = startConfirmedFlow({
      total: MESSAGES,
      ahead: 700,
      send: (i) => sendConfirmed(producer, i, refused).then(() => `job-${i}`),
      delivered: () => deliveries.length,
      at: { confirmed: 1000, delivered: 300 },
      midFlow: () => {
        killed = Promise.all([a.kill9(), leader!.kill9()]);
        confirmedAtKill = flow.confirmed.size;
      },
    });
    const running = worker.run(
      async (d) => {
        deliveries.push({ id: d.meta.id, attempt: d.attempt });
        flow.delivery();
      },
      { concurrency: 100 },
    );
    await withTimeout(
      flow.midFlow,
      30_000,
      () => `1,000 confirmed and 300 delivered (${flow.confirmed.size}, ${deliveries.length})`,
    );
    await killed;
    expect(confirmedAtKill).toBeLessThan(MESSAGES);
    await a.start();

    // Acked: the stream is empty (its figures are read again each second).
    await expectFlowDone({ ...flow, deliveries }, () => b.queue('jobs'), 20_000);
    await worker.close();
    await running;

    const byId = new Map<string, number[]>();
    for (const d of deliveries) byId.set(d.id, [...(byId.get(d.id) ?? []), d.attempt]);
    const again = [...byId.values()].filter((attempts) => attempts.length > 1);
    // A message comes again only as a redelivery: JetStream never had the ack of its first
    // delivery (an ack lost with the leader), and counted the next one as attempt 2 or more.
    for (const attempts of again) expect(attempts.slice(1).every((n) => n >= 2)).toBe(true);
    const redelivered = (await b.queue('jobs')).counters.redelivered ?? 0;
    expect(redelivered).toBeGreaterThanOrEqual(
      again.reduce((n, attempts) => n + attempts.length - 1, 0),
    );
  }, 120_000);
});

describe('durable queues on NATS JetStream, two brokers on one server', () => {
  const fixture = durableFixture();
  let nats: NatsServers | undefined;
  beforeAll(async () => {
    nats = await NatsServers.start(1);
  });
  afterAll(async () => {
    await nats?.stop();
  });

  const HELD = 50;

  function twoBrokers(queue: string, options?: { token: boolean }): Promise<DurableBroker[]> {
    // Each test its own queue: the server is shared by the tests of this block.
    const flags = [
      ...['--store', nats!.urls.join(','), '--queue', `${queue}=jobs.`],
      ...['--ack-wait', '2s', '--max-deliveries', '2'],
    ];
    return Promise.all([fixture.broker(flags, options), fixture.broker(flags, options)]);
  }

  async function produce(endpoint: string): Promise<void> {
    const producer = fixture.client(new ConfirmingProducer({ connect: endpoint }));
    await Promise.all(
      Array.from({ length: HELD }, (_, i) => producer.send('jobs.run', { i }, { id: `h${i}` })),
    );
  }

  /** A worker on `endpoint` taking `count` deliveries; resolves with their ids and attempts. */
  function take(
    endpoint: string,
    queue: string,
    count: number,
  ): Promise<Array<{ id: string; attempt: number }>> {
    const worker = fixture.client(new QueueWorker({ connect: endpoint, queue, credit: count }));
    return (async () => {
      const got: Array<{ id: string; attempt: number }> = [];
      for await (const d of worker) {
        got.push({ id: d.meta.id, attempt: d.attempt });
        d.ack();
        if (got.length === count) break;
      }
      return got;
    })();
  }

  it('delivers through broker A what a worker that died on broker B held, attempt 2', async () => {
    const [a, b] = await twoBrokers('died');
    await produce(a!.ports.reliable);
    const holder = fixture.process(
      startPython('reliable_client.py', [
        ...['consume', b!.ports.reliable, 'died', String(HELD), '--credit', String(HELD), '--hold'],
        ...['--heartbeat', '200', '--timeout', '60'],
      ]),
    );
    await holder.waitForLine(new RegExp(`^holding ${HELD}$`), 20_000, 'stderr');
    const taking = take(a!.ports.reliable, 'died', HELD);
    holder.child.kill('SIGKILL');
    await holder.waitForExit(5000);
    // Broker B ends the silent session after 3 heartbeats and gives its leases back to
    // JetStream at once; broker A's worker gets them.
    const got = await taking;
    expect(got.map((d) => d.attempt)).toEqual(new Array(HELD).fill(2));
    expect(new Set(got.map((d) => d.id)).size).toBe(HELD);
  }, 60_000);

  it('delivers through broker A what broker B held when B is killed, once JetStream’s ack wait runs out', async () => {
    const [a, b] = await twoBrokers('brokerdied');
    await produce(a!.ports.reliable);
    const holder = fixture.process(
      startPython('reliable_client.py', [
        ...[
          'consume',
          b!.ports.reliable,
          'brokerdied',
          String(HELD),
          '--credit',
          String(HELD),
          '--hold',
        ],
        ...['--heartbeat', '200', '--timeout', '60'],
      ]),
    );
    await holder.waitForLine(new RegExp(`^holding ${HELD}$`), 20_000, 'stderr');
    const taking = take(a!.ports.reliable, 'brokerdied', HELD);
    const killedAt = Date.now();
    await b!.kill9();
    const got = await taking;
    // Nobody gave them back: JetStream delivers them again after its ack wait (--ack-wait 2s).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(1500);
    expect(got.map((d) => d.attempt)).toEqual(new Array(HELD).fill(2));
    expect(new Set(got.map((d) => d.id)).size).toBe(HELD);
  }, 60_000);

  it('lists, replays and purges dead letters through the queues program as with LMDB', async () => {
    // Dead letters, replay and purge need the monitor's token, whichever the store.
    const [a, b] = await twoBrokers('dead', { token: true });
    await produce(a!.ports.reliable);
    // A worker on broker B that always fails: each message dead after 2 deliveries
    // (--max-deliveries 2 is given to both brokers below).
    const failing = fixture.client(
      new QueueWorker({
        connect: b!.ports.reliable,
        queue: 'dead',
        backoff: { initialMs: 10, factor: 1 },
      }),
    );
    void failing.run(
      async () => {
        throw new Error('always fails');
      },
      { concurrency: 10, onHandlerError: () => undefined },
    );
    await waitFor(
      async () => (await a!.queue('dead')).dead === HELD,
      20_000,
      `${HELD} dead letters seen through broker A`,
    );
    await failing.close();
    const queues = (args: string[]): TestProcess =>
      fixture.process(startNode(appMain('queues'), ['-m', a!.ports.monitor, ...args]));
    const refused = queues(['dead', 'dead']);
    expect((await refused.waitForExit(20_000)).code).toBe(1);
    expect(refused.stderrLines.join('\n')).toMatch(/asks for its token/);
    const cli = async (args: string[]): Promise<string[]> => {
      const p = queues(['--token-file', a!.tokenFile!, ...args]);
      expect((await p.waitForExit(20_000)).code).toBe(0);
      return p.stdoutLines.filter((l) => l !== '');
    };
    const letters = (await cli(['dead', 'dead'])).map((l) => JSON.parse(l));
    expect(letters).toHaveLength(HELD);
    expect(letters.every((d) => d.reason === 'max-deliveries' && d.attempts === 2)).toBe(true);
    expect(await cli(['replay', 'dead', '--seq', String(letters[0].seq)])).toEqual([
      'replayed 1 dead letter to dead',
    ]);
    const [again] = await take(b!.ports.reliable, 'dead', 1);
    expect(again).toMatchObject({ id: letters[0].id, attempt: 1 });
    expect(await cli(['purge', 'dead'])).toEqual([`purged ${HELD - 1} dead letters of dead`]);
    expect(await cli(['dead', 'dead'])).toEqual([]);
  }, 60_000);
});
