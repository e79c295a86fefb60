import { isUtf8 } from 'node:buffer';
import { connect } from 'node:net';
import { MAX_TOPIC_BYTES, needsIpv6, SEPARATOR } from '@zmq-mq/protocol';
import { Context, Publisher, Push, Subscriber, XSubscriber, type Socket } from 'zeromq';
import { BindError, BrokerStateError, isZmqError } from './errors';
import { CountedPaths } from './counted-paths';
import type { StreamTap } from './stream-tap';
import { createLogger, flushLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { Monitor } from './monitor';
import { NativePaths } from './native-paths';
import {
  isExposedEndpoint,
  parseBrokerOptions,
  type BrokerOptions,
  type BrokerOptionsInput,
} from './options';
import { BrokerStats, type DropReason, type MalformedKind } from './stats';
import { messageBytes, WorkQueue, type WorkMessage } from './work-queue';

/** The endpoints a started broker is bound to (ports resolved when `*` was asked). */
export interface BrokerEndpoints {
  ingress: string;
  publish: string;
  push: string;
  /** `http://host:port` of the monitor, when enabled. */
  monitor?: string;
}

/** What `stop()` did. */
export interface StopReport {
  /** Work messages handed to workers while stopping. */
  drained: number;
  /** Work messages still queued when the drain timeout ran out (counted as `shutdown` drops). */
  undelivered: number;
  /** How long stopping took (ms). */
  durationMs: number;
}

/** The JSON served at `/stats` and returned by `stats()`. */
export interface BrokerStatsSnapshot {
  /** In `native` mode no JavaScript sees a message: the message counters stay at zero. */
  mode: 'counted' | 'native';
  uptimeMs: number;
  endpoints: BrokerEndpoints | undefined;
  received: { messages: number; bytes: number };
  published: { messages: number; bytes: number };
  pushed: { messages: number; bytes: number };
  queue: {
    depth: number;
    bytes: number;
    peakDepth: number;
    peakBytes: number;
    maxMessages: number;
    maxBytes: number;
    policy: BrokerOptions['pushPolicy'];
    /** Work messages that have waited in the queue since start (not sent at once). */
    queuedTotal: number;
  };
  dropped: Record<DropReason, number> & { total: number };
  malformed: Record<MalformedKind, number>;
  peers: { producers: number; subscribers: number; workers: number };
}

type State = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** In native mode the tap's depth cannot be read: on stop the work path gets this long (ms). */
const NATIVE_DRAIN_MS = 500;

/** On stop in counted mode, the fan-out relay gets this long to publish what it holds (ms). */
const FAN_OUT_FLUSH_MS = 50;

/**
 * On stop in counted mode, how long past the XPUB's linger (`CountedPaths.tapFlushMs`) the tap
 * may take to be read to its end (ms): the linger ends the stream, and what the socket buffer
 * still holds is then read in milliseconds.
 */
const TAP_READ_GRACE_MS = 1000;

/** Messages handled between two turns of the event loop under a continuous flood. */
const YIELD_EVERY = 256;

/**
 * Whether a process accepts connections on the unix socket at `path` (false for no file, a
 * stale socket file or anything else), waiting at most 1 s.
 */
function unixSocketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    const done = (answered: boolean): void => {
      probe.destroy();
      resolve(answered);
    };
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
    probe.setTimeout(1000, () => done(false));
  });
}

/**
 * Most frames of a message the work path takes (our clients send 1 or 2). Each frame held
 * costs a Buffer object besides its bytes, which no byte bound sees: a message of 200,000
 * empty frames weighed 5 bytes and ~40 MB of heap. Past it, a message is counted `too-large`
 * on the work path; the fan-out, inside libzmq, still publishes it.
 */
export const MAX_MESSAGE_FRAMES = 16;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** How long closed sockets may keep flushing what libzmq already holds (ms). */
const CLOSE_LINGER_MS = 1000;

/**
 * The broker: a bound ingress that takes every message, a bound PUB that re-publishes it
 * unchanged (fan-out), and a bound PUSH that hands its payload, topic stripped, to one worker.
 *
 * Promises: every received message is published once and offered to the work queue once, in
 * ingress order. The fan-out never waits for the work queue: when no worker can take a
 * message it waits in a bounded queue (by count and bytes), delivered in order when workers
 * appear; past the bound the overflow policy drops, counted by reason. Every drop is counted.
 * The fan-out runs inside libzmq in both modes (see CountedPaths and NativePaths).
 */
