import {
  encodeConfirm,
  encodeNack,
  MAX_ENTRIES,
  SEPARATOR,
  type NackCode,
  type NackEntry,
} from '@zmq-mq/protocol';
import type { AppendRequest, AppendResult, QueueStore } from '@zmq-mq/queue-store';
import type { Logger } from '../logger';
import { isValidTopicBytes } from '../work-path';
import type { FanOutFeed } from './fan-out-feed';
import type { QueueIndex } from './queue-index';
import type { Sender } from './sender';
import type { Session } from './session';
import type { ReliableStats } from './stats';

/**
 * Confirmed messages appended and not yet durable past which the port stops reading commands
 * until the store catches up (clients then feel TCP backpressure).
 */
export const PUBLISH_MAX_IN_FLIGHT = 100_000;

interface Answers {
  confirm: string[];
  nack: NackEntry[];
}

/**
 * PUBLISH: each message is checked (size, topic), matched against the queues and appended to
 * every queue that takes it, with its id as the dedup id; the answers wait for the append's
 * durability (the store's group commit) and go out at the end of that event-loop turn, ONE
 * CONFIRM (and at most one NACK) per session for all its messages of the commit. A message no
 * queue takes is confirmed at once (NACK `no-queue` when mandatory). Stored messages also go to
 * the fan-out (subscribers), when there is one and a subscriber is connected.
 */
export class Publishing {
  /** Messages appended and not yet answered. */
  inFlight = 0;
  private readonly answers = new Map<Session, Answers>();
  private flushScheduled = false;
  private stopping = false;
  private waiters: Array<() => void> = [];
  private idle: Array<() => void> = [];

  constructor(
    private readonly store: QueueStore,
    private readonly index: QueueIndex,
    private readonly sender: Sender,
    private readonly stats: ReliableStats,
    private readonly log: Logger,
    private readonly maxMessageBytes: number,
    private readonly fanOut: FanOutFeed | undefined,
  ) {}

  publish(
    session: Session,
    ids: readonly string[],
    messages: readonly Buffer[][],
    mandatory: boolean,
  ): void {
    this.stats.published += ids.length;
    if (this.stopping) {
      for (const id of ids) this.nack(session, id, 'shutting-down', 'the broker is stopping');
      return;
    }
    const now = Date.now();
    let requests: AppendRequest[] | undefined;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as string;
      const frames = messages[i] as Buffer[];
      const first = frames[0] as Buffer;
      let size = 0;
      for (let f = 0; f < frames.length; f++) size += (frames[f] as Buffer).byteLength;
      if (size > this.maxMessageBytes) {
        this.nack(
          session,
          id,
          'too-large',
          `the message has ${size} bytes, more than the broker stores (${this.maxMessageBytes})`,
          undefined,
          this.maxMessageBytes,
        );
        continue;
      }
      const at = first.indexOf(SEPARATOR);
      if (at <= 0 || !isValidTopicBytes(first, at)) {
        this.nack(
          session,
          id,
          'invalid-topic',
          'frame 0 must be `topic SP payload` with a topic of 1..255 bytes of UTF-8, no control character',
        );
        continue;
      }
      const topic = first.toString('utf8', 0, at);
      const queues = this.index.matchTopic(topic, first);
      if (queues === undefined) {
        if (mandatory) this.nack(session, id, 'no-queue', 'no queue takes this topic');
        else {
          this.confirm(session, id);
          this.fanOut?.publish(frames);
        }
        continue;
      }
      (requests ??= []).push({
        message: { frames, topic, id, publishedAt: now },
        queues,
        dedupId: id,
      });
    }
    if (requests === undefined) return;
    const batch = requests;
    this.inFlight += batch.length;
    this.store.append(batch).then(
      (results) => this.appended(session, batch, results),
      (err: unknown) => this.failed(session, batch, err),
    );
  }

  /**
   * Resolves once fewer than PUBLISH_MAX_IN_FLIGHT messages wait for the store (at once when
   * they do already).
   */
  belowLimit(): Promise<void> | undefined {
    if (this.inFlight < PUBLISH_MAX_IN_FLIGHT) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * New publishes get NACK `shutting-down`; resolves once every append in flight is answered
   * and the answers are handed to the socket.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.flush();
  }

  private appended(session: Session, batch: AppendRequest[], results: AppendResult[]): void {
    for (let i = 0; i < results.length; i++) {
      const r = results[i] as AppendResult;
      const req = batch[i] as AppendRequest;
      const id = req.dedupId as string;
      if (r.status === 'stored') {
        this.confirm(session, id);
        this.index.countConfirmed(req.queues);
        this.fanOut?.publish(req.message.frames);
      } else if (r.status === 'duplicate') {
        this.stats.duplicates++;
        this.confirm(session, id);
      } else if (r.reason === 'queue-full') {
        const def = this.index.definition(r.queue);
        const limit = def === undefined || r.limit === undefined ? undefined : def[r.limit];
        this.nack(session, id, 'queue-full', r.text, r.queue, limit);
      } else {
        this.nack(session, id, 'store-error', r.text, r.queue);
      }
    }
    this.settled(batch.length);
  }

  private failed(session: Session, batch: AppendRequest[], err: unknown): void {
    this.stats.storeErrors++;
    this.log.error({ err, messages: batch.length }, 'durable queues: append failed');
    const text = `the store failed: ${err instanceof Error ? err.message : String(err)}`.slice(
      0,
      1000,
    );
    for (const req of batch) this.nack(session, req.dedupId as string, 'store-error', text);
    this.settled(batch.length);
  }

  private settled(n: number): void {
    this.inFlight -= n;
    if (this.inFlight < PUBLISH_MAX_IN_FLIGHT && this.waiters.length > 0) {
      for (const wake of this.waiters.splice(0)) wake();
    }
    if (this.inFlight === 0 && this.idle.length > 0) {
      for (const wake of this.idle.splice(0)) wake();
    }
  }

  private confirm(session: Session, id: string): void {
    this.stats.confirmed++;
    this.answersOf(session).confirm.push(id);
  }

  private nack(
    session: Session,
    id: string,
    code: NackCode,
    message: string,
    queue?: string,
    limit?: number,
  ): void {
    this.stats.nacked[code]++;
    const entry: NackEntry = { id, code, message };
    if (queue !== undefined) entry.queue = queue;
    if (limit !== undefined) entry.limit = limit;
    this.answersOf(session).nack.push(entry);
  }

  private answersOf(session: Session): Answers {
    let a = this.answers.get(session);
    if (a === undefined) {
      a = { confirm: [], nack: [] };
      this.answers.set(session, a);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    return a;
  }

  /** Sends the answers gathered since the last flush: one CONFIRM and one NACK per session. */
  private flush(): void {
    this.flushScheduled = false;
    for (const [session, a] of this.answers) {
      for (const ids of chunks(a.confirm)) this.sender.send(session, encodeConfirm(ids));
      for (const entries of chunks(a.nack)) this.sender.send(session, encodeNack(entries));
    }
    this.answers.clear();
  }
}

/** A list cut into lists of at most MAX_ENTRIES (a command's limit); none for an empty one. */
function chunks<T>(list: T[]): T[][] {
  if (list.length <= MAX_ENTRIES) return list.length === 0 ? [] : [list];
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += MAX_ENTRIES) out.push(list.slice(i, i + MAX_ENTRIES));
  return out;
}
