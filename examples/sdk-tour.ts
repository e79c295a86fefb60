// examples/sdk-tour.ts, an ES module (top-level await): `npm run example:sdk` runs it.
import { defineTopics, msgpackCodec, topic } from '@zmq-mq/protocol';
import { Producer, Subscriber, Worker } from '@zmq-mq/client';

type OrderCreated = { orderId: string; amount: number };
const topics = defineTopics({ 'orders.created': topic(msgpackCodec<OrderCreated>()) });

const subscriber = new Subscriber({ topics, prefixes: ['orders.'] }); // fan-out, :5556
const worker = new Worker({ topics }); // work queue, :5557: each message to one worker
const producer = new Producer({ topics }); // ingress, :5555
await Promise.all([subscriber.ready(), worker.ready(), producer.ready()]);

await producer.send('orders.created', { orderId: 'o-1', amount: 42 }); // typed: checked at compile time
for await (const env of subscriber) {
  console.log(env.topic, env.body.amount, env.meta.id); // orders.created 42 <uuid>
  break;
}
await worker.run(async (item) => {
  console.log('work', item.body.orderId); // work o-1
  await worker.close(); // one item is enough here: run() resolves once this handler returns
});
await producer.close(); // waits until every message is handed to ZeroMQ
await subscriber.close();