export class Broker {
  readonly options: BrokerOptions;
  private readonly log: Logger;
  private readonly counters = new BrokerStats();
  /** The reason libzmq gave for a failed bind, from each socket's monitor (see `bind`). */
  private readonly bindErrors = new Map<Socket, Error>();
  private readonly queue: WorkQueue;
  private state: State = 'new';
  private ingress: Subscriber | XSubscriber | undefined;
  private publisher: Publisher | undefined;
  private pusher: Push | undefined;
  private monitor: Monitor | undefined;
  private native: NativePaths | undefined;
  private counted: CountedPaths | undefined;
  private bound: BrokerEndpoints | undefined;
  private receiving: Promise<void> | undefined;
  private draining = false;
  /** The running `drain()`, if any. */
  private drainRun: Promise<void> | undefined;
  /** Set when the drain time is over: `drain()` starts no further send. */
  private workStopped = false;
  private workEnded: Promise<number> | undefined;
  private onIdle: (() => void) | undefined;
  private drainedDuringStop = 0;
  private eventLoops: Promise<void>[] = [];
  private dropTimer: NodeJS.Timeout | undefined;
  private lastDropSummary = '';
  private stopping: Promise<StopReport> | undefined;
  private starting: Promise<BrokerEndpoints> | undefined;
  private aborting: Promise<StopReport> | undefined;
  /** Set once stop() has counted everything and only closes sockets and logs. */
  private stopFinishing = false;
  /** `pushed` when stopping began (stop() or abort()), for the report's `drained`. */
  private pushedBeforeStop: number | undefined;
  // A path that ended while running (a proxy, the tap): the broker is then unhealthy.
  private failedPath: string | undefined;
  private readonly onPushError = (err: unknown): void => this.sendFailed('push', err);

  constructor(options: BrokerOptionsInput | BrokerOptions = {}, deps: { logger?: Logger } = {}) {
    this.options = parseBrokerOptions(options);
    this.log = deps.logger ?? createLogger(this.options.logLevel);
    const overflow = this.options.pushPolicy === 'drop-oldest' ? 'drop-oldest' : 'drop-newest';
    this.queue = new WorkQueue(this.options.queueMaxMessages, this.options.queueMaxBytes, overflow);
  }

  /** Bound endpoints, once started. */
  get endpoints(): BrokerEndpoints | undefined {
    return this.bound;
  }

