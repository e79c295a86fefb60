// RabbitMQ through amqplib: a ConfirmChannel publishing to the quorum queue (publisher
// confirms) and a channel consuming it with manual acks under a prefetch.
import { connect } from 'amqplib';
import type { ChannelModel } from 'amqplib';
import type { ConfirmSink, ConsumeLink, DeliverySink, PublishLink } from './links';
import type { Target } from './messages';
import { Signal } from './signal';

async function open(url: string, onError: (err: unknown) => void): Promise<ChannelModel> {
  const conn = await connect(url);
  conn.on('error', onError);
  return conn;
}

/** Publishes to the default exchange with the queue's name as routing key, persistent. */
export async function rabbitmqPublisher(target: Target, sink: ConfirmSink): Promise<PublishLink> {
  const conn = await open(target.url, (err) => sink.error(err));
  const channel = await conn.createConfirmChannel();
  channel.on('error', (err) => sink.error(err));
  const drain = new Signal();
  let writable = true;
  channel.on('drain', () => {
    writable = true;
    drain.wake();
  });
  return {
    publish(payload, token) {
      // false: the channel's buffer is full (it still took this message): wait for 'drain'.
      writable = channel.publish('', target.queue, payload, { persistent: true }, (err) =>
        sink.confirmed(token, err === null || err === undefined),
      );
    },
    flush: () => undefined,
    writable: () => writable,
    drained: () => (writable ? Promise.resolve() : drain.wait()),
    close: () => conn.close(),
  };
}

/** Consumes the queue, acking each message on its own. */
export async function rabbitmqConsumer(
  target: Target,
  prefetch: number,
  sink: DeliverySink,
): Promise<ConsumeLink> {
  const conn = await open(target.url, (err) => sink.error(err));
  const channel = await conn.createChannel();
  channel.on('error', (err) => sink.error(err));
  await channel.prefetch(prefetch);
  await channel.consume(
    target.queue,
    (msg) => {
      if (msg === null) {
        sink.error(new Error('the queue cancelled the consumer'));
        return;
      }
      sink.received(msg.content, 0, msg.content.length, msg.fields.redelivered);
      channel.ack(msg);
      sink.acked();
    },
    { noAck: false },
  );
  return { close: () => conn.close() };
}
