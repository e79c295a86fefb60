import { isUtf8 } from 'node:buffer';
import { isZmqError, MAX_TOPIC_BYTES, SEPARATOR } from '@zmq-mq/protocol';
import type { Push } from 'zeromq';
import type { PathsHost } from './forwarding';
import type { Logger } from './logger';
import type { PushPolicy } from './options';
import type { IngressQueues } from './reliable/ingress-queues';
import type { BrokerStats } from './stats';
import type { StreamTap } from './stream-tap';
import { messageBytes, type WorkMessage, type WorkQueue } from './work-queue';

/**
 * Most frames of a message the work path takes (our clients send 1 or 2). Each frame held
 * costs a Buffer object besides its bytes, which no byte bound sees: a message of 200,000
 * empty frames weighed 5 bytes and ~40 MB of heap. Past it, a message is counted `too-large`
 * on the work path; the fan-out, inside libzmq, still publishes it.
 */
export const MAX_MESSAGE_FRAMES = 16;

/** Messages handled between two turns of the event loop under a continuous flood. */
const YIELD_EVERY = 256;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The counted mode's work path, in JavaScript: reads every message from the tap, counts it,
 * checks it, strips the topic and offers the payload to a worker, queueing (bounded) what no
 * worker can take now and delivering the queue in order as workers appear. Every drop is
 * counted by reason. The hot loop (`receiveLoop` → `handle` → `offerWork`) lives in this one
 * class, with plain fields: nothing between a message and its send but these calls.
 */
export class WorkPath {
  private readonly counters: BrokerStats;
  private readonly log: Logger;
  private draining = false;
  /** The running `drain()`, if any. */
  private drainRun: Promise<void> | undefined;
  /** Set when the drain time is over: `drain()` starts no further send. */
  private workStopped = false;
  private workEnded: Promise<number> | undefined;
  private onIdle: (() => void) | undefined;
  private receiving: Promise<void> | undefined;
  private readonly onPushError = (err: unknown): void => this.sendFailed('push', err);

  /**
   * `pushPolicy` and `drainTimeoutMs` as the broker's options say; `pusher` is the bound PUSH,
   * which this path alone sends on, and closes when its work ends (`end()`). `durable`: the
   * durable queues' tap, which sees every message with a valid topic and may make the loop
   * wait for the store (never drop).
   */
  constructor(
    private readonly host: PathsHost,
    private readonly queue: WorkQueue,
    private readonly pusher: Push,
    private readonly pushPolicy: PushPolicy,
    private readonly drainTimeoutMs: number,
    private readonly durable?: IngressQueues,
  ) {
    this.counters = host.counters;
    this.log = host.log;
  }

  /** Starts reading `tap`; `loop` resolves once it has been read to its end (or failed). */
  run(tap: StreamTap): void {
    this.receiving = this.receiveLoop(tap);
  }

  /** The receive loop, once `run()` started it. */
  get loop(): Promise<void> | undefined {
    return this.receiving;
  }

  /** No further delivery from the queue (an abort): what it holds stays for `end()` to count. */
  stopDelivery(): void {
    this.workStopped = true;
  }

  /** Resolves once the queue is delivered, or after `timeoutMs`. */
  async waitForDrain(timeoutMs: number): Promise<void> {
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
   * Ends delivery when the drain time is over, then counts what the queue still holds as
   * `shutdown` drops and empties it; returns that count. Idempotent. No send starts after the
   * call, and the push socket closes at once (its linger still hands workers what libzmq
   * holds): a send that waits for a worker then settles, sent if one can take it now, refused
   * otherwise, and only after that is the queue counted. So no message is both pushed and
   * counted dropped, and none is neither.
   */
  end(): Promise<number> {
    this.workEnded ??= (async () => {
      this.workStopped = true;
      if (!this.pusher.closed) this.pusher.close();
      await this.drainRun;
      const undelivered = this.queue.length;
      if (undelivered > 0) {
        this.counters.dropped.shutdown += undelivered;
        this.log.warn(
          { undelivered, bytes: this.queue.bytes, drainTimeoutMs: this.drainTimeoutMs },
          'work messages left undelivered at shutdown',
        );
      }
      this.queue.clear();
      return undelivered;
    })();
    return this.workEnded;
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
        const storeBehind = this.durable?.flush();
        if (storeBehind !== undefined) await storeBehind;
      }
      if (this.host.running()) throw new Error('the tap stream ended while running');
    } catch (err) {
      if (this.host.running()) {
        this.host.failed('tap');
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
    else this.durable?.take(frames, at);

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
    const pusher = this.pusher;
    if (this.pushPolicy === 'drop') {
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
    if (!isZmqError(err, 'EAGAIN') || this.host.stopped()) {
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
    const pusher = this.pusher;
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
      if (this.host.running()) this.log.error({ err }, 'push failed while draining the work queue');
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
    if (this.host.running()) this.log.error({ err, socket }, 'send failed');
  }
}

/** Topic bytes before the separator: 1..255 bytes of UTF-8 without control characters. */
export function isValidTopicBytes(frame: Buffer, end: number): boolean {
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
