// The team's contracts across a real Broker, as services deployed at different times meet: a
// receiver still on an older contract gets a message of a newer schema version as a coded,
// counted error and goes on; a receiver on the newer contract reads the older version upgraded.
import { Producer, Subscriber, Worker } from '@zmq-mq/client';
import type { OrderCreatedV1 } from '@zmq-mq/contracts';
import { examples, topics } from '@zmq-mq/contracts';
import { defineTopics, jsonCodec, SchemaVersionError, topic } from '@zmq-mq/protocol';
import { Closer, DEFAULT_WAIT_MS, take, withTimeout } from '@zmq-mq/protocol/testing';
import { startEmbeddedBroker, type RunningBroker } from '../src/interop-peers';

/** orders.created as services built before its version 2 declare it. */
const before = defineTopics({ 'orders.created': topic(jsonCodec<OrderCreatedV1>()) });
const older: OrderCreatedV1 = { orderId: 'o-0', amount: 7 };

describe('schema versions through an embedded Broker', () => {
  let broker: RunningBroker;
  const closer = new Closer();
  beforeEach(async () => {
    broker = await startEmbeddedBroker({ drainTimeoutMs: 0 });
  });
  afterEach(async () => {
    await closer.closeAll();
    await broker.stop();
  });

  it('a subscriber and a worker on the older contract refuse the newer version, count it, go on', async () => {
    const errors: Error[] = [];
    let bothRefused!: () => void;
    const refused = new Promise<void>((resolve) => (bothRefused = resolve));
    const onError = (err: Error): void => {
      if (errors.push(err) === 2) bothRefused();
    };
    const subscriber = closer.track(
      new Subscriber({ connect: broker.publish, topics: before, onError }),
    );
    const worker = closer.track(new Worker({ connect: broker.push, topics: before, onError }));
    const current = closer.track(new Producer({ connect: broker.ingress, topics }));
    const old = closer.track(new Producer({ connect: broker.ingress, topics: before }));
    await Promise.all([subscriber.ready(), worker.ready(), current.ready(), old.ready()]);
    const fanOut = take(subscriber, 1);
    const work = take(worker, 1);

    await current.send('orders.created', examples['orders.created']); // version 2
    await old.send('orders.created', older); // version 1, after it on another link
    // Each receiver hands over the version-1 body only, typed as it knows it.
    expect((await fanOut).map((env) => env.body)).toEqual([older]);
    expect((await work).map((env) => env.body)).toEqual([older]);
    await withTimeout(refused, DEFAULT_WAIT_MS, 'the version-2 message refused by both receivers');
    for (const receiver of [subscriber, worker]) {
      expect(receiver.stats()).toMatchObject({ received: 2, delivered: 1, undecodable: 1 });
    }
    expect(errors).toHaveLength(2);
    for (const err of errors) {
      expect(err).toBeInstanceOf(SchemaVersionError);
      expect(err).toMatchObject({
        code: 'ZMQMQ_ERR_SCHEMA_VERSION',
        topic: 'orders.created',
        version: 2,
        known: [1],
      });
    }
  });

  it('a subscriber on the newer contract reads the older version, upgraded', async () => {
    const subscriber = closer.track(new Subscriber({ connect: broker.publish, topics }));
    const old = closer.track(new Producer({ connect: broker.ingress, topics: before }));
    await Promise.all([subscriber.ready(), old.ready()]);
    const received = take(subscriber, 1);
    await old.send('orders.created', older);
    expect((await received)[0]).toMatchObject({
      topic: 'orders.created',
      body: { ...older, currency: 'EUR' },
    });
  });
});
