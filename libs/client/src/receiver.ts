import { EventEmitter } from 'node:events';
import { MAX_INT32 } from '@zmq-mq/protocol';
import type { Envelope, TopicMap } from '@zmq-mq/protocol';
import type { Pull, Subscriber as ZmqSubscriber } from 'zeromq';
import { parseEndpointCurves, type CurveOptions, type CurveSocketOptions } from './curve-options';
import { BusyError, ClosedError, NotReadyError } from './errors';
import type { ClientRole, HandshakeError } from './errors';
import type { ConnectionEvents } from './events';
import { forwardConnectionEvents } from './events';
import { connectSocket, Waiters } from './links';
import {
  DEFAULT_LINGER_MS,
  DEFAULT_READY_SETTLE_MS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_RECEIVE_HWM,
  parseInteger,
} from './options';

/** Called for every message that cannot be decoded; the iteration goes on. */
export type DecodeErrorHook = (error: Error, frames: readonly Buffer[]) => void;

/** A hook that keeps throwing is warned about at most once per this long (ms). */
const HOOK_WARNING_INTERVAL_MS = 10_000;

/** Options shared by Subscriber and Worker (with CURVE's: `serverKey`, `keyFile`, …). */
export interface ReceiverOptions<M extends TopicMap> extends CurveOptions {
  /** Topic map: received envelopes are typed by it; topics outside it are undecodable. */
  topics?: M;
  /** Called with each undecodable message (the error and the raw frames); default: none (counted only). */
  onError?: DecodeErrorHook;
  /** ZeroMQ receive high-water mark, in messages (default 1000). */
  receiveHighWaterMark?: number;
  /** Pause between the handshake and `ready()` resolving, in ms (default 50). */
  readySettleMs?: number;
  /** ZeroMQ linger on close, in ms (default 1000; nothing is sent, so it rarely matters). */
  lingerMs?: number;
}

/** What a receiver's socket is made and connected with. */
export interface ReceiverSettings {
  /** The socket's options (with CURVE: this client's pair, and the first endpoint's server key). */
  socket: { linger: number; receiveHighWaterMark: number } & CurveSocketOptions;
  settleMs: number;
  /** Each endpoint's CURVE server key, in order (none without CURVE). */
  serverKeys: Array<string | undefined>;
}

/**
 * The Subscriber's and Worker's options that every receiver has, validated before their socket
 * is created (a bad value throws `OptionError` and leaves nothing open).
 */
export function receiverSettings(
  options: ReceiverOptions<TopicMap>,
  endpoints: readonly string[],
): ReceiverSettings {
  const curves = parseEndpointCurves(options, endpoints);
  return {
    serverKeys: curves.map((c) => c.curveServerKey),
    socket: {
      ...curves[0],
      linger: parseInteger('lingerMs', options.lingerMs, DEFAULT_LINGER_MS, 0, MAX_INT32),
      receiveHighWaterMark: parseInteger(
        'receiveHighWaterMark',
        options.receiveHighWaterMark,
        DEFAULT_RECEIVE_HWM,
        0,
        MAX_INT32,
      ),
    },
    settleMs: parseInteger(
      'readySettleMs',
      options.readySettleMs,
      DEFAULT_READY_SETTLE_MS,
      0,
      MAX_INT32,
    ),
  };
}

export interface ReceiverStats {
  /** Messages received from ZeroMQ. */
  readonly received: number;
  /** Messages decoded and handed to the reader. */
  readonly delivered: number;
  /** Messages that could not be decoded (reported to `onError`, skipped). */
  readonly undecodable: number;
  /**
   * Times a hook of ours (`onError`, `onHandlerError`) threw: reported as a process warning
   * (`ZMQMQ_HOOK_THREW`, at most one per hook per 10 s) and the receiving goes on.
   */
  readonly hookErrors: number;
}

/**
 * The receiving side shared by Subscriber (SUB) and Worker (PULL): one socket connected to
 * every endpoint, one reading loop at a time, decoding with `decode`.
 */
