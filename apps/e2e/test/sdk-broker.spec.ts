// The SDK against a real Broker embedded in the test: typed send and receive for each codec,
// prefix filtering, worker concurrency, ready() against the slow joiner, undecodable messages.
import { Producer, Subscriber, Worker } from '@zmq-mq/client';
import { Closer, take, waitFor } from '@zmq-mq/protocol/testing';
import { defineTopics, jsonCodec, msgpackCodec, rawCodec, topic } from '@zmq-mq/protocol';
import { startEmbeddedBroker, type RunningBroker } from '../src/interop-peers';

interface Order {
  orderId: string;
  amount: number;
  big: bigint;
}
const topics = defineTopics({
  'orders.created': topic(msgpackCodec<Order>()),
  'audit.line': topic(jsonCodec<{ text: string; n: number }>()),
  'blob.raw': topic(rawCodec()),
});

describe('SDK through an embedded Broker', () => {
  let broker: RunningBroker;
  const closer = new Closer();
  const track = <T extends { close(): Promise<void> }>(x: T): T => closer.track(x);
  beforeEach(async () => {
    // drainTimeoutMs 0: work left queued for absent workers is not waited for on stop
    broker = await startEmbeddedBroker({ drainTimeoutMs: 0 });
  });
  afterEach(async () => {
    await closer.closeAll();
    await broker.stop();
  });

  it('delivers typed messages for each codec to subscribers and workers', async () => {
    const subscriber = track(new Subscriber({ connect: broker.publish, topics }));
    const worker = track(new Worker({ connect: broker.push, topics }));
    const producer = track(new Producer({ connect: broker.ingress, topics }));
    await Promise.all([subscriber.ready(), worker.ready(), producer.ready()]);
    const fanOut = take(subscriber, 3);
    const work = take(worker, 3);
    const blob = Buffer.from([0, 32, 255, 10, 32]);
    await producer.send('orders.created', { orderId: 'o 1', amount: 2.5, big: 2n ** 62n });
    await producer.send('audit.line', { text: 'héllo', n: 1 }, { headers: { who: 'test' } });
    await producer.send('blob.raw', blob);
    for (const envs of [await fanOut, await work]) {
      const [order, audit, raw] = envs;
      expect(order).toMatchObject({
        topic: 'orders.created',
        body: { orderId: 'o 1', amount: 2.5, big: 2n ** 62n },
      });
      expect(order!.meta.contentType).toBe('application/msgpack');
      expect(audit).toMatchObject({ topic: 'audit.line', body: { text: 'héllo', n: 1 } });
      expect(audit!.meta.headers).toEqual({ who: 'test' });
      expect(raw!.topic).toBe('blob.raw');
      expect(Buffer.from(raw!.body as Uint8Array)).toEqual(blob);
    }
  });

  it('filters subscribers by prefix and by exact topic', async () => {
    const orders = track(new Subscriber({ connect: broker.publish, prefixes: ['orders.'] }));
    const exact = track(new Subscriber({ connect: broker.publish, exact: ['orders'] }));
    const producer = track(new Producer({ connect: broker.ingress }));
    await Promise.all([orders.ready(), exact.ready(), producer.ready()]);
    const gotOrders = take(orders, 2);
    const gotExact = take(exact, 1);
    for (const t of ['orders.created', 'audit', 'orders', 'orders.deleted']) {
      await producer.send(t, { t });
    }
    expect((await gotOrders).map((e) => e.topic)).toEqual(['orders.created', 'orders.deleted']);
    expect((await gotExact).map((e) => e.topic)).toEqual(['orders']);
  });

  it('runs worker handlers with the concurrency limit, sharing work between workers', async () => {
    const producer = track(new Producer({ connect: broker.ingress, topics }));
    const a = track(new Worker({ connect: broker.push, topics }));
    const b = track(new Worker({ connect: broker.push, topics }));
    await Promise.all([producer.ready(), a.ready(), b.ready()]);
    let active = 0;
    let peak = 0;
    const done: number[] = [];
    const handler = async (item: { body: unknown }): Promise<void> => {
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, 15));
      active--;
      done.push((item.body as { n: number }).n);
    };
    const runs = [a.run(handler, { concurrency: 2 }), b.run(handler, { concurrency: 2 })];
    for (let n = 0; n < 20; n++) await producer.send('audit.line', { text: 'job', n });
    await waitFor(() => done.length === 20, 10000, '20 handled');
    await a.close();
    await b.close();
    await Promise.all(runs);
    expect(done.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(a.stats().delivered).toBeGreaterThan(0);
    expect(b.stats().delivered).toBeGreaterThan(0);
  });

  it('no slow-joiner loss: the first message arrives, sent after ready() or even before', async () => {
    // The broker queues work while no worker is connected, so anything that reached the
    // ingress is delivered to the worker afterwards; a message the PUB dropped is not.
    for (let round = 0; round < 5; round++) {
      const producer = new Producer({ connect: broker.ingress });
      // even rounds wait for ready(); odd ones send at once and rely on the local queue,
      // which holds messages until the link has settled
      if (round % 2 === 0) await producer.ready();
      await producer.send('first', { round });
      await producer.close();
    }
    const worker = track(new Worker({ connect: broker.push }));
    const items = await take(worker, 5);
    expect(items.map((i) => [i.topic, (i.body as { round: number }).round])).toEqual(
      [0, 1, 2, 3, 4].map((r) => ['first', r]),
    );
  });

  it('reports undecodable messages and keeps iterating', async () => {
    const errors: string[] = [];
    const subscriber = track(
      new Subscriber({
        connect: broker.publish,
        topics,
        onError: (err) => errors.push((err as { code?: string }).code ?? String(err)),
      }),
    );
    const untyped = track(new Producer({ connect: broker.ingress, codec: 'json' }));
    const bare = track(new Producer({ connect: broker.ingress, codec: 'raw', metadata: false }));
    const typed = track(new Producer({ connect: broker.ingress, topics }));
    await Promise.all([subscriber.ready(), untyped.ready(), bare.ready(), typed.ready()]);
    const got = take(subscriber, 1);
    await untyped.send('orders.created', { not: 'msgpack' }); // json where msgpack is declared
    await bare.send('orders.created', Buffer.from([0xc1])); // bare, and not valid msgpack
    await typed.send('orders.created', { orderId: 'ok', amount: 1, big: 1n });
    expect((await got)[0]).toMatchObject({ topic: 'orders.created', body: { orderId: 'ok' } });
    expect(errors).toEqual(['ZMQMQ_ERR_CODEC_CORRUPT', 'ZMQMQ_ERR_CODEC_CORRUPT']);
    expect(subscriber.stats()).toMatchObject({ received: 3, delivered: 1, undecodable: 2 });
  });
});
