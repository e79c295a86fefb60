/** The Producer's options, and their validation into the settings it runs with. */
import { MAX_INT32 } from '@zmq-mq/protocol';
import type { Codec, CodecName, SendMeta, TopicMap, TopicSpec } from '@zmq-mq/protocol';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_INGRESS,
  DEFAULT_LINGER_MS,
  DEFAULT_QUEUE_MAX_MESSAGES,
  DEFAULT_SEND_HWM,
  parseChoice,
  parseCodec,
  parseEndpoints,
  parseInteger,
  QUEUE_POLICIES,
} from './options';
import type { QueuePolicy } from './options';
import { parseCurveOptions, type CurveOptions, type CurveSocketOptions } from './curve-options';

/** The topic map of an untyped client: any valid topic, bodies encoded by the default codec. */
export type UntypedTopics = Record<string, TopicSpec<unknown>>;

export interface ProducerOptions<M extends TopicMap> extends CurveOptions {
  /** Broker ingress endpoint(s); default `tcp://127.0.0.1:5555`. With several, messages are spread. */
  connect?: string | readonly string[];
  /** Topic map: `send()` is typed by it and encodes with each topic's codec. */
  topics?: M;
  /** Codec of an untyped producer (no `topics`): `json` (default), `msgpack`, `raw` or a Codec. */
  codec?: CodecName | Codec<unknown>;
  /** Attach the metadata frame (default true); false sends bare `topic SP payload` frames. */
  metadata?: boolean;
  /** Messages held locally while no link can take them (default 10 000). */
  queueMaxMessages?: number;
  /** When the queue is full: `'error'` rejects with `QueueFullError` (default), `'drop'` counts and drops the new message, `'wait'` resolves once it fits. */
  queuePolicy?: QueuePolicy;
  /** ZeroMQ send high-water mark per link, in messages (default 1000). */
  sendHighWaterMark?: number;
  /** Extra pause between the broker's subscription reaching a link and its use, in ms (default 0). */
  readySettleMs?: number;
  /** How long `close()` waits for the queue to drain, in ms (default 5000). */
  closeTimeoutMs?: number;
  /** ZeroMQ linger on close, in ms (default 1000). */
  lingerMs?: number;
}

/** Per-message options: metadata (`id`, `timestamp`, `headers`) and whether to attach it. */
export interface SendOptions extends SendMeta {
  metadata?: boolean;
}

/** The producer's default `readySettleMs`: none, the subscription itself is the signal. */
const DEFAULT_PRODUCER_SETTLE_MS = 0;

/** What the Producer runs with: every option checked, defaults filled in. */
export interface ProducerSettings {
  readonly endpoints: readonly string[];
  readonly codec: Codec<unknown>;
  readonly metadata: boolean;
  readonly queueMax: number;
  readonly policy: QueuePolicy;
  /** Per link: pause between its subscription and its use, and its socket's options. */
  readonly link: LinkSettings;
  readonly closeTimeoutMs: number;
}

/** What each link of a Producer is made with. */
export interface LinkSettings {
  readonly settleMs: number;
  readonly linger: number;
  readonly sendHighWaterMark: number;
  /** CURVE's socket options (none without `serverKey`). */
  readonly curve: CurveSocketOptions;
}

/**
 * Checks every option, before any socket exists: a bad value throws `OptionError` naming the
 * option and the value, and leaves nothing open.
 */
export function parseProducerOptions(options: ProducerOptions<TopicMap>): ProducerSettings {
  const endpoints = parseEndpoints('connect', options.connect, DEFAULT_INGRESS);
  const codec = parseCodec('codec', options.codec, 'json');
  const queueMax = parseInteger(
    'queueMaxMessages',
    options.queueMaxMessages,
    DEFAULT_QUEUE_MAX_MESSAGES,
    1,
  );
  const policy = parseChoice('queuePolicy', options.queuePolicy, QUEUE_POLICIES, 'error');
  const settleMs = parseInteger(
    'readySettleMs',
    options.readySettleMs,
    DEFAULT_PRODUCER_SETTLE_MS,
    0,
    MAX_INT32,
  );
  const closeTimeoutMs = parseInteger(
    'closeTimeoutMs',
    options.closeTimeoutMs,
    DEFAULT_CLOSE_TIMEOUT_MS,
    0,
    MAX_INT32,
  );
  const linger = parseInteger('lingerMs', options.lingerMs, DEFAULT_LINGER_MS, 0, MAX_INT32);
  const sendHighWaterMark = parseInteger(
    'sendHighWaterMark',
    options.sendHighWaterMark,
    DEFAULT_SEND_HWM,
    0,
    MAX_INT32,
  );
  return {
    endpoints,
    codec,
    metadata: options.metadata ?? true,
    queueMax,
    policy,
    link: { settleMs, linger, sendHighWaterMark, curve: parseCurveOptions(options) },
    closeTimeoutMs,
  };
}
