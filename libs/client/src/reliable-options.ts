/**
 * Defaults and validation of the reliable-port clients (ConfirmingProducer, QueueWorker). A bad
 * value throws `OptionError` naming the option and the value, before any socket is made.
 */
import { DEFAULT_HEARTBEAT_MS, MAX_INT32, OptionError } from '@zmq-mq/protocol';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_RECEIVE_HWM,
  DEFAULT_RELIABLE,
  DEFAULT_SEND_HWM,
  parseEndpoints,
  parseInteger,
} from './options';
import { parseEndpointCurves, type CurveOptions, type CurveSocketOptions } from './curve-options';

/** Confirmed sends that may wait for their CONFIRM at once; `send()` waits past it. */
export const DEFAULT_CONFIRM_WINDOW = 1_000;
/** How long a confirmed `send()` waits for its CONFIRM or NACK, ms. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 30_000;
/** Messages in one PUBLISH command at most. */
export const DEFAULT_PUBLISH_BATCH = 256;
/** Bytes of messages in one PUBLISH command at most (a single bigger message goes alone). */
export const DEFAULT_PUBLISH_BATCH_BYTES = 1 << 20;
/** Longest wait before pending ACK/NAK/TERM/PROGRESS go out, ms. */
export const DEFAULT_ACK_FLUSH_MS = 5;
/** Pending acknowledgements that are sent at once without waiting for the timer. */
export const DEFAULT_ACK_BATCH = 256;
/** Deliveries a QueueWorker read with `for await` may hold unacknowledged. */
export const DEFAULT_CREDIT = 1;
/** Redelivery delay after a failed handler: `initialMs * factor^(attempt-1)`, at most `maxMs`. */
export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = {
  initialMs: 1_000,
  maxMs: 60_000,
  factor: 2,
};
export { DEFAULT_HEARTBEAT_MS };

/** Exponential backoff of NAK delays by attempt. */
export interface BackoffOptions {
  /** Delay after the first failed attempt, ms (default 1000). */
  initialMs?: number;
  /** Longest delay, ms (default 60 000). */
  maxMs?: number;
  /** Growth per attempt (default 2). */
  factor?: number;
}

/** Options shared by the reliable-port clients (with CURVE's: `serverKey`, `keyFile`, …). */
export interface ReliableOptions extends CurveOptions {
  /** The broker's reliable endpoint (one); default `tcp://127.0.0.1:5558`. */
  connect?: string | readonly string[];
  /** Heartbeat interval to propose, ms (default 1000; the broker's WELCOME decides). */
  heartbeatMs?: number;
  /** Name shown in the broker's monitor. */
  name?: string;
  /** How long `close()` waits for what it drains, ms (default 5000). */
  closeTimeoutMs?: number;
  /** ZeroMQ linger on close, ms (default 1000). */
  lingerMs?: number;
  /** ZeroMQ high-water marks, in commands (default 1000 each). */
  sendHighWaterMark?: number;
  receiveHighWaterMark?: number;
}

/** What a ReliableLink needs, validated. */
export interface LinkSettings {
  endpoint: string;
  heartbeatMs: number;
  name: string | undefined;
  closeTimeoutMs: number;
  socket: {
    linger: number;
    sendHighWaterMark: number;
    receiveHighWaterMark: number;
  } & CurveSocketOptions;
}

export function parseLinkSettings(options: ReliableOptions): LinkSettings {
  const endpoints = parseEndpoints('connect', options.connect, DEFAULT_RELIABLE);
  if (endpoints.length !== 1) {
    throw new OptionError('connect', options.connect, 'takes one reliable endpoint');
  }
  if (
    options.name !== undefined &&
    (typeof options.name !== 'string' || options.name.length > 255)
  ) {
    throw new OptionError('name', options.name, 'must be a string of at most 255 characters');
  }
  const int = (option: keyof ReliableOptions, fallback: number, min: number): number =>
    parseInteger(option, options[option] as number | undefined, fallback, min, MAX_INT32);
  return {
    endpoint: endpoints[0] as string,
    heartbeatMs: int('heartbeatMs', DEFAULT_HEARTBEAT_MS, 10),
    name: options.name,
    closeTimeoutMs: int('closeTimeoutMs', DEFAULT_CLOSE_TIMEOUT_MS, 0),
    socket: {
      ...parseEndpointCurves(options, endpoints)[0],
      linger: int('lingerMs', DEFAULT_LINGER_MS, 0),
      sendHighWaterMark: int('sendHighWaterMark', DEFAULT_SEND_HWM, 0),
      receiveHighWaterMark: int('receiveHighWaterMark', DEFAULT_RECEIVE_HWM, 0),
    },
  };
}

export function parseBackoff(value: BackoffOptions | undefined): Required<BackoffOptions> {
  if (value === undefined) return { ...DEFAULT_BACKOFF };
  if (value === null || typeof value !== 'object') {
    throw new OptionError('backoff', value, 'must be an object { initialMs, maxMs, factor }');
  }
  const backoff = {
    initialMs: parseInteger('backoff.initialMs', value.initialMs, DEFAULT_BACKOFF.initialMs, 0),
    maxMs: parseInteger('backoff.maxMs', value.maxMs, DEFAULT_BACKOFF.maxMs, 0, MAX_INT32),
    factor: value.factor ?? DEFAULT_BACKOFF.factor,
  };
  if (
    typeof backoff.factor !== 'number' ||
    !(backoff.factor >= 1) ||
    !Number.isFinite(backoff.factor)
  ) {
    throw new OptionError('backoff.factor', value.factor, 'must be a finite number >= 1');
  }
  return backoff;
}

/** The NAK delay after a failed attempt: `initialMs * factor^(attempt-1)`, at most `maxMs`. */
export function backoffDelay(attempt: number, backoff: Required<BackoffOptions>): number {
  const delay = backoff.initialMs * backoff.factor ** Math.max(0, attempt - 1);
  return Math.round(Math.min(backoff.maxMs, delay));
}
