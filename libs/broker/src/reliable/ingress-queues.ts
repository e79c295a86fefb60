import { decodeMeta } from '@zmq-mq/protocol';
import type { AppendRequest, AppendResult, QueueStore } from '@zmq-mq/queue-store';
import type { Logger } from '../logger';
import type { QueueIndex } from './queue-index';
import type { ReliableStats } from './stats';

/**
 * Messages appended and not yet durable past which the work path waits for the store instead
 * of reading on: the tap then stays unread and producers feel TCP backpressure.
 */
export const INGRESS_MAX_IN_FLIGHT = 50_000;

/**
 * The plain ingress into the durable queues (counted mode): the work path hands every message
 * with a valid topic to `take()`; one whose topic matches a queue is copied (the tap's frames
 * are views into its read buffer) and appended with the next `flush()`, which the work path
 * calls after each batch it reads. When the store is behind by INGRESS_MAX_IN_FLIGHT messages,
 * `flush()` returns a promise the work path awaits: it never drops for the store. A queue at
 * its limit refuses (`overflow: reject`, counted `ingressRejected`) or drops its oldest
 * (`drop-oldest`, counted by the store).
 */
export class IngressQueues {
  private batch: AppendRequest[] = [];
  private inFlight = 0;
  private waiters: Array<() => void> = [];
  private drained: Array<() => void> = [];
  private loggedFailure = false;

  constructor(
    private readonly store: QueueStore,
    private readonly index: QueueIndex,
    private readonly stats: ReliableStats,
    private readonly log: Logger,
    private readonly maxInFlight = INGRESS_MAX_IN_FLIGHT,
  ) {}

  /**
   * The hot path: `frames` as received (frame 0 `topic SP payload`, the topic valid and ending
   * at `at`). Nothing happens unless a queue takes the topic.
   */
  take(frames: readonly Buffer[], at: number): void {
    const first = frames[0] as Buffer;
    if (this.index.size === 0) return;
    const topic = first.toString('utf8', 0, at);
    const queues = this.index.matchTopic(topic, first);
    if (queues === undefined) return;
    const copies: Buffer[] = new Array(frames.length);
    for (let i = 0; i < frames.length; i++) copies[i] = Buffer.from(frames[i] as Buffer);
    this.batch.push({
      message: {
        frames: copies,
        topic,
        id: frames.length > 1 ? metaId(frames[1] as Buffer) : '',
        publishedAt: Date.now(),
      },
      queues,
    });
  }

  /**
   * Appends what `take()` gathered. Returns a promise to await before reading on when the store
   * is behind; undefined otherwise.
   */
  flush(): Promise<void> | undefined {
    if (this.batch.length > 0) {
      const batch = this.batch;
      this.batch = [];
      this.inFlight += batch.length;
      this.store.append(batch).then(
        (results) => this.appended(batch, results),
        (err: unknown) => this.failed(batch, err),
      );
    }
    if (this.inFlight <= this.maxInFlight) return undefined;
    this.stats.ingressWaits++;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Resolves once every append issued has settled (for stop). */
  drain(): Promise<void> {
    this.flush();
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  private appended(batch: AppendRequest[], results: AppendResult[]): void {
    for (const r of results) {
      if (r.status === 'stored') this.stats.ingressAppended++;
      else if (r.status === 'rejected') this.stats.ingressRejected++;
    }
    this.settled(batch.length);
  }

  private failed(batch: AppendRequest[], err: unknown): void {
    this.stats.ingressStoreErrors += batch.length;
    if (!this.loggedFailure) {
      this.loggedFailure = true;
      this.log.error(
        { err, messages: batch.length },
        'durable queues: appending plain-ingress messages failed; later failures are counted (ingressStoreErrors)',
      );
    }
    this.settled(batch.length);
  }

  private settled(n: number): void {
    this.inFlight -= n;
    if (this.inFlight <= this.maxInFlight && this.waiters.length > 0) {
      for (const wake of this.waiters.splice(0)) wake();
    }
    if (this.inFlight === 0 && this.drained.length > 0) {
      for (const wake of this.drained.splice(0)) wake();
    }
  }
}

/** The metadata frame's id, or '' when frame 1 is no metadata frame. */
function metaId(frame: Buffer): string {
  try {
    return decodeMeta(frame).id;
  } catch {
    return '';
  }
}
