/**
 * What the JetStream store keeps per queue in the process: the definition, its names, the
 * leases this store holds (a lease is JetStream's delivery plus this store's own deadline),
 * the naks with a delay it made, its counters since open, and the figures last read from
 * JetStream. The queue's messages themselves live only in JetStream.
 */
import type { QueueDefinition } from '../definition';
import { newCounters } from '../queue-state';
import type { Delivery, StoredMessage } from '../types';
import type { Pulled } from './link';
import { queueNames, type QueueNames } from './names';

/** Figures of a queue as last read from JetStream. */
export interface QueueView {
  /** Messages in the work stream (ready, leased anywhere, delayed). */
  messages: number;
  /** What JetStream counts for them (see codec.ts `storedSize`). */
  bytes: number;
  /** Messages never delivered (the consumer's num_pending). */
  pending: number;
  /** The highest stream seq delivered so far: higher seqs were never delivered. */
  delivered: number;
  firstSeq: number;
  lastSeq: number;
  /** publishedAt of the message at firstSeq (0: none). */
  oldestPublishedAt: number;
  /** Dead letters kept. */
  dead: number;
}

export class JsQueue {
  readonly names: QueueNames;
  readonly counters = newCounters();
  /** The leases this store holds, by seq. */
  readonly leases = new Map<number, JsLease>();
  /** Naks with a delay this store made: seq -> when the delay ends (ms since the epoch). */
  readonly delayed = new Map<number, number>();
  view: QueueView = {
    messages: 0,
    bytes: 0,
    pending: 0,
    delivered: 0,
    firstSeq: 0,
    lastSeq: 0,
    oldestPublishedAt: 0,
    dead: 0,
  };
  /** Deliveries that came after their pull ended: JetStream holds them for this store; the next lease hands them out first. */
  readonly late: Array<{ pulled: Pulled; touched: number }> = [];
  /** The pull in flight (one at a time: a second would only be told "requests pending"). */
  pulling: Promise<unknown> = Promise.resolve();
  /** Appends making room in a drop-oldest queue, one at a time. */
  makingRoom: Promise<unknown> = Promise.resolve();

  constructor(
    public def: QueueDefinition,
    namespace: string,
  ) {
    this.names = queueNames(namespace, def.name);
  }
}

export type LeaseState = 'held' | 'lapsed' | 'settled';

/** One delivery this store handed out. */
export class JsLease {
  state: LeaseState = 'held';
  /** When JetStream last heard of it (delivery, progress): its own ack wait runs from there. */
  touched: number;

  constructor(
    readonly queue: JsQueue,
    readonly seq: number,
    readonly attempt: number,
    /** JetStream's ack subject of this delivery. */
    readonly reply: string,
    readonly message: StoredMessage,
    public deadline: number,
    now: number,
  ) {
    this.touched = now;
  }
}

/** A delivery of this store; its lease is private (not serialized, not spread). */
export class JsDelivery implements Delivery {
  readonly #lease: JsLease;

  constructor(lease: JsLease) {
    this.#lease = lease;
    this.queue = lease.queue.def.name;
    this.seq = lease.seq;
    this.attempt = lease.attempt;
    this.message = lease.message;
  }

  readonly queue: string;
  readonly seq: number;
  readonly attempt: number;
  readonly message: StoredMessage;

  get handle(): JsLease {
    return this.#lease;
  }
}
