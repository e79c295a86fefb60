/** The Producer's options, and their validation into the settings it runs with. */
import { MAX_INT32, OptionError } from '@zmq-mq/protocol';
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
import { parseEndpointCurves, type CurveOptions, type CurveSocketOptions } from './curve-options';
import type { ConfirmingProducerOptions } from './confirming-producer';

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
  /**
   * Confirmed sends (default false): the producer speaks to the broker's reliable port instead
   * of its ingress (`connect`: one reliable endpoint, default `tcp://127.0.0.1:5558`), and
   * `send()` resolves only once the broker has stored the message durably in every queue its
   * topic matches (CONFIRM), rejecting with `NackError` or `TimeoutError` otherwise. It is a
   * `ConfirmingProducer` inside; the options below are its own.
   */
  confirm?: boolean;
  /** confirm: sends waiting for their CONFIRM at most (default 1000); `send()` waits past it. */
  window?: number;
  /** confirm: how long `send()` waits for its CONFIRM or NACK, ms (default 30 000). */
  confirmTimeoutMs?: number;
  /** confirm: messages in one PUBLISH at most (default 256). */
  maxBatch?: number;
  /** confirm: NACK (`no-queue`) a message no queue takes instead of confirming it. */
  mandatory?: boolean;
  /** confirm: heartbeat interval to propose, ms (default 1000). */
  heartbeatMs?: number;
  /** confirm: the name the broker's monitor shows. */
  name?: string;
  /** confirm: ZeroMQ receive high-water mark, in commands (default 1000). */
  receiveHighWaterMark?: number;
}

/** Options that only confirmed sends take, and those that only the best-effort ingress takes. */
const CONFIRM_ONLY = [
  'window',
  'confirmTimeoutMs',
  'maxBatch',
  'mandatory',
  'heartbeatMs',
  'name',
  'receiveHighWaterMark',
] as const;
const INGRESS_ONLY = ['queueMaxMessages', 'queuePolicy', 'readySettleMs'] as const;

/**
 * The ConfirmingProducer's options for a Producer created with `confirm: true`, or undefined
 * for a best-effort one. Throws `OptionError` for an option of the other kind.
 */
export function confirmingOptions<M extends TopicMap>(
  options: ProducerOptions<M>,
): ConfirmingProducerOptions<M> | undefined {
  if (options.confirm !== undefined && typeof options.confirm !== 'boolean') {
    throw new OptionError('confirm', options.confirm, 'must be true or false');
  }
  const confirm = options.confirm === true;
  const foreign = confirm ? INGRESS_ONLY : CONFIRM_ONLY;
  for (const key of foreign) {
    if (options[key] !== undefined) {
      throw new OptionError(
        key,
        options[key],
        confirm
          ? 'does not apply with confirm: true (window bounds the sends waiting for the broker)'
          : 'applies only with confirm: true',
      );
    }
  }
  if (!confirm) return undefined;
  const {
    confirm: _confirm,
    readySettleMs: _settle,
    queueMaxMessages: _max,
    queuePolicy: _policy,
    ...rest
  } = options;
  return rest;
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
  /**
   * Per link, one per endpoint in order: pause between its subscription and its use, and its
   * socket's options.
   */
  readonly links: readonly LinkSettings[];
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
    links: parseEndpointCurves(options, endpoints).map((curve) => ({
      settleMs,
      linger,
      sendHighWaterMark,
      curve,
    })),
    closeTimeoutMs,
  };
}