  /** Binds every socket and the monitor, then starts forwarding. Throws `BindError`. */
  start(): Promise<BrokerEndpoints> {
    if (this.state !== 'new') {
      return Promise.reject(
        new BrokerStateError(`start() called on a broker that is ${this.state}`),
      );
    }
    this.starting = this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<BrokerEndpoints> {
    this.state = 'starting';
    const o = this.options;
    try {
      // More than one I/O thread needs a context of this broker's own; one is the shared default.
      const zmq = o.ioThreads > 1 ? { context: new Context({ ioThreads: o.ioThreads }) } : {};
      const ingressOptions = {
        ...zmq,
        linger: 0,
        maxMessageSize: o.maxMessageBytes,
        receiveHighWaterMark: o.ingressHwm,
      };
      // Counted mode: an XSUB, subscribed through the fan-out's XPUB (CountedPaths).
      const ingress =
        o.pushFormat === 'full' ? new Subscriber(ingressOptions) : new XSubscriber(ingressOptions);
      this.ingress = ingress;
      if (ingress instanceof Subscriber) ingress.subscribe();
      const publisher = new Publisher({
        ...zmq,
        linger: CLOSE_LINGER_MS,
        sendHighWaterMark: o.publishHwm,
        sendTimeout: 0,
      });
      this.publisher = publisher;
      const pusher = new Push({ ...zmq, linger: CLOSE_LINGER_MS, sendTimeout: 0 });
      this.pusher = pusher;
      if (o.pushFormat === 'full') this.native = new NativePaths(o.queueMaxMessages, zmq);
      else this.counted = new CountedPaths(o.drainTimeoutMs, zmq);
      this.watchPeers(ingress, 'producers', 'producer');
      this.watchPeers(publisher, 'subscribers', 'subscriber');
      this.watchPeers(pusher, 'workers', 'worker');
      const endpoints: BrokerEndpoints = {
        ingress: await this.bind(ingress, 'ingress', o.ingress),
        publish: await this.bind(publisher, 'publish', o.publish),
        push: await this.bind(pusher, 'push', o.push),
      };
      if (o.monitor !== null) {
        const registry = createMetrics(this.counters, {
          depth: () => this.queue.length,
          bytes: () => this.queue.bytes,
        });
        this.monitor = new Monitor(o.monitor, {
          registry,
          stats: () => this.stats(),
          health: () => {
            if (this.state !== 'running') return 'stopping';
            return this.failedPath === undefined ? 'ok' : 'failed';
          },
        });
        endpoints.monitor = await this.monitor.start();
      }
      this.bound = endpoints;
      const onProxyFailure = (path: string, err: unknown): void => {
        if (this.state !== 'running') return;
        this.failedPath ??= path;
        this.log.error({ err, path }, 'proxy failed; path stopped');
      };
      if (ingress instanceof Subscriber) {
        await this.native?.start(ingress, publisher, pusher, onProxyFailure);
      } else {
        await this.counted?.start(ingress, publisher, onProxyFailure, {
          maxBytes: o.maxMessageBytes,
          maxFrames: MAX_MESSAGE_FRAMES,
        });
      }
    } catch (err) {
      this.state = 'stopped';
      await this.closeAll();
      throw err;
    }
    this.state = 'running';
    if (this.counted?.tap) this.receiving = this.receiveLoop(this.counted.tap);
    this.dropTimer = setInterval(() => this.logDrops(), this.options.dropLogIntervalMs);
    this.dropTimer.unref();
    this.warnIfExposed();
    this.log.info(
      {
        ...this.bound,
        pushPolicy: o.pushPolicy,
        pushFormat: o.pushFormat,
        mode: this.mode,
        queueMaxMessages: o.queueMaxMessages,
        queueMaxBytes: o.queueMaxBytes,
        publishHwm: o.publishHwm,
        ingressHwm: o.ingressHwm,
        maxMessageBytes: o.maxMessageBytes,
        ioThreads: o.ioThreads,
      },
      'broker started',
    );
    return this.bound as BrokerEndpoints;
  }

  /**
   * `counted`: JavaScript sees every message and counts it (push format `payload`).
   * `native`: both paths run inside libzmq (push format `full`); message counters stay at zero.
   */
  get mode(): 'counted' | 'native' {
    return this.options.pushFormat === 'full' ? 'native' : 'counted';
  }

  /** A snapshot of every counter, as served at `/stats`. */
  stats(): BrokerStatsSnapshot {
    const s = this.counters;
    return {
      mode: this.mode,
      uptimeMs: Date.now() - s.startedAt,
      endpoints: this.bound,
      received: { messages: s.received, bytes: s.receivedBytes },
      published: { messages: s.published, bytes: s.publishedBytes },
      pushed: { messages: s.pushed, bytes: s.pushedBytes },
      queue: {
        depth: this.queue.length,
        bytes: this.queue.bytes,
        peakDepth: this.queue.peakLength,
        peakBytes: this.queue.peakBytes,
        maxMessages: this.queue.maxMessages,
        maxBytes: this.queue.maxBytes,
        policy: this.options.pushPolicy,
        queuedTotal: s.queued,
      },
      dropped: { ...s.dropped, total: s.totalDropped() },
      malformed: { ...s.malformed },
      peers: { ...s.peers },
    };
  }

  /**
   * Stops taking ingress, delivers queued work to connected workers for up to the drain
   * timeout, counts what remains as `shutdown` drops, closes every socket with a bounded
   * linger. Idempotent: later calls return the same promise.
   */
  stop(): Promise<StopReport> {
    // A stop() while start() runs waits for it: the broker starts (or fails to), then stops,
    // instead of closing sockets under start() (which then failed with libzmq's raw errors).
    this.stopping ??=
      this.starting === undefined
        ? this.doStop()
        : this.starting.then(
            () => this.doStop(),
            () => this.doStop(),
          );
    return this.stopping;
  }

  /**
   * For an exit that cannot wait for `stop()` (a second signal): ends the libzmq proxy threads
   * at once, drains nothing, counts what the work queue still holds as `shutdown` drops and
   * logs the final summary (`broker stopped`, with `aborted: true`). Needed because libzmq
   * cannot terminate its context while a proxy runs, so `process.exit()` would hang. Messages
   * the tap had not read yet (only while the tap is still being read after the ingress closed)
   * never reached JavaScript and are not counted. Idempotent; a `stop()` in progress then logs
   * nothing more and resolves with this report.
   */
  abort(): Promise<StopReport> {
    this.aborting ??= this.doAbort();
    return this.aborting;
  }

  private async doAbort(): Promise<StopReport> {
    // stop() has counted everything and is closing the sockets: its report is the last word.
    if (this.stopFinishing && this.stopping) return this.stopping;
    const started = Date.now();
    this.pushedBeforeStop ??= this.counters.pushed;
    if (this.state !== 'stopped') this.state = 'stopping';
    this.workStopped = true; // no further delivery from the queue
    await Promise.all([this.native?.abort(), this.counted?.abort()]);
    await this.receiving; // the tap is destroyed: what it had cut into messages is still counted
    const undelivered = this.native ? 0 : await this.endWork();
    if (this.dropTimer) clearInterval(this.dropTimer);
    this.logDrops();
    const report = {
      drained: this.counters.pushed - this.pushedBeforeStop,
      undelivered,
      durationMs: Date.now() - started,
    };
    this.log.info({ ...report, ...this.summary(), aborted: true }, 'broker stopped');
    await flushLogger(this.log);
    return report;
  }

  private async doStop(): Promise<StopReport> {
    const started = Date.now();
    this.pushedBeforeStop ??= this.counters.pushed;
    const pushedBefore = this.pushedBeforeStop;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.log.info('broker stopping: ingress closed, draining queued work');
    if (this.native) {
      await this.native.stop(
        wasRunning ? Math.min(this.options.drainTimeoutMs, NATIVE_DRAIN_MS) : 0,
      );
    }
    let fanOutStopped: Promise<void> | undefined;
    if (this.counted) {
      const ingressStopping = Date.now();
      await this.counted.stopIngress();
      await this.untilTapRead(this.counted, ingressStopping);
      fanOutStopped = this.counted.stop(wasRunning ? FAN_OUT_FLUSH_MS : 0);
    }
    await this.receiving;
    let undelivered = 0;
    if (wasRunning && !this.native) {
      await this.waitForDrain(this.options.drainTimeoutMs);
      undelivered = await this.endWork();
    }
    await fanOutStopped;
    if (this.aborting) {
      // abort() counts, logs and reports instead; closing is still this stop's to finish.
      const report = await this.aborting;
      await this.closeAll();
      this.state = 'stopped';
      return report;
    }
    this.stopFinishing = true;
    this.drainedDuringStop = this.counters.pushed - pushedBefore;
    this.queue.clear();
    if (this.dropTimer) clearInterval(this.dropTimer);
    this.logDrops();
    await this.closeAll();
    this.state = 'stopped';
    const report = {
      drained: this.drainedDuringStop,
      undelivered,
      durationMs: Date.now() - started,
    };
    this.log.info({ ...report, ...this.summary() }, 'broker stopped');
    await flushLogger(this.log);
    return report;
  }

  private summary(): Record<string, number> {
    const s = this.counters;
    return {
      received: s.received,
      published: s.published,
      pushed: s.pushed,
      queued: s.queued,
      peakQueueDepth: this.queue.peakLength,
      dropped: s.totalDropped(),
    };
  }

  private async closeAll(): Promise<void> {
    for (const socket of [this.ingress, this.publisher, this.pusher, this.native?.tap]) {
      if (socket && !socket.closed) socket.close();
    }
    this.counted?.close();
    await this.monitor?.stop();
    await Promise.all(this.eventLoops);
  }

  /**
   * Once the ingress is closed, the tap's stream ends after the last message the ingress took
   * (see StreamTap): the XPUB's linger (`tapFlushMs`: the drain timeout, never under a second)
   * hands the tap what it still holds, and every message read is counted and offered to the
   * work path before the drain timeout starts. A short drain timeout does not shorten this: the
   * relay has already published those messages, so the work path must get them or count them.
   * Bounded all the same; what is left unread after the bound never reached JavaScript and
   * cannot be counted, which is logged.
   */
  private async untilTapRead(counted: CountedPaths, ingressStopping: number): Promise<void> {
    if (this.receiving === undefined) return; // never started
    const boundMs = counted.tapFlushMs + TAP_READ_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), boundMs);
    });
    const outcome = await Promise.race([this.receiving, timeout]);
    clearTimeout(timer);
    const tookMs = Date.now() - ingressStopping;
    if (outcome === 'timeout') {
      counted.tap?.destroy();
      await this.receiving; // what the tap had already cut into messages is still counted
      this.log.warn(
        { waitedMs: boundMs, received: this.counters.received },
        'work path tap not read to its end in time: what libzmq and the socket buffer still held for it is lost, and how many messages that was cannot be known (they never reached JavaScript)',
      );
    } else if (tookMs >= counted.tapFlushMs) {
      // The stream may have ended because the XPUB's linger ran out, not because it was empty.
      this.log.warn(
        { tapFlushMs: counted.tapFlushMs, tookMs, received: this.counters.received },
        "work path tap ended only as the fan-out's linger ran out: messages the fan-out still held for the work path may be lost, uncounted",
      );
    }
  }

  /**
   * Ends delivery when the drain time is over, then counts what the queue still holds as
   * `shutdown` drops and empties it; returns that count. Idempotent. No send starts after the
   * call, and the push socket closes at once (its linger still hands workers what libzmq
   * holds): a send that waits for a worker then settles, sent if one can take it now, refused
   * otherwise, and only after that is the queue counted. So no message is both pushed and
   * counted dropped, and none is neither.
   */
  private endWork(): Promise<number> {
    this.workEnded ??= (async () => {
      this.workStopped = true;
      if (this.counted && this.pusher && !this.pusher.closed) this.pusher.close();
      await this.drainRun;
      const undelivered = this.queue.length;
      if (undelivered > 0) {
        this.counters.dropped.shutdown += undelivered;
        this.log.warn(
          { undelivered, bytes: this.queue.bytes, drainTimeoutMs: this.options.drainTimeoutMs },
          'work messages left undelivered at shutdown',
        );
      }
      this.queue.clear();
      return undelivered;
    })();
    return this.workEnded;
  }

  private async waitForDrain(timeoutMs: number): Promise<void> {
    if (!this.draining && this.queue.length === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.onIdle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.onIdle = undefined;
  }

  /**
   * Reads the tap batch by batch (every message of one stream chunk) and hands each message to
   * the work path in order. A message whose send is in flight is awaited: its outcome (sent or
   * queued) settles before the next message is offered, which keeps ingress order. Every
   * YIELD_EVERY messages it yields to the event loop so that timers, signals and the monitor
   * keep running under a flood.
   */
  private async receiveLoop(tap: StreamTap): Promise<void> {
    try {
      let n = 0;
      for (let batch = await tap.next(); batch !== null; batch = await tap.next()) {
        for (const item of batch) {
          if (typeof item === 'number') {
            this.tooLarge(item);
            continue;
          }
          const frames = item;
          const sending = this.handle(frames);
          if (sending !== undefined) {
            try {
              await sending;
            } catch (err) {
              this.pushRefused(err, frames);
            }
          }
          if (++n % YIELD_EVERY === 0) await yieldToEventLoop();
        }
      }
      if (this.state === 'running') throw new Error('the tap stream ended while running');
    } catch (err) {
      if (this.state === 'running') {
        this.failedPath ??= 'tap';
        this.log.error({ err }, 'work path tap failed; no longer forwarding to workers');
      }
    }
  }

  /**
   * The hot path: one message from the tap to the work path. The fan-out has already published
   * it (CountedPaths), unchanged, as the original design does with every message; here it is
   * counted, checked, and its payload offered to the work queue. Never throws; returns the
   * push in flight, if one is.
   */
  private handle(frames: Buffer[]): Promise<void> | undefined {
    const s = this.counters;
    const first = frames[0] as Buffer;
    const size = frames.length === 1 ? first.byteLength : messageBytes(frames);
    this.countTaken(size);
    if (first.byteLength === 0) {
      s.malformed.empty++;
      s.dropped.empty++;
      return undefined;
    }
    // Over --max-message-bytes or MAX_MESSAGE_FRAMES never gets here: the tap let it go (tooLarge).
    const at = first.indexOf(SEPARATOR);
    if (at < 0) s.malformed['no-separator']++;
    else if (!isValidTopicBytes(first, at)) s.malformed['invalid-topic']++;

    // Frame 0 becomes its payload in place: the array is ours, one allocation fewer per
    // message for the garbage collector, whose pauses the work path waits out.
    let workSize = size;
    if (at >= 0) {
      frames[0] = first.subarray(at + 1);
      workSize = size - at - 1;
    }
    return this.offerWork(frames, workSize);
  }

  /**
   * A message the tap did not keep (over --max-message-bytes in all its frames, or more than
   * MAX_MESSAGE_FRAMES frames): the fan-out published it, the work path counts and drops it.
   */
  private tooLarge(size: number): void {
    this.countTaken(size);
    this.counters.malformed['too-large']++;
    this.counters.dropped['too-large']++;
  }

  // Every message the tap hands on was taken from the ingress and published by the fan-out.
  private countTaken(size: number): void {
    const s = this.counters;
    s.received++;
    s.receivedBytes += size;
    s.published++;
    s.publishedBytes += size;
  }

  /**
   * Sends at once when nothing is queued; the send is synchronous (sendTimeout 0) and, when no
   * worker can take the message, rejects with EAGAIN. The caller awaits the returned send
   * before the next message (an await of a settled promise: one microtask) and, when it was
   * refused, hands the message to `pushRefused`, which queues it with order kept.
   */
  private offerWork(work: WorkMessage, size: number): Promise<void> | undefined {
    const s = this.counters;
    if (this.draining) {
      this.enqueue(work, size);
      return undefined;
    }
    const pusher = this.pusher as Push;
    if (this.options.pushPolicy === 'drop') {
      // The original design: try once, drop if no worker can take it now.
      if (pusher.writable) {
        pusher.send(work).then(undefined, this.onPushError);
        s.pushed++;
        s.pushedBytes += size;
      } else {
        s.dropped['no-worker']++;
      }
      return undefined;
    }
    s.pushed++;
    s.pushedBytes += size;
    return pusher.send(work);
  }

  /** A send from `offerWork` was refused: undoes its count and queues the message (EAGAIN). */
  private pushRefused(err: unknown, work: WorkMessage): void {
    if (!isZmqError(err, 'EAGAIN') || this.state === 'stopped') {
      this.sendFailed('push', err);
      return;
    }
    const size = messageBytes(work);
    this.counters.pushed--;
    this.counters.pushedBytes -= size;
    this.enqueue(work, size);
  }

  private enqueue(work: WorkMessage, size: number): void {
    if (this.queue.offer(work, size, this.onEvict) === 'dropped') {
      this.counters.dropped['queue-full-newest']++;
      return;
    }
    this.counters.queued++;
    if (!this.draining) this.drainRun = this.drain();
  }

  private readonly onEvict = (): void => {
    this.counters.dropped['queue-full-oldest']++;
  };

  /** Delivers queued work in order, waiting (without blocking ingress) until a worker can take it. */
  private async drain(): Promise<void> {
    this.draining = true;
    const pusher = this.pusher as Push;
    try {
      for (let n = 1; this.queue.length > 0 && !pusher.closed && !this.workStopped; n++) {
        const message = this.queue.peek() as WorkMessage;
        this.queue.headInFlight = true;
        try {
          // sendTimeout 0: synchronous, and no ZMQ_EVENTS poll as `writable` would cost.
          await pusher.send(message);
        } catch (err) {
          if (pusher.closed || !isZmqError(err, 'EAGAIN')) throw err;
          // No worker can take it now: wait for one without blocking the ingress.
          pusher.sendTimeout = -1;
          try {
            await pusher.send(message);
          } finally {
            if (!pusher.closed) pusher.sendTimeout = 0;
          }
        }
        this.pushQueued();
        if (n % YIELD_EVERY === 0) await yieldToEventLoop();
      }
    } catch (err) {
      if (this.state === 'running')
        this.log.error({ err }, 'push failed while draining the work queue');
    } finally {
      this.draining = false;
      this.onIdle?.();
    }
  }

  // Counts the queue's head as pushed and removes it.
  private pushQueued(): void {
    const before = this.queue.bytes;
    this.queue.removeHead();
    this.counters.pushed++;
    this.counters.pushedBytes += before - this.queue.bytes;
  }

  private sendFailed(socket: 'push', err: unknown): void {
    if (this.state === 'running') this.log.error({ err, socket }, 'send failed');
  }

  /**
   * Binds `socket` (IPv6 turned on for a bracketed address). On a socket with a monitor,
   * zeromq.js reports every failed bind as EAGAIN ("Operation was not possible or timed out":
   * the monitor's own send overwrites libzmq's errno); the monitor's `bind:error` event carries
   * the real reason ("Address already in use", "File name too long"), so a failure waits up to
   * 0.5 s for it.
   */
  private async bind(socket: Socket, name: string, endpoint: string): Promise<string> {
    const path = /^ipc:\/\/([^@].*)$/.exec(endpoint)?.[1];
    if (path !== undefined && (await unixSocketAnswers(path))) {
      // libzmq would unlink the path and bind anew, silently taking it from its owner.
      throw new BindError(name, endpoint, {
        cause: new Error('Address already in use (a process is listening on that path)'),
      });
    }
    try {
      if (needsIpv6(endpoint)) socket.ipv6 = true;
      await socket.bind(endpoint);
    } catch (err) {
      for (let i = 0; i < 50 && !this.bindErrors.has(socket); i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new BindError(name, endpoint, { cause: this.bindErrors.get(socket) ?? err });
    }
    return socket.lastEndpoint ?? endpoint;
  }

  private watchPeers(socket: Socket, role: keyof BrokerStats['peers'], label: string): void {
    const peers = this.counters.peers;
    const loop = async (): Promise<void> => {
      try {
        for await (const event of socket.events) {
          if (event.type === 'accept') {
            peers[role]++;
            this.log.info(
              { role: label, address: event.address, connected: peers[role] },
              `${label} connected`,
            );
          } else if (event.type === 'disconnect') {
            peers[role] = Math.max(0, peers[role] - 1);
            this.log.info(
              { role: label, address: event.address, connected: peers[role] },
              `${label} disconnected`,
            );
          } else if (event.type === 'bind:error') {
            this.bindErrors.set(socket, event.error);
          } else if (
            event.type === 'handshake:error:protocol' ||
            event.type === 'handshake:error:other'
          ) {
            this.log.warn(
              { role: label, address: event.address, event: event.type },
              `${label} handshake failed`,
            );
          }
        }
      } catch (err) {
        if (this.state === 'running')
          this.log.warn({ err, role: label }, 'socket event monitor ended');
      }
    };
    this.eventLoops.push(loop());
  }

  private logDrops(): void {
    const s = this.counters;
    const summary = JSON.stringify([s.dropped, s.malformed]);
    if (summary === this.lastDropSummary) return;
    const first = this.lastDropSummary === '';
    this.lastDropSummary = summary;
    if (first && s.totalDropped() === 0 && Object.values(s.malformed).every((n) => n === 0)) return;
    this.log.warn(
      { dropped: { ...s.dropped }, malformed: { ...s.malformed }, queueDepth: this.queue.length },
      'drops and malformed messages so far',
    );
  }

  private warnIfExposed(): void {
    for (const [name, endpoint] of Object.entries(this.bound ?? {})) {
      if (name !== 'monitor' && isExposedEndpoint(endpoint)) {
        this.log.warn(
          { socket: name, endpoint },
          'bound beyond loopback without encryption: anyone who can reach this address can publish and read messages',
        );
      }
    }
  }
}

/** Topic bytes before the separator: 1..255 bytes of UTF-8 without control characters. */
function isValidTopicBytes(frame: Buffer, end: number): boolean {
  if (end === 0 || end > MAX_TOPIC_BYTES) return false;
  let ascii = true;
  for (let i = 0; i < end; i++) {
    const b = frame[i] as number;
    if (b < 0x20 || b === 0x7f) return false;
    if (b >= 0x80) {
      ascii = false;
      // C1 controls U+0080..U+009F are 0xC2 0x80..0x9F in UTF-8.
      const next = frame[i + 1] as number;
      if (b === 0xc2 && i + 1 < end && next >= 0x80 && next < 0xa0) return false;
    }
  }
  return ascii || isUtf8(frame.subarray(0, end));
}
