// NATS JetStream through @nats-io/jetstream and @nats-io/transport-node 3.x: two publishing
// paths and one explicit-ack pull consumer.
import { jetstream } from '@nats-io/jetstream';
import { connect, createInbox } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import type { ConfirmSink, ConsumeLink, DeliverySink, PublishLink } from './links';
import { JS_CONSUMER } from './messages';
import type { Target } from './messages';
import { natsConnectOptions } from './nats-store';
import { TokenQueue } from './token-queue';

/** A connection that reports its failure to `onError` and does not reconnect. */
async function open(target: Target, onError: (err: unknown) => void): Promise<NatsConnection> {
  const nc = await connect(natsConnectOptions(target.url, target.nats));
  void nc.closed().then((err) => {
    if (err) onError(err);
  });
  return nc;
}

function publishLink(nc: NatsConnection, publish: PublishLink['publish']): PublishLink {
  return {
    publish,
    // The client writes what was published on its next turn of the event loop by itself.
    flush: () => undefined,
    // nats.js has no backpressure of its own: the confirm window bounds what it buffers.
    writable: () => true,
    drained: () => Promise.resolve(),
    close: () => nc.close(),
  };
}

/** The documented path: `js.publish()`, one request and one PubAck promise per message. */
export async function jetstreamPublisher(target: Target, sink: ConfirmSink): Promise<PublishLink> {
  const nc = await open(target, (err) => sink.error(err));
  const js = jetstream(nc);
  return publishLink(nc, (payload, token) => {
    js.publish(target.subject, payload).then(
      () => sink.confirmed(token, true),
      () => sink.confirmed(token, false),
    );
  });
}

/** `{"error":…}` in a PubAck: the stream refused the message (a PubAck is `{"stream":…}`). */
export function isPubAckError(data: Uint8Array): boolean {
  return data.length < 3 || data[2] === 0x65; // 'e'
}

/**
 * The fastest path: a core publish whose reply subject is one inbox shared by every message; a
 * stream acknowledges the publishes of one connection in order, so the n-th PubAck on the inbox
 * answers the n-th publish.
 */
export async function jetstreamCorePublisher(
  target: Target,
  sink: ConfirmSink,
): Promise<PublishLink> {
  const nc = await open(target, (err) => sink.error(err));
  const inbox = createInbox();
  const tokens = new TokenQueue();
  nc.subscribe(inbox, {
    callback: (err, msg) => {
      const token = tokens.shift();
      if (token === undefined) sink.error(new Error('a PubAck for no publish'));
      else sink.confirmed(token, err === null && !isPubAckError(msg.data));
    },
  });
  // The subscription is known to the server before the first publish asks for a reply on it.
  await nc.flush();
  return publishLink(nc, (payload, token) => {
    nc.publish(target.subject, payload, { reply: inbox });
    tokens.push(token);
  });
}

/** A pull consumer through `consume()`: up to `prefetch` messages pulled at once, each acked. */
export async function jetstreamConsumer(
  target: Target,
  prefetch: number,
  sink: DeliverySink,
): Promise<ConsumeLink> {
  const nc = await open(target, (err) => sink.error(err));
  const consumer = await jetstream(nc).consumers.get(target.queue, JS_CONSUMER);
  const messages = await consumer.consume({
    max_messages: prefetch,
    callback: (m) => {
      const d = m.data;
      sink.received(
        Buffer.from(d.buffer, d.byteOffset, d.byteLength),
        0,
        d.byteLength,
        m.redelivered,
      );
      m.ack();
      sink.acked();
    },
  });
  return {
    async close() {
      await messages.close();
      await nc.close();
    },
  };
}
