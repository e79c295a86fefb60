import { EventEmitter } from 'node:events';
import { encodeEnvelope, encodeTyped } from '@zmq-mq/protocol';
import type { BodyOf, Codec, TopicMap, TopicOf } from '@zmq-mq/protocol';
import { ConfirmingProducer, type ConfirmingProducerStats } from './confirming-producer';
import {
  ClosedError,
  isZmqErrorCode,
  NotReadyError,
  QueueFullError,
  TimeoutError,
  type BrokerError,
} from './errors';
import type { ConnectionEvent } from './events';
import { connectAll, Waiters } from './links';
import { DEFAULT_READY_TIMEOUT_MS } from './options';
import type { QueuePolicy } from './options';
import { Link } from './producer-link';
import { confirmingOptions, parseProducerOptions } from './producer-options';
import type { LinkSettings, ProducerOptions, SendOptions, UntypedTopics } from './producer-options';
import { FrameQueue } from './queue';
import type { ReliableEvents } from './reliable-link';

export interface LinkStats {
  readonly endpoint: string;
  /** True while the link is usable (the broker subscribed on this connection, no disconnect since). */
  readonly up: boolean;
  readonly sent: number;
}

export interface ProducerStats {
  /** Messages accepted by `send()` (queued or handed over). */
  readonly accepted: number;
  /** Messages handed to ZeroMQ. */
  readonly sent: number;
  /** Messages dropped because the queue was full (policy `'drop'`). */
  readonly dropped: number;
  /** Messages still queued when `close()` gave up waiting. */
  readonly droppedOnClose: number;
  /** Times a link refused a message at its high-water mark (the message was retried). */
  readonly blocked: number;
  /** Messages ZeroMQ refused for a reason other than a full link; they are not retried. */
  readonly failed: number;
  /** Messages waiting in the local queue now. */
  readonly queued: number;
  readonly links: readonly LinkStats[];
  /** With `confirm: true`: the confirmed sends' own counters (see ConfirmingProducer). */
  readonly confirm?: ConfirmingProducerStats;
}

/**
 * Events of a Producer: connection events plus `up`/`down` when a link becomes (un)usable.
 * With `confirm: true`, `up` follows each WELCOME and `down` each reconnection, and the
 * session events of the reliable port come too: `welcome`, `reconnect`, `protocol-error`,
 * `broker-error`.
 */
export interface ProducerEvents extends ReliableEvents {
  up: [ConnectionEvent];
  down: [ConnectionEvent];
  'broker-error': [BrokerError];
}

/** The events a confirming producer's are forwarded as. */
const CONFIRM_EVENTS = [
  'connect',
  'handshake',
  'disconnect',
  'retry',
  'handshake-error',
  'welcome',
  'reconnect',
  'protocol-error',
  'broker-error',
] as const;

const RESOLVED = Promise.resolve();
/** Messages sent in one go before the pump yields to the event loop. */
const PUMP_BURST = 512;
/** How long a link that answered EAGAIN (high-water mark) is skipped, in ms. */
const BLOCKED_RETRY_MS = 1;

