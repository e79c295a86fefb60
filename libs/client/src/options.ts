/**
 * Defaults and validation shared by Producer, Subscriber and Worker. Every option is checked
 * once, in the constructor, and a bad value throws `OptionError` naming the option and value.
 */
import {
  codecByName,
  OptionError,
  parseChoice as parseChoiceOf,
  parseConnectEndpoints,
  parseInteger as parseIntegerIn,
  UnknownCodecError,
} from '@zmq-mq/protocol';
import type { Codec, CodecName } from '@zmq-mq/protocol';

// Defined in @zmq-mq/protocol, shared with the broker.
export {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  DEFAULT_RELIABLE,
  PUSH_FORMATS,
} from '@zmq-mq/protocol';
export type { PushFormat } from '@zmq-mq/protocol';

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

/** Endpoints to connect to (`parseConnectEndpoints` of @zmq-mq/protocol). */
export const parseEndpoints = parseConnectEndpoints;

/** An integer in [min, max]; `undefined` gives the fallback. */
export function parseInteger(
  option: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  return value === undefined ? fallback : parseIntegerIn(option, value, { min, max });
}

/** One of a fixed set of names; `undefined` gives the fallback. */
export function parseChoice<T extends string>(
  option: string,
  value: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  return value === undefined ? fallback : parseChoiceOf(option, value, choices);
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
