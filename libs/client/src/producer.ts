import { EventEmitter } from 'node:events';
import { encodeEnvelope, encodeTyped, MAX_INT32 } from '@zmq-mq/protocol';
import type {
  BodyOf,
  Codec,
  CodecName,
  SendMeta,
  TopicMap,
  TopicOf,
  TopicSpec,
} from '@zmq-mq/protocol';
import { XPublisher } from 'zeromq';
import { ClosedError, isZmqErrorCode, NotReadyError, QueueFullError, TimeoutError } from './errors';
import type { ConnectionEvent, ConnectionEvents } from './events';
import { forwardConnectionEvents } from './events';
import { connectAll, Waiters } from './links';
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_INGRESS,
  DEFAULT_LINGER_MS,
  DEFAULT_QUEUE_MAX_MESSAGES,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_SEND_HWM,
  parseChoice,
  parseCodec,
  parseEndpoints,
  parseInteger,
  QUEUE_POLICIES,
} from './options';
import type { QueuePolicy } from './options';
import { FrameQueue } from './queue';

/** The topic map of an untyped client: any valid topic, bodies encoded by the default codec. */
export type UntypedTopics = Record<string, TopicSpec<unknown>>;

export interface ProducerOptions<M extends TopicMap> {
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
}

/** Events of a Producer: connection events plus `up`/`down` when a link becomes (un)usable. */
export interface ProducerEvents extends ConnectionEvents {
  up: [ConnectionEvent];
  down: [ConnectionEvent];
}

const RESOLVED = Promise.resolve();
/** Messages sent in one go before the pump yields to the event loop. */
const PUMP_BURST = 512;
/** How long a link that answered EAGAIN (high-water mark) is skipped, in ms. */
const BLOCKED_RETRY_MS = 1;

/** The producer's default `readySettleMs`: none, the subscription itself is the signal. */
const DEFAULT_PRODUCER_SETTLE_MS = 0;

class Link {
  state: 'down' | 'settling' | 'up' = 'down';
  /** The ZMTP handshake of the current connection is done. */
  handshake = false;
  /** The peer's subscription arrived on the current connection. */
  subscribed = false;
  sent = 0;
  blockedUntil = 0;
  timer: NodeJS.Timeout | undefined;

  constructor(
    readonly endpoint: string,
    readonly socket: XPublisher,
  ) {}
}

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
 */
export class Producer<M extends TopicMap = UntypedTopics> extends EventEmitter<ProducerEvents> {
  private readonly links: Link[];
  private readonly topics: M | undefined;
  private readonly codec: Codec<unknown>;
  private readonly metadata: boolean;
  private readonly queueMax: number;
  private readonly policy: QueuePolicy;
  private readonly settleMs: number;
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