interface Waiting {
  frames: Buffer[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Publishes messages to the broker's ingress. One PUB socket per endpoint; each message goes to
 * one usable link, round-robin (several brokers share the load). `send()` resolves once the
 * message is accepted (handed to ZeroMQ or queued locally); order is kept per link.
 * Messages sent while no link is usable wait in a bounded local queue. See libs/client/README.md.
 *
 * With `confirm: true` it publishes on the broker's reliable port instead, through a
 * ConfirmingProducer: `send()` resolves once the message is stored durably (CONFIRM).
 */
export class Producer<M extends TopicMap = UntypedTopics> extends EventEmitter<ProducerEvents> {
  private readonly links: Link[];
  private readonly topics: M | undefined;
  private readonly codec: Codec<unknown>;
  private readonly metadata: boolean;
  private readonly queueMax: number;
  private readonly policy: QueuePolicy;
  private readonly closeTimeoutMs: number;
  private readonly queue = new FrameQueue();
  private readonly waiting: Waiting[] = [];
  private readonly readyWaiters = new Waiters();
  private readonly flushWaiters = new Waiters();
  private cursor = 0;
  private pumping = false;
  private closed = false;
  private closing: Promise<void> | undefined;
  private accepted = 0;
  private sent = 0;
  private dropped = 0;
  private droppedOnClose = 0;
  private blocked = 0;
  private failed = 0;
  /** The confirmed sends, when created with `confirm: true`. */
  private readonly confirming: ConfirmingProducer<M> | undefined;

  constructor(options: ProducerOptions<M> = {}) {
    super();
    const confirmOptions = confirmingOptions(options);
    const settings = parseProducerOptions(
      confirmOptions === undefined ? options : { codec: options.codec, metadata: options.metadata },
    );
    this.topics = options.topics;
    this.codec = settings.codec;
    this.metadata = settings.metadata;
    this.queueMax = settings.queueMax;
    this.policy = settings.policy;
    this.closeTimeoutMs = settings.closeTimeoutMs;
    const listener = {
      up: (link: Link) => this.linkUp(link),
      down: (link: Link, wasUp: boolean) => this.linkDown(link, wasUp),
    };
    if (confirmOptions !== undefined) {
      const confirming = new ConfirmingProducer<M>(confirmOptions);
      this.confirming = confirming;
      this.links = [];
      // The same events, typed alike on both emitters: forwarded untyped.
      const from = confirming as unknown as EventEmitter;
      const to = this as unknown as EventEmitter;
      for (const name of CONFIRM_EVENTS) from.on(name, (event: unknown) => to.emit(name, event));
      confirming.on('welcome', ({ endpoint }) => this.emit('up', { endpoint }));
      confirming.on('reconnect', ({ endpoint }) => this.emit('down', { endpoint }));
      return;
    }
    this.links = connectAll(settings.endpoints, (endpoint, i) => {
      const link = new Link(endpoint, settings.links[i] as LinkSettings, this, listener);
      return { socket: link.socket, link };
    });
  }

  /**
   * Encodes `body` with the topic's codec (or the default codec when untyped), attaches the
   * metadata frame, and hands the message to ZeroMQ or the local queue. Rejects with an encoding
   * error (`CodecError`, `TopicError`, `UnknownTopicError`), `QueueFullError` (policy `'error'`)
   * or `ClosedError`. With policy `'wait'` it resolves once the message fits in the queue.
   */
  send<K extends TopicOf<M>>(topic: K, body: BodyOf<M, K>, options?: SendOptions): Promise<void> {
    if (this.confirming !== undefined) return this.confirming.send(topic, body, options);
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    let frames: Buffer[];
    try {
      const withMeta = options?.metadata ?? this.metadata;
      frames =
        this.topics === undefined
          ? encodeEnvelope(topic, body, this.codec, options, withMeta)
          : encodeTyped(this.topics, topic, body, options, withMeta);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.enqueue(frames);
  }

  /**
   * Resolves once every endpoint has a usable link: ZMTP handshake done and the broker's
   * subscription received on it (then `readySettleMs`, default 0). Rejects with
   * `NotReadyError` after `timeoutMs` (naming the endpoints that refused our socket type, if
   * any), or `ClosedError`.
   */
  ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.confirming !== undefined) return this.confirming.ready(timeoutMs);
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    if (this.links.every((l) => l.state === 'up')) return RESOLVED;
    return this.readyWaiters.wait(timeoutMs, () => {
      const missing = this.links.filter((l) => l.state !== 'up');
      const refused = missing.filter((l) => l.refused).map((l) => l.endpoint);
      return new NotReadyError(
        missing.map((l) => l.endpoint),
        timeoutMs,
        refused,
        missing.flatMap((l) => l.failure ?? []),
      );
    });
  }

  /** Resolves once every accepted message has been handed to ZeroMQ; `TimeoutError` after `timeoutMs`. */
  flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
    if (this.confirming !== undefined) return this.confirming.flush(timeoutMs);
    if (this.idle()) return RESOLVED;
    return this.flushWaiters.wait(
      timeoutMs,
      () => new TimeoutError('flush', timeoutMs, this.queue.length + this.waiting.length),
    );
  }

  /**
   * Stops accepting messages, waits up to `closeTimeoutMs` for the queue to be handed to ZeroMQ
   * (what remains is counted in `droppedOnClose`), then closes every socket with the configured
   * linger. Idempotent: every call returns the same promise. No handle stays open.
   */
  close(): Promise<void> {
    this.closing ??= this.confirming?.close() ?? this.shutdown();
    return this.closing;
  }

