// The load processes' side of each system: a publishing link with confirms and a consuming
// link with manual acks, behind one interface, so that one producer and one consumer program
// drive every system the same way.
import type { DriverId, Target } from './messages';
import { jetstreamConsumer, jetstreamCorePublisher, jetstreamPublisher } from './jetstream-link';
import { rabbitmqConsumer, rabbitmqPublisher } from './rabbitmq-link';
import { zmqMqConsumer, zmqMqPublisher } from './zmq-mq-link';

/** Where a publishing link reports the fate of each message. */
export interface ConfirmSink {
  /** The message published with `token` was confirmed (`ok`) or refused by the system. */
  confirmed(token: number, ok: boolean): void;
  /** An error the client library reported that is not one message's refusal. */
  error(err: unknown): void;
}

export interface PublishLink {
  /**
   * Publishes `payload` (the link may keep the buffer); `sink.confirmed(token, ok)` follows once
   * the system has confirmed or refused it.
   */
  publish(payload: Buffer, token: number): void;
  /** Ends a batch of publish() calls (zmq-mq sends the batch as one PUBLISH command). */
  flush(): void;
  /** False while the client's transport pushes back: wait for drained() before publishing more. */
  writable(): boolean;
  drained(): Promise<void>;
  close(): Promise<void>;
}

/** Where a consuming link hands each delivery. */
export interface DeliverySink {
  /** One delivered message's payload, `buf[start, end)`, valid during the call. */
  received(buf: Buffer, start: number, end: number, redelivered: boolean): void;
  /** Every message received since the last call has been acked (the ack handed to the client). */
  acked(): void;
  error(err: unknown): void;
}

export interface ConsumeLink {
  close(): Promise<void>;
}

/** Connects a publishing link to `target`. */
export function openPublisher(target: Target, sink: ConfirmSink): Promise<PublishLink> {
  const open: Record<DriverId, (target: Target, sink: ConfirmSink) => Promise<PublishLink>> = {
    'zmq-mq': zmqMqPublisher,
    'zmq-mq-jetstream': zmqMqPublisher,
    'jetstream-publish': jetstreamPublisher,
    'jetstream-core': jetstreamCorePublisher,
    rabbitmq: rabbitmqPublisher,
  };
  return open[target.driver](target, sink);
}

/** Connects a consuming link to `target`, holding at most `prefetch` unacked deliveries. */
export function openConsumer(
  target: Target,
  prefetch: number,
  sink: DeliverySink,
): Promise<ConsumeLink> {
  switch (target.driver) {
    case 'zmq-mq':
    case 'zmq-mq-jetstream':
      return zmqMqConsumer(target, prefetch, sink);
    case 'jetstream-publish':
    case 'jetstream-core':
      return jetstreamConsumer(target, prefetch, sink);
    case 'rabbitmq':
      return rabbitmqConsumer(target, prefetch, sink);
  }
}