export abstract class Receiver<E extends Envelope<unknown>>
  extends EventEmitter<ConnectionEvents>
  implements AsyncIterable<E>
{
  protected closed = false;
  private reading = false;
  private received = 0;
  private delivered = 0;
  private undecodable = 0;
  private hookErrors = 0;
  private readonly hookWarned = new Map<string, { at: number; since: number }>();
  /**
   * Links up, per endpoint name. Counted, not a set: two endpoints that resolve to one address
   * (`tcp://localhost:P` and `tcp://127.0.0.1:P`) come back from a reconnection under one name.
   */
  private readonly links = new Map<string, number>();
  /** Endpoints whose peer refused our socket type (likely the wrong port). */
  private readonly refused = new Set<string>();
  /** The last handshake failure of each endpoint, until its next handshake. */
  private readonly failures = new Map<string, HandshakeError>();
  private readonly readyWaiters = new Waiters();
  private readonly settleMs: number;
  private settleTimer: NodeJS.Timeout | undefined;
  private settled = false;

  protected constructor(
    private readonly what: ClientRole,
    protected readonly socket: ZmqSubscriber | Pull,
    private readonly endpoints: readonly string[],
    private readonly decode: (frames: Buffer[]) => E,
    private readonly onError: DecodeErrorHook | undefined,
    settings: ReceiverSettings,
  ) {
    super();
    this.settleMs = settings.settleMs;
    forwardConnectionEvents(socket, this, endpoints, what, (type, address, failure) => {
      if (failure !== undefined) this.failures.set(address, failure);
      if (type === 'handshake') {
        this.failures.delete(address);
        this.links.set(address, (this.links.get(address) ?? 0) + 1);
        let up = 0;
        for (const n of this.links.values()) up += n;
        if (up >= this.endpoints.length) this.settle();
      } else if (type === 'disconnect') {
        const up = this.links.get(address) ?? 0;
        if (up > 0) this.links.set(address, up - 1);
        clearTimeout(this.settleTimer);
        this.settled = false;
      } else if (type === 'refused') this.refused.add(address);
    });
    connectSocket(socket, endpoints, settings.serverKeys);
  }

  /**
   * Decoded envelopes, in arrival order, until `close()`. Undecodable messages are counted,
   * passed to `onError`, and skipped: they never end the iteration. One reader at a time
   * (a second one throws `BusyError`). Breaking out of the loop does not close the socket.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<E, void, undefined> {
    for await (const frames of this.frames()) {
      let env: E;
      try {
        env = this.decode(frames);
      } catch (err) {
        this.undecodable++;
        if (this.onError !== undefined)
          this.callHook('onError', this.onError, err as Error, frames);
        continue;
      }
      this.delivered++;
      yield env;
    }
  }

  /** The raw frames of each message as received, until `close()`; one reader at a time. */
  async *frames(): AsyncGenerator<Buffer[], void, undefined> {
    if (this.closed) throw new ClosedError(this.what);
    if (this.reading) throw new BusyError(this.what);
    this.reading = true;
    try {
      for (;;) {
        let frames: Buffer[];
        try {
          frames = await this.socket.receive();
        } catch (err) {
          if (this.closed || this.socket.closed) return;
          throw err;
        }
        this.received++;
        yield frames;
      }
    } finally {
      this.reading = false;
    }
  }

  /**
   * Resolves once every endpoint has completed its handshake, plus `readySettleMs` for our
   * subscription to reach the broker. Rejects with `NotReadyError` after `timeoutMs` (naming
   * the endpoints that refused our socket type, if any).
   */
  ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError(this.what));
    if (this.settled) return Promise.resolve();
    return this.readyWaiters.wait(timeoutMs, () => {
      // Two endpoints that resolve to one address count under one name: if no endpoint looks
      // missing, all are named.
      const missing = this.endpoints.filter((e) => (this.links.get(e) ?? 0) === 0);
      const named = missing.length > 0 ? missing : this.endpoints;
      return new NotReadyError(
        named,
        timeoutMs,
        named.filter((e) => this.refused.has(e)),
        named.flatMap((e) => this.failures.get(e) ?? []),
      );
    });
  }

  stats(): ReceiverStats {
    return {
      received: this.received,
      delivered: this.delivered,
      undecodable: this.undecodable,
      hookErrors: this.hookErrors,
    };
  }

  /**
   * Calls a hook the application gave us. If it throws, the error is counted (`hookErrors`)
   * and reported as a process warning, and the caller goes on: a bug in a hook must neither
   * end the iteration nor leave a `run()` slot taken.
   */
  protected callHook<A extends unknown[]>(
    name: string,
    hook: (...args: A) => void,
    ...args: A
  ): void {
    try {
      hook(...args);
    } catch (err) {
      this.hookErrors++;
      // One warning per hook per interval: a hook that throws on every message of a flood
      // must not turn each into a write to stderr.
      const now = Date.now();
      const last = this.hookWarned.get(name);
      if (last !== undefined && now - last.at < HOOK_WARNING_INTERVAL_MS) {
        last.since++;
        return;
      }
      const since = last === undefined ? '' : ` (${last.since} more times since the last warning)`;
      this.hookWarned.set(name, { at: now, since: 0 });
      process.emitWarning(`zmq-mq ${this.what}: ${name} threw${since}; going on: ${String(err)}`, {
        type: 'ZmqMqWarning',
        code: 'ZMQMQ_HOOK_THREW',
        detail: err instanceof Error ? err.stack : undefined,
      });
    }
  }

  /**
   * Closes the socket: a pending iteration ends normally. Messages ZeroMQ had received but not
   * yet handed over are discarded. Idempotent; no handle stays open.
   */
  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.settleTimer);
      this.socket.close();
      this.readyWaiters.rejectAll(new ClosedError(this.what));
    }
    return Promise.resolve();
  }

  private settle(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => {
      this.settled = true;
      this.readyWaiters.resolveAll();
    }, this.settleMs);
  }
}
