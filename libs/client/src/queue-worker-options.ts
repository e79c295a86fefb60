/**
 * The QueueWorker's options, stats and events, and the validation of its options: a bad value
 * throws `OptionError` naming the option, before any socket is made.
 */
import {
  decodeEnvelope,
  decodeTyped,
  encodeDeclare,
  isQueueName,
  MAX_CREDIT,
  MAX_ENTRIES,
  MAX_INT32,
  OptionError,
} from '@zmq-mq/protocol';
import type { Codec, CodecName, Envelope, QueueDeclaration, TopicMap } from '@zmq-mq/protocol';
import type { BrokerError, HandlerError } from './errors';
import { parseCodec, parseInteger } from './options';
import type { DecodeErrorHook } from './receiver';
import type { ReliableEvents } from './reliable-link';
import {
  DEFAULT_ACK_BATCH,
  DEFAULT_ACK_FLUSH_MS,
  DEFAULT_CREDIT,
  parseBackoff,
  parseLinkSettings,
} from './reliable-options';
import type { BackoffOptions, LinkSettings, ReliableOptions } from './reliable-options';

export interface QueueWorkerOptions<M extends TopicMap> extends ReliableOptions {
  /** The queue to consume. */
  queue: string;
  /** When given, the queue is declared (DECLARE) with these prefixes and limits before consuming. */
  declare?: Omit<QueueDeclaration, 'queue'>;
  /** Topic map: deliveries are typed by it; topics outside it are undecodable. */
  topics?: M;
  /** Codec of bare messages (no metadata frame) for an untyped worker; default `json`. */
  codec?: CodecName | Codec<unknown>;
  /** Deliveries a `for await` loop may hold unacknowledged (default 1). `run()` uses its concurrency. */
  credit?: number;
  /** How long a delivery stays leased without ack, nak, term or progress, ms (default: the broker's). */
  ackWaitMs?: number;
  /** Longest wait before acknowledgements go out, ms (default 5). */
  ackFlushMs?: number;
  /** Acknowledgements sent at once without waiting (default 256, or half the credit if less). */
  ackBatch?: number;
  /** Delay of the NAK after a `run()` handler fails, by attempt (default 1 s doubling to 60 s). */
  backoff?: BackoffOptions;
  /** Called with each delivery that cannot be decoded (it is TERMed); default: none (counted). */
  onError?: DecodeErrorHook;
}

export interface QueueRunOptions {
  /** Handlers running at once, and the credit asked of the broker (default 1). */
  concurrency?: number;
  /** Called when a handler throws or rejects (the delivery is NAKed with backoff). */
  onHandlerError?: (error: HandlerError) => void;
}

export interface QueueWorkerStats {
  /** Messages the broker delivered. */
  readonly delivered: number;
  /** Deliveries that could not be decoded (TERMed with the reason). */
  readonly undecodable: number;
  readonly acked: number;
  readonly naked: number;
  readonly termed: number;
  readonly progressed: number;
  /** Acknowledgements dropped because a new epoch (or a lost session) voided their tags. */
  readonly stale: number;
  /** `run()` handlers that threw or rejected. */
  readonly handlerErrors: number;
  /** Times an `onError` or `onHandlerError` hook threw (reported as a process warning). */
  readonly hookErrors: number;
  /** Deliveries beyond the credit asked for (a broker that breaks the protocol). */
  readonly beyondCredit: number;
  /** Deliveries held now (unsettled), and those not yet handed to the reader. */
  readonly held: number;
  readonly buffered: number;
  readonly reconnects: number;
  readonly undecodableCommands: number;
}

/** Events of a QueueWorker: connection and session events, and ERROR replies. */
export interface QueueWorkerEvents extends ReliableEvents {
  'broker-error': [BrokerError];
}

/** A QueueWorker's options, validated. */
export interface QueueWorkerSettings {
  link: LinkSettings;
  queue: string;
  declaration: Omit<QueueDeclaration, 'queue'> | undefined;
  decode: (frames: Buffer[]) => Envelope<unknown>;
  credit: number;
  ackWaitMs: number | undefined;
  ackFlushMs: number;
  ackBatch: number;
  backoff: Required<BackoffOptions>;
  onError: DecodeErrorHook | undefined;
}

export function parseQueueWorkerOptions<M extends TopicMap>(
  options: QueueWorkerOptions<M>,
): QueueWorkerSettings {
  if (!isQueueName(options?.queue)) {
    throw new OptionError('queue', options?.queue, 'must be a queue name of 1..64 [A-Za-z0-9._-]');
  }
  const link = parseLinkSettings(options);
  const queue = options.queue;
  const declaration = options.declare;
  if (declaration !== undefined) {
    // Checked now, with the protocol's rules, rather than when the worker starts.
    try {
      encodeDeclare({ ...declaration, queue });
    } catch (err) {
      throw new OptionError('declare', declaration, (err as Error).message);
    }
  }
  const codec = parseCodec('codec', options.codec, 'json');
  const topics = options.topics;
  return {
    link,
    queue,
    declaration,
    decode:
      topics === undefined
        ? (frames) => decodeEnvelope(frames, { codec })
        : (frames) => decodeTyped(topics, frames, 'publish'),
    credit: parseInteger('credit', options.credit, DEFAULT_CREDIT, 1, MAX_CREDIT),
    ackWaitMs:
      options.ackWaitMs === undefined
        ? undefined
        : parseInteger('ackWaitMs', options.ackWaitMs, 0, 1, MAX_INT32),
    ackFlushMs: parseInteger('ackFlushMs', options.ackFlushMs, DEFAULT_ACK_FLUSH_MS, 0, MAX_INT32),
    ackBatch: parseInteger('ackBatch', options.ackBatch, DEFAULT_ACK_BATCH, 1, MAX_ENTRIES),
    backoff: parseBackoff(options.backoff),
    onError: options.onError,
  };
}
