/**
 * Defaults and validation shared by Producer, Subscriber and Worker. Every option is checked
 * once, in the constructor, and a bad value throws `OptionError` naming the option and value.
 */
import { codecByName, OptionError, UnknownCodecError } from '@zmq-mq/protocol';
import type { Codec, CodecName } from '@zmq-mq/protocol';

/** The broker's default endpoints (see the broker's README). */
export const DEFAULT_INGRESS = 'tcp://127.0.0.1:5555';
export const DEFAULT_PUBLISH = 'tcp://127.0.0.1:5556';
export const DEFAULT_PUSH = 'tcp://127.0.0.1:5557';
/** The broker's reliable port: confirmed publishes and durable queues. */
export const DEFAULT_RELIABLE = 'tcp://127.0.0.1:5558';

/** Messages the Producer holds while no broker link can take them. */
export const DEFAULT_QUEUE_MAX_MESSAGES = 10_000;
/**
 * Milliseconds between a link's ZMTP handshake and the Producer using it: the time for the
 * broker's subscription to reach our PUB. Measured handshake→subscription here: median 0.1 ms,
 * worst 8 ms idle and 13 ms with both cores busy (libs/client/README.md, "ready()").
 */
export const DEFAULT_READY_SETTLE_MS = 50;
/** How long `ready()` waits for every endpoint before rejecting with `NotReadyError`. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;
/** How long `close()` waits for queued messages to be handed to ZeroMQ. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;
/** ZeroMQ linger (ms) set on close: how long libzmq may keep sending after close. */
export const DEFAULT_LINGER_MS = 1_000;
/** ZeroMQ high-water marks (messages), libzmq's defaults. */
export const DEFAULT_SEND_HWM = 1_000;
export const DEFAULT_RECEIVE_HWM = 1_000;
/** Handlers that `Worker.run()` runs at once. */
export const DEFAULT_CONCURRENCY = 1;

/** What `Producer.send()` does when the local queue is full. */
export type QueuePolicy = 'error' | 'drop' | 'wait';
export const QUEUE_POLICIES: readonly QueuePolicy[] = ['error', 'drop', 'wait'];

/** What the broker's push socket sends: the payload alone (default) or the frames unchanged. */
export type PushFormat = 'payload' | 'full';
export const PUSH_FORMATS: readonly PushFormat[] = ['payload', 'full'];

const ENDPOINT = /^(tcp|ipc|inproc|ws|wss):\/\/\S+$/;
/**
 * Why libzmq would accept a connect to `endpoint` and then never link, if it would: a tcp
 * endpoint whose port is missing, 0 or past 65535, or whose IPv6 address is not bracketed.
 */
function unreachableReason(endpoint: string): string | undefined {
  if (!endpoint.startsWith('tcp://')) return undefined;
  const port = /:(\d{1,5})$/.exec(endpoint)?.[1];
  // The host after any `source;` part: a name, an IPv4 address or a bracketed IPv6 address.
  const target = endpoint.slice(endpoint.lastIndexOf(';') + 1).replace(/^tcp:\/\//, '');
  const host = port === undefined ? '' : target.slice(0, -port.length - 1);
  if (port === undefined || host === '' || !/^(\[[^\][]+\]|[^:\][]+)$/.test(host)) {
    return 'a tcp endpoint must be tcp://host:port (an IPv6 address in brackets: tcp://[::1]:5555)';
  }
  const n = Number(port);
  return n >= 1 && n <= 65535 ? undefined : 'the port must be 1..65535';
}

/** One endpoint or several; returns a non-empty list of distinct endpoints. */
export function parseEndpoints(
  option: string,
  value: string | readonly string[] | undefined,
  fallback: string,
): string[] {
  const list = value === undefined ? [fallback] : typeof value === 'string' ? [value] : [...value];
  if (list.length === 0) throw new OptionError(option, value, 'needs at least one endpoint');
  for (const ep of list) {
    if (typeof ep !== 'string' || !ENDPOINT.test(ep)) {
      throw new OptionError(option, ep, 'must be a ZeroMQ endpoint such as tcp://127.0.0.1:5555');
    }
    const reason = unreachableReason(ep);
    if (reason !== undefined) throw new OptionError(option, ep, reason);
  }
  if (new Set(list).size !== list.length) {
    throw new OptionError(option, value, 'lists the same endpoint twice');
  }
  return list;
}

/** An integer in [min, max]; `undefined` gives the fallback. */
export function parseInteger(
  option: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    throw new OptionError(option, value, `must be an integer ${range}`);
  }
  return value;
}

/** One of a fixed set of names. */
export function parseChoice<T extends string>(
  option: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new OptionError(option, value, `must be one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** A codec given by name (`json`, `msgpack`, `raw`) or as a `Codec` object. */
export function parseCodec(
  option: string,
  value: CodecName | Codec<unknown> | undefined,
  fallback: CodecName,
): Codec<unknown> {
  if (value === undefined) return codecByName(fallback);
  if (typeof value === 'object' && value !== null && typeof value.encode === 'function') {
    return value;
  }
  try {
    return codecByName(value as string);
  } catch (err) {
    if (err instanceof UnknownCodecError) {
      throw new OptionError(option, value, 'must be json, msgpack, raw or a Codec');
    }
    throw err;
  }
}
