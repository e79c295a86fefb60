/**
 * The in-memory index of one queue: its chunks, its ready messages (fresh FIFO, returned
 * min-heap by seq), its leases grouped by ack wait, its delayed count, totals and counters.
 */
import type { QueueDefinition } from './definition';
import { SETTLED } from './journal';
import { Deque, MinHeap, runHolding } from './structures';
import type { QueueCounters, StoredMessage } from './types';

/** Where a live message is. */
export const EntryState = {
  Fresh: 0,
  Returned: 1,
  Leased: 2,
  Delayed: 3,
  Settled: 4,
} as const;
export type EntryState = (typeof EntryState)[keyof typeof EntryState];

/** One message of a queue, from its append until it is settled. */
export class Entry {
  state: EntryState = EntryState.Fresh;
  /** Deliveries so far. */
  attempts = 0;
  /** Lease deadline or delay due time (ms since the epoch). */
  at = 0;
  /** The lease group (by ack wait) holding this entry while leased. */
  group: Set<Entry> | undefined = undefined;

  constructor(
    readonly queue: QueueState,
    readonly chunk: Chunk,
    readonly index: number,
    readonly seq: number,
    readonly bytes: number,
    readonly publishedAt: number,
  ) {}
}

/** The messages one queue got in one turn, persisted under one key. */
export class Chunk {
  readonly entries: (Entry | undefined)[] = [];
  live = 0;
  /** State bytes; made when the chunk is written (until then the entries say it all). */
  states: Uint8Array | undefined = undefined;
  written = false;
  removed = false;
  /** Frame bytes of its messages. */
  bytes = 0;
  /** Messages never leased yet. */
  unleased = 0;
  /** The messages as appended, kept until each was leased once (a cache: no read back). */
  messages: StoredMessage[] | undefined = undefined;

  constructor(readonly firstSeq: number) {}

  /** State bytes built from the entries (at write time). */
  buildStates(): Uint8Array {
    const s = new Uint8Array(this.entries.length);
    this.entries.forEach((e, i) => {
      s[i] = e === undefined || e.state === EntryState.Settled ? SETTLED : e.attempts;
    });
    return s;
  }
}

export function newCounters(): QueueCounters {
  return {
    appended: 0,
    duplicates: 0,
    rejected: 0,
    droppedOldest: 0,
    delivered: 0,
    acked: 0,
    nacked: 0,
    redelivered: 0,
    expired: 0,
    deadLettered: 0,
    deadDropped: 0,
    replayed: 0,
    purged: 0,
  };
}

export class QueueState {
  /** Chunks in firstSeq order. */
  readonly chunks: Chunk[] = [];
  /** Never-delivered messages in seq order (the last ones may not be durable yet). */
  readonly fresh = new Deque<Entry>();
  /** Messages back from a lease (nak, expiry, restart), leased before fresh ones, in seq order. */
  readonly returned = new MinHeap<Entry>((e) => e.seq);
  /** Leased entries by ack wait (ms); each Set is in deadline order. */
  readonly leases = new Map<number, Set<Entry>>();
  /** Dead letters by seq, in the order they died: bytes and time of death. */
  readonly dead = new Map<number, { bytes: number; deadAt: number }>();
  readonly counters = newCounters();
  /** Fresh messages with a seq up to this one are durable and may be leased. */
  visibleSeq = 0;
  returnedCount = 0;
  leasedCount = 0;
  leasedBytes = 0;
  delayedCount = 0;
  count = 0;
  bytes = 0;

  constructor(
    public def: QueueDefinition,
    readonly qid: number,
    public nextSeq: number,
  ) {}

  /** The chunk holding `seq`, or undefined. */
  chunkOf(seq: number): Chunk | undefined {
    return runHolding(this.chunks, seq, (c) => c.entries.length);
  }

  entryOf(seq: number): Entry | undefined {
    const c = this.chunkOf(seq);
    return c === undefined ? undefined : c.entries[seq - c.firstSeq];
  }

  removeChunk(chunk: Chunk): void {
    chunk.removed = true;
    const i = this.chunks[0] === chunk ? 0 : this.chunks.indexOf(chunk);
    if (i >= 0) this.chunks.splice(i, 1);
  }

  /** The lowest-seq live entry, or undefined. */
  oldest(): Entry | undefined {
    for (const c of this.chunks) {
      for (const e of c.entries) if (e !== undefined && e.state !== EntryState.Settled) return e;
    }
    return undefined;
  }

  /** The next returned entry that is still ready (drops stale heap items). */
  peekReturned(): Entry | undefined {
    for (;;) {
      const e = this.returned.peek();
      if (e === undefined || e.state === EntryState.Returned) return e;
      this.returned.pop();
    }
  }
}
