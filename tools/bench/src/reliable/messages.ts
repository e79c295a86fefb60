// What the orchestrator and the durable-queue load processes say to each other over the Node
// IPC channel. Each child takes its config as JSON in argv[2] (messages.ts: childConfig).
import type { ConsumerReport } from '../messages';

/** The systems compared: ours (on its embedded store, and on JetStream) and the two peers. */
export type SystemId = 'zmq-mq' | 'zmq-mq-jetstream' | 'jetstream' | 'rabbitmq';

export const SYSTEM_IDS: readonly SystemId[] = [
  'zmq-mq',
  'zmq-mq-jetstream',
  'jetstream',
  'rabbitmq',
];

/**
 * One way of driving a system. JetStream has two: its documented `js.publish()` (a request per
 * message, an async window of PubAck promises) and its fastest, a core publish with one reply
 * inbox for every PubAck.
 */
export type DriverId =
  'zmq-mq' | 'zmq-mq-jetstream' | 'jetstream-publish' | 'jetstream-core' | 'rabbitmq';

/**
 * How the benchmark's NATS clients log in to servers it did not start (`--store nats://…`), as
 * the broker's flags name them. The password travels to the load processes in their
 * environment (NATS_PASSWORD_ENV), not in their arguments.
 */
export interface NatsAuth {
  user?: string;
  password?: string;
  credsFile?: string;
  tlsCaFile?: string;
}

/** The variable that carries the NATS password to the load processes and to our broker. */
export const NATS_PASSWORD_ENV = 'ZMQMQ_NATS_PASSWORD';

/** The queue (stream) one run is set up with, and the topic (subject) of its messages. */
export interface QueueNames {
  /** zmq-mq's queue, JetStream's stream, RabbitMQ's queue. */
  queue: string;
  /** zmq-mq topic / JetStream subject of every message; the queue takes `prefix`. */
  subject: string;
  prefix: string;
}

/** The names of a run on servers the benchmark started for it (nothing else is there). */
export const LOCAL_NAMES: QueueNames = {
  queue: 'bench',
  subject: 'bench.reliable',
  prefix: 'bench.',
};

/** Where the load processes connect, and how they speak. */
export interface Target extends QueueNames {
  driver: DriverId;
  /**
   * `tcp://127.0.0.1:P` (zmq-mq), `amqp://guest:guest@127.0.0.1:P`, or NATS servers:
   * `nats://H:P[,nats://H:P…]`.
   */
  url: string;
  /** NATS servers that want a login or TLS (password from NATS_PASSWORD_ENV). */
  nats?: NatsAuth;
}

/** JetStream's durable pull consumer (one per stream). */
export const JS_CONSUMER = 'worker';

export interface ReliableProducerConfig {
  id: number;
  target: Target;
  payloadBytes: number;
  /** Unconfirmed publishes in flight at most. */
  confirmWindow: number;
}

export interface ReliableConsumerConfig {
  target: Target;
  /** Producer count: the consumer is ready once probes from each have been acked. */
  producers: number;
  /** Unacked deliveries the system may hand the consumer at once (prefetch, credit). */
  prefetch: number;
}

/**
 * The measured window, `[startNs, endNs)` on the monotonic clock every process of this machine
 * shares (payload.ts: nowNs). Before it, probes are sent (producers) and acked the same way.
 */
export interface MeasuredWindow {
  startNs: number;
  endNs: number;
}

export type ToReliableProducer =
  ({ type: 'go' } & MeasuredWindow) | { type: 'progress' } | { type: 'exit' };

export interface ReliableProducerDone {
  type: 'done';
  /** Measured messages published, numbered 1..sent. */
  sent: number;
  /** Measured messages the system confirmed. */
  confirmed: number;
  /** Measured messages the system refused (NACK, a PubAck error, a basic.nack). */
  nacked: number;
  /** Measured messages neither confirmed nor refused when the producer stopped waiting. */
  unconfirmed: number;
  /** Confirms (probes included) that arrived inside the measured window. */
  windowConfirmed: number;
  /** Errors the client library reported (a failed publish, a closed connection). */
  errors: number;
}

export type FromReliableProducer =
  | { type: 'connected' }
  | {
      type: 'progress';
      /** Every message the system has confirmed so far, warm-up probes included. */
      confirmedTotal: number;
    }
  | ReliableProducerDone;

export interface ReliableConsumerReport extends ConsumerReport {
  /** Every message acked, warm-up probes and duplicates included. */
  acked: number;
  /** Deliveries the system marked as redelivered (attempt > 1, redelivered flag). */
  redelivered: number;
  /** Errors the client library reported. */
  errors: number;
  /** Acks (probes included, duplicates not) handed to the client inside the measured window. */
  windowAcked: number;
}

export type ToReliableConsumer =
  | ({ type: 'window' } & MeasuredWindow)
  | { type: 'progress' }
  | { type: 'report' }
  | { type: 'exit' };

export type FromReliableConsumer =
  | { type: 'connected' }
  | { type: 'ready' }
  | {
      type: 'progress';
      /** Every message acked so far, warm-up probes included. */
      acked: number;
      /** Distinct measured messages acked so far. */
      measured: number;
    }
  | { type: 'report'; report: ReliableConsumerReport };

/** Sends to the orchestrator; a child started without IPC is a usage error. */
export function tell(message: FromReliableProducer | FromReliableConsumer): void {
  if (!process.send) throw new Error('this program is started by the benchmark orchestrator (IPC)');
  process.send(message);
}
