/**
 * The store contract: what an embedded (LMDB), in-memory or replicated (JetStream) engine
 * implements for the broker's durable queues. Every operation that may touch a disk or a
 * network is async.
 */
import type { QueueDefinition, QueueDefinitionInput, QueueLimit } from './definition';

/**
 * A message as a queue holds it. Read-only once appended: a store may keep the object and
 * its Buffers and hand the same object out in deliveries (of every queue it went to).
 */
export interface StoredMessage {
  /** The message as published: frame 0 `topic SP payload`, then the optional metadata frame, ... */
  frames: Buffer[];
  /** The topic, parsed once by the caller at append. */
  topic: string;
  /** The message id ('' for plain-ingress messages without metadata). */
  id: string;
  /** ms since the epoch; `maxAgeMs` is measured from it. */
  publishedAt: number;
}

/** A leased message. Hand it back to ack/nak/term/progress as it was received. */
export interface Delivery {
  queue: string;
  /** Store-assigned, increasing per queue. */
  seq: number;
  /** 1 on the first delivery; a message leased again (nak, ack-wait expiry, crash) counts on. */
  attempt: number;
  message: StoredMessage;
  /** The implementation's own handle for this lease (not for callers to read). */
  handle?: unknown;
}

/** One message to append to one or more queues. */
export interface AppendRequest {
  message: StoredMessage;
  /** Names of declared queues (the broker matches the topic against the prefixes). */
  queues: string[];
  /** Deduplication id: a request whose id was appended within the dedup window is a 'duplicate' and is not stored again. */
  dedupId?: string;
}

/** Why an append was refused. */
export type AppendRejectReason = 'queue-full' | 'unknown-queue';

/** The outcome of one append request. Requests are all-or-nothing across their queues. */
export type AppendResult =
  | { status: 'stored'; seqs: number[] }
  | { status: 'duplicate' }
  | {
      status: 'rejected';
      reason: AppendRejectReason;
      /** The queue that refused. */
      queue: string;
      /** The limit it ran into (for 'queue-full'). */
      limit?: QueueLimit;
      /** For people: names the queue and the limit. */
      text: string;
    };

/** A message that left its queue without an ack. */
export interface DeadLetter {
  queue: string;
  seq: number;
  message: StoredMessage;
  /** 'max-deliveries', 'term: <reason>' or 'expired'. */
  reason: string;
  /** How often it had been delivered. */
  attempts: number;
  /** ms since the epoch. */
  deadAt: number;
}

/** Counters of one queue since the store opened (they start at 0 at each open). */
export interface QueueCounters {
  /** Messages stored by append (replays not counted). */
  appended: number;
  /** Append requests that were duplicates of a stored dedup id. */
  duplicates: number;
  /** Append requests this queue refused (a limit, overflow 'reject'). */
  rejected: number;
  /** Ready messages dropped to make room (overflow 'drop-oldest'). */
  droppedOldest: number;
  /** Leases handed out (first deliveries and redeliveries). */
  delivered: number;
  /** Messages removed by an ack. */
  acked: number;
  /** Leases returned by nak (requeued or dead). */
  nacked: number;
  /** Leases of attempt 2 or more. */
  redelivered: number;
  /** Leases whose ack wait ran out. */
  expired: number;
  /** Messages moved to the dead letters (every reason). */
  deadLettered: number;
  /** Dead letters dropped past maxDeadMessages. */
  deadDropped: number;
  /** Dead letters moved back to the queue by replay. */
  replayed: number;
  /** Dead letters deleted by purge. */
  purged: number;
}

/** A snapshot of one queue. */
export interface QueueStats {
  queue: string;
  /** Ready to lease now. */
  ready: number;
  /** Leased, not yet acked. */
  unacked: number;
  /** Nak'd with a delay that has not run out. */
  delayed: number;
  /** ready + unacked + delayed (what maxMessages limits). */
  messages: number;
  /** Bytes of frames of those messages (what maxBytes limits). */
  bytes: number;
  /** Age in ms of the oldest live message (lowest seq), 0 when empty. */
  oldestAgeMs: number;
  /** Dead letters kept. */
  dead: number;
  counters: QueueCounters;
}

/** Called when a queue has ready messages again (append, nak, ack-wait expiry, delay over, replay). */
export type ReadyListener = (queue: string) => void;

/**
 * A store of durable queues. Messages of a queue are leased in seq order (redeliveries first,
 * in seq order); a lease that is neither acked nor extended before its ack wait runs out
 * returns to the queue. At-least-once: nothing confirmed is lost, a message may be delivered
 * more than once.
 */
export interface QueueStore {
  /** Opens the store (for a durable store: reads back every queue). */
  open(): Promise<void>;
  /** Stops the timers and closes; idempotent. Writes already issued are finished first. */
  close(): Promise<void>;
  /** Creates or updates a queue (persisted); declaring the same definition again changes nothing. */
  declare(def: QueueDefinitionInput): Promise<QueueDefinition>;
  /** Every declared queue. */
  definitions(): QueueDefinition[];
  /**
   * Appends each message to each named queue. Resolves, one result per request in order, once
   * the stored messages are DURABLE (fsync'd for LMDB). Stored messages become leasable then.
   */
  append(batch: AppendRequest[]): Promise<AppendResult[]>;
  /** Leases up to `max` ready messages of `queue` for `ackWaitMs`. */
  lease(queue: string, max: number, ackWaitMs: number): Promise<Delivery[]>;
  /** Removes the messages (no durability wait: a lost ack means a redelivery). */
  ack(deliveries: Delivery[]): Promise<void>;
  /** Returns the message to the queue now or after `delayMs`; 'dead' when it had maxDeliveries attempts. */
  nak(delivery: Delivery, delayMs: number): Promise<'requeued' | 'dead'>;
  /** Moves the message to the dead letters now, reason 'term: <reason>'. */
  term(delivery: Delivery, reason: string): Promise<void>;
  /** Extends the lease: its ack wait starts again, `ackWaitMs` from now. */
  progress(delivery: Delivery, ackWaitMs: number): Promise<void>;
  /** Registers a listener told when a queue has ready messages again. */
  onReady(listener: ReadyListener): void;
  /** Dead letters of `queue` with seq above `after`, in seq order, at most `limit`. */
  deadLetters(queue: string, opts: { after?: number; limit: number }): Promise<DeadLetter[]>;
  /** Moves dead letters (all, or those seqs) back to the queue's tail, attempt reset; returns how many. */
  replay(queue: string, seqs?: number[]): Promise<number>;
  /** Deletes the queue's dead letters; returns how many. */
  purge(queue: string): Promise<number>;
  /**
   * A snapshot of the queue. A store whose queues live in a remote engine (JetStream) serves
   * the engine's figures as last read (at most its maintenance interval old) with its own
   * leases and counters; `refresh()` reads them now.
   */
  stats(queue: string): QueueStats;
  /**
   * Remote stores only: reads the definitions and the figures of `stats()` from the engine now.
   * A store whose state is all in the process has nothing to read and leaves it out.
   */
  refresh?(): Promise<void>;
  /**
   * Remote stores only: registers a listener told when a queue was declared or changed by
   * another user of the same engine (another broker), once the store has read it.
   */
  onDeclared?(listener: (def: QueueDefinition) => void): void;
}
