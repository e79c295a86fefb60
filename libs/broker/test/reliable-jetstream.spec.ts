// Durable queues on NATS JetStream: two brokers on one JetStream serve the same queues (a
// message confirmed through one is delivered through the other), a queue declared through one
// reaches the other, and /stats names the store.
import { encodeAck, encodeConsume, encodeDeclare, encodePublish } from '@zmq-mq/protocol';
import { NatsServers } from '@zmq-mq/queue-store/testing/nats';
import { waitFor } from './helpers';
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
