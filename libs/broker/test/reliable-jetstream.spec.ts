// Durable queues on NATS JetStream: two brokers on one JetStream serve the same queues (a
// message confirmed through one is delivered through the other), a queue declared through one
// reaches the other, /stats names the store; a broker logs in to NATS with a user, a password
// and TLS, and its monitor serves the dashboard's data without the password.
import { rmSync } from 'node:fs';
import {
  encodeAck,
  encodeConsume,
  encodeDeclare,
  encodePublish,
  type QueuesResponse,
} from '@zmq-mq/protocol';
import {
  NatsServers,
  makeTestCertificates,
  type TestCertificates,
} from '@zmq-mq/queue-store/testing/nats';
import type { BrokerInfo, BrokerStatsSnapshot, DashboardHello } from '../src';
import { waitFor } from './helpers';
import { EventReader, http, json } from './monitor-helpers';
import { frame, reliableBrokers } from './reliable-helpers';

describe('durable queues on NATS JetStream, two brokers', () => {
  let servers: NatsServers;

  beforeAll(async () => {
    servers = await NatsServers.start(1);
  });
  afterAll(async () => {
    await servers.stop();
  });
  const { broker, client, brokers } = reliableBrokers(() => ({ store: servers.urls.join(',') }));

  it('confirms through one broker and delivers through the other, once', async () => {
    const a = await broker();
    const b = await broker();
    const worker = client(b);
    await worker.send(encodeConsume({ queue: 'orders', credit: 100 }));
    await worker.next('CONSUMING');
    const producer = client(a);
    const ids = Array.from({ length: 20 }, (_, i) => `o${i}`);
    await producer.send(
      encodePublish(
        ids,
        ids.map((id) => [frame('orders.new', id)]),
      ),
    );
    const confirmed = await producer.next('CONFIRM');
    expect(confirmed.ids).toEqual(ids);
    const got = await worker.deliveries(20);
    expect(got.map((d) => d.frames[0]!.toString())).toEqual(ids.map((id) => `orders.new ${id}`));
    expect(got.every((d) => d.attempt === 1)).toBe(true);
    await worker.send(encodeAck(got.map((d) => d.tag)));
    await waitFor(
      () => b.stats().reliable!.queues[0]!.counters.acked === 20,
      5000,
      'the acks to reach the store',
    );
    // The figures of the queue are JetStream's, read again each second: the same on both.
    await waitFor(
      () => brokers.every((x) => x.stats().reliable!.queues[0]!.messages === 0),
      5000,
      'both brokers to see the queue empty',
    );
    const snapshot = a.stats().reliable!;
    expect(snapshot).toMatchObject({ store: servers.urls.join(','), dataDir: undefined });
    expect(b.stats().reliable!.jetstream).toMatchObject({
      replicas: 1,
      pulled: 20,
      backgroundErrors: 0,
    });
    expect(snapshot.queues[0]!.counters).toMatchObject({
      published: 20,
      confirmed: 20,
      delivered: 0,
    });
  });

  it('serves through one broker a queue declared through the other', async () => {
    const a = await broker();
    const b = await broker();
    const c = client(a);
    await c.send(encodeDeclare({ queue: 'audit', prefixes: ['audit.'] }));
    await c.next('DECLARED');
    await waitFor(
      () => b.stats().reliable!.queues.some((q) => q.name === 'audit'),
      5000,
      'the queue to reach the other broker',
    );
    const worker = client(b);
    await worker.send(encodeConsume({ queue: 'audit', credit: 10 }));
    await worker.next('CONSUMING');
    await c.send(encodePublish(['x1'], [[frame('audit.login', 'x1')]]));
    await c.next('CONFIRM');
    const [d] = await worker.deliveries(1);
    expect(d).toMatchObject({ queue: 'audit', attempt: 1 });
  });
});

describe('a broker on JetStream that logs in to NATS over TLS, and its monitor', () => {
  const PASSWORD = 'nats-pass-7c2e91';
  let certs: TestCertificates;
  let servers: NatsServers;
  let reader: EventReader | undefined;

  beforeAll(async () => {
    certs = makeTestCertificates();
    servers = await NatsServers.start(1, {
      auth: { user: 'zmq', password: PASSWORD },
      tls: certs,
    });
  });
  afterAll(async () => {
    await servers?.stop();
    rmSync(certs.dir, { recursive: true, force: true });
  });
  afterEach(() => reader?.close());
  const { broker, client } = reliableBrokers(() => ({
    store: servers.urls.join(','),
    natsUser: 'zmq',
    natsPassword: PASSWORD,
    natsTlsCa: certs.caFile,
    monitor: '127.0.0.1:0',
  }));

  it("serves /stats with the store's figures, the dashboard's hello and /queues, and never the password", async () => {
    const b = await broker();
    const monitor = b.endpoints!.monitor!;
    const c = client(b);
    await c.send(
      encodePublish(['s1', 's2'], [[frame('orders.new', 's1')], [frame('orders.new', 's2')]]),
    );
    await c.next('CONFIRM');

    // The queue's figures are JetStream's, read again each second.
    await waitFor(
      async () =>
        (await json<BrokerStatsSnapshot>(`${monitor}/stats`)).reliable!.queues[0]!.messages === 2,
      5000,
      'the two messages in /stats',
    );
    const stats = await json<BrokerStatsSnapshot>(`${monitor}/stats`);
    expect(stats.reliable).toMatchObject({
      store: servers.urls.join(','),
      jetstream: { replicas: 1, backgroundErrors: 0 },
    });
    expect(stats.reliable!.dataDir).toBeUndefined();
    const queues = await json<QueuesResponse>(`${monitor}/queues`);
    expect(queues.queues.map((q) => [q.name, q.messages])).toEqual([['orders', 2]]);
    reader = new EventReader(`${monitor}/events`);
    const hello = await reader.next<DashboardHello>('hello');
    expect(hello.stats.reliable?.jetstream).toMatchObject({ replicas: 1 });

    // Every option in force is on /broker, the password as (hidden).
    for (const path of ['/broker', '/stats', '/queues', '/metrics']) {
      expect([path, (await http(`${monitor}${path}`)).body.includes(PASSWORD)]).toEqual([
        path,
        false,
      ]);
    }
    const info = await json<BrokerInfo>(`${monitor}/broker`);
    const shown = new Map(info.options.map((o) => [o.name, o.value]));
    expect(shown.get('natsUser')).toBe('zmq');
    expect(shown.get('natsPassword')).toBe('(hidden)');
    expect(JSON.stringify(hello)).not.toContain(PASSWORD);
  });
});