  /** Counters since construction; a snapshot. */
  stats(): ProducerStats {
    if (this.confirming !== undefined) return confirmedStats(this.confirming);
    return {
      accepted: this.accepted,
      sent: this.sent,
      dropped: this.dropped,
      droppedOnClose: this.droppedOnClose,
      blocked: this.blocked,
      failed: this.failed,
      queued: this.queue.length,
      links: this.links.map((l) => ({ endpoint: l.endpoint, up: l.state === 'up', sent: l.sent })),
    };
  }

  private enqueue(frames: Buffer[]): Promise<void> {
    if (this.queue.length >= this.queueMax || this.waiting.length > 0) {
      if (this.policy === 'drop') {
        this.dropped++;
        return RESOLVED;
      }
      if (this.policy === 'error') return Promise.reject(new QueueFullError(this.queueMax));
      return new Promise((resolve, reject) => this.waiting.push({ frames, resolve, reject }));
    }
    this.queue.push(frames);
    this.accepted++;
    if (!this.pumping) void this.pump();
    return RESOLVED;
  }

  // Hands queued messages to usable links in a tight loop: each send completes synchronously
  // in libzmq (sendTimeout 0), so awaiting it costs one microtask.
  private async pump(): Promise<void> {
    this.pumping = true;
    let burst = 0;
    try {
      while (this.queue.length > 0) {
        const link = this.nextLink();
        if (link === undefined) {
          if (!this.links.some((l) => l.state === 'up')) break; // a link coming up restarts us
          await delay(BLOCKED_RETRY_MS);
          continue;
        }
        try {
          await link.socket.send(this.queue.peek() as Buffer[]);
        } catch (err) {
          if (link.socket.closed) break;
          if (isZmqErrorCode(err, 'EAGAIN')) {
            this.blocked++;
            link.block(BLOCKED_RETRY_MS);
            continue;
          }
          this.failed++; // not a full link: this message cannot go (e.g. too large)
          this.queue.shift();
          continue;
        }
        this.queue.shift();
        link.sent++;
        this.sent++;
        if (this.waiting.length > 0) this.admitWaiting();
        if (++burst >= PUMP_BURST) {
          burst = 0;
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } finally {
      this.pumping = false;
      if (this.idle()) this.flushWaiters.resolveAll();
    }
  }

  private nextLink(): Link | undefined {
    const n = this.links.length;
    const now = Date.now();
    for (let i = 0; i < n; i++) {
      const link = this.links[(this.cursor + i) % n] as Link;
      if (!link.available(now)) continue;
      this.cursor = (this.cursor + i + 1) % n;
      return link;
    }
    return undefined;
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.queue.length < this.queueMax) {
      const w = this.waiting.shift() as Waiting;
      this.queue.push(w.frames);
      this.accepted++;
      w.resolve();
    }
  }

  private idle(): boolean {
    return this.queue.length === 0 && this.waiting.length === 0;
  }

  private linkUp(link: Link): void {
    this.emit('up', { endpoint: link.endpoint });
    if (this.links.every((l) => l.state === 'up')) this.readyWaiters.resolveAll();
    if (!this.pumping && this.queue.length > 0) void this.pump();
  }

  private linkDown(link: Link, wasUp: boolean): void {
    if (wasUp) this.emit('down', { endpoint: link.endpoint });
  }

  private async shutdown(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new ClosedError('producer'));
    try {
      await this.flush(this.closeTimeoutMs);
    } catch {
      // what is left is counted below
    }
    this.droppedOnClose += this.queue.clear();
    for (const link of this.links) link.close();
    this.readyWaiters.rejectAll(new ClosedError('producer'));
    this.flushWaiters.rejectAll(new ClosedError('producer'));
  }
}

/** A confirming producer's counters in the Producer's shape, its own under `confirm`. */
function confirmedStats(confirming: ConfirmingProducer<TopicMap>): ProducerStats {
  const c = confirming.stats();
  return {
    accepted: c.accepted,
    sent: c.confirmed,
    dropped: 0,
    droppedOnClose: c.droppedOnClose,
    blocked: 0,
    failed: c.nacked + c.timedOut,
    queued: c.unconfirmed + c.waiting,
    links: [],
    confirm: c,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