  constructor(options: ProducerOptions<M> = {}) {
    super();
    const endpoints = parseEndpoints('connect', options.connect, DEFAULT_INGRESS);
    this.topics = options.topics;
    this.codec = parseCodec('codec', options.codec, 'json');
    this.metadata = options.metadata ?? true;
    this.queueMax = parseInteger(
      'queueMaxMessages',
      options.queueMaxMessages,
      DEFAULT_QUEUE_MAX_MESSAGES,
      1,
    );
    this.policy = parseChoice('queuePolicy', options.queuePolicy, QUEUE_POLICIES, 'error');
    this.settleMs = parseInteger(
      'readySettleMs',
      options.readySettleMs,
      DEFAULT_PRODUCER_SETTLE_MS,
      0,
      MAX_INT32,
    );
    this.closeTimeoutMs = parseInteger(
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
    // An XPUB, not a PUB: a PUB drops silently what it sends before the broker's subscription
    // has reached it (the slow joiner); an XPUB hands us that subscription, so a link is used
    // only once it will deliver. sendTimeout 0: every send is handed to libzmq synchronously and
    // never stays pending, so the one-pending-send rule holds; noDrop: a full link answers
    // EAGAIN instead of dropping.
    this.links = connectAll(endpoints, (endpoint) => {
      const socket = new XPublisher({ linger, sendHighWaterMark, sendTimeout: 0, noDrop: true });
      socket.verbosity = 'allSubs'; // a reconnection's subscription too, although not new
      const link = new Link(endpoint, socket);
      forwardConnectionEvents(socket, this, [endpoint], (type) => {
        if (type === 'handshake') {
          link.handshake = true;
          this.maybeSettle(link);
        } else if (type === 'disconnect') this.linkDown(link);
      });
      void this.readSubscriptions(link);
      return { socket, link };
    });
  }

  /**
   * Encodes `body` with the topic's codec (or the default codec when untyped), attaches the
   * metadata frame, and hands the message to ZeroMQ or the local queue. Rejects with an encoding
   * error (`CodecError`, `TopicError`, `UnknownTopicError`), `QueueFullError` (policy `'error'`)
   * or `ClosedError`. With policy `'wait'` it resolves once the message fits in the queue.
   */
  send<K extends TopicOf<M>>(topic: K, body: BodyOf<M, K>, options?: SendOptions): Promise<void> {
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
   * `NotReadyError` after `timeoutMs`, or `ClosedError`.
   */
  ready(timeoutMs = DEFAULT_READY_TIMEOUT_MS): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError('producer'));
    if (this.links.every((l) => l.state === 'up')) return RESOLVED;
    return this.readyWaiters.wait(timeoutMs, () => {
      const missing = this.links.filter((l) => l.state !== 'up').map((l) => l.endpoint);
      return new NotReadyError(missing, timeoutMs);
    });
  }

  /** Resolves once every accepted message has been handed to ZeroMQ; `TimeoutError` after `timeoutMs`. */
  flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<void> {
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
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Counters since construction; a snapshot. */
  stats(): ProducerStats {
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
            link.blockedUntil = Date.now() + BLOCKED_RETRY_MS;
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
    for (let i = 0; i < n; i++) {
      const link = this.links[(this.cursor + i) % n] as Link;
      if (link.state !== 'up') continue;
      if (link.blockedUntil !== 0) {
        if (link.blockedUntil > Date.now()) continue;
        link.blockedUntil = 0;
      }
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

  // Reads what the XPUB hands up: the peer's subscriptions (first byte 1) and unsubscriptions
  // (first byte 0). The broker's ingress subscribes to everything once per connection.
  private async readSubscriptions(link: Link): Promise<void> {
    while (!link.socket.closed) {
      let frame: Buffer | undefined;
      try {
        [frame] = await link.socket.receive();
      } catch {
        return; // the socket was closed
      }
      if (frame !== undefined && frame[0] === 1) {
        link.subscribed = true;
        this.maybeSettle(link);
      }
    }
  }

  // A link is used once both its handshake event and the peer's subscription arrived (in either
  // order: the monitor and the socket are read separately).
  private maybeSettle(link: Link): void {
    if (!link.handshake || !link.subscribed || link.state !== 'down') return;
    if (link.socket.closed) return; // a closing producer still brings links up to drain its queue
    clearTimeout(link.timer);
    link.state = 'settling';
    link.timer = setTimeout(() => {
      link.timer = undefined;
      link.state = 'up';
      this.emit('up', { endpoint: link.endpoint });
      if (this.links.every((l) => l.state === 'up')) this.readyWaiters.resolveAll();
      if (!this.pumping && this.queue.length > 0) void this.pump();
    }, this.settleMs);
  }

  private linkDown(link: Link): void {
    clearTimeout(link.timer);
    link.timer = undefined;
    const wasUp = link.state === 'up';
    link.state = 'down';
    link.handshake = false;
    link.subscribed = false;
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
    for (const link of this.links) {
      clearTimeout(link.timer);
      link.state = 'down';
      link.socket.close();
    }
    this.readyWaiters.rejectAll(new ClosedError('producer'));
    this.flushWaiters.rejectAll(new ClosedError('producer'));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
