/**
 * What the shared engine needs from a storage back end, and the in-memory one.
 *
 * The engine keeps every index in memory and tells the journal what to persist. Messages are
 * written in chunks: the messages one queue got in one event-loop turn, seqs
 * `firstSeq .. firstSeq + n - 1`, under one key. Each chunk has a state record, one byte per
 * message: 0 never delivered, 1..250 delivered that many times, 255 settled (acked, dead,
 * dropped). A chunk is deleted when all its messages are settled.
 */
import type { QueueDefinition } from './definition';
import type { StoredMessage } from './types';

/** Per-message state byte of a settled message (acked, dead-lettered, dropped). */
export const SETTLED = 255;

export interface LoadedQueue {
  qid: number;
  def: QueueDefinition;
  nextSeq: number;
}

export interface LoadedChunk {
  qid: number;
  firstSeq: number;
  /** Frame bytes of each message. */
  bytes: number[];
  publishedAt: number[];
  /** State bytes; undefined when never written (all 0). */
  states: Uint8Array | undefined;
}

export interface LoadedDead {
  qid: number;
  seq: number;
  bytes: number;
  deadAt: number;
}

export interface LoadedDedup {
  expiresAt: number;
  ids: string[];
}

/** Everything a journal holds, read back at open; chunks in (qid, firstSeq) order. */
export interface LoadedState {
  queues: LoadedQueue[];
  chunks: LoadedChunk[];
  dead: LoadedDead[];
  /** In expiry order; already-expired entries left out. */
  dedup: LoadedDedup[];
}

/** A dead letter as the journal returns it, with its record for a replay. */
export interface JournalDead<R> {
  message: StoredMessage;
  record: R;
  reason: string;
  attempts: number;
  deadAt: number;
}

/**
 * A storage back end. Writes are issued synchronously and become durable together;
 * `durable()` resolves when every write issued before the call is durable and rejects
 * when one of them failed (a journal may also report such a failure as it happens).
 * `R` is the encoded form of a message, made once per message by `encode`.
 */
export interface Journal<R> {
  open(): Promise<LoadedState>;
  close(): Promise<void>;
  encode(message: StoredMessage): R;
  putQueue(qid: number, def: QueueDefinition, nextSeq: number): void;
  putChunk(
    qid: number,
    firstSeq: number,
    records: R[],
    bytes: number[],
    publishedAt: number[],
  ): void;
  putStates(qid: number, firstSeq: number, states: Uint8Array): void;
  deleteChunk(qid: number, firstSeq: number): void;
  /** Messages of one chunk, read back from storage. */
  readMessages(qid: number, firstSeq: number, indexes: number[]): StoredMessage[];
  readRecord(qid: number, firstSeq: number, index: number): R;
  putDead(
    qid: number,
    seq: number,
    record: R,
    meta: { reason: string; attempts: number; deadAt: number; publishedAt: number; bytes: number },
  ): void;
  readDead(qid: number, seq: number): JournalDead<R> | undefined;
  deleteDead(qid: number, seq: number): void;
  putDedup(expiresAt: number, ids: string[]): void;
  /**
   * Leases just made, before they go out: a journal that can keep their counts through a
   * process crash sooner than `putStates` makes them durable does so here (LmdbJournal's
   * LeaseLog). Optional.
   */
  noteLeases?(qid: number, leases: ReadonlyArray<{ seq: number; attempt: number }>): void;
  /** A turn's writes (new chunks and changed states) have all been issued. Optional. */
  turnIssued?(): void;
  /** Deletes the dedup records that expire at or before `time`. */
  deleteDedupThrough(time: number): void;
  durable(): Promise<void>;
}

interface MemoryDead {
  record: StoredMessage;
  reason: string;
  attempts: number;
  deadAt: number;
  bytes: number;
}

const key = (qid: number, n: number): string => `${qid}:${n}`;

/**
 * Keeps everything in Maps of this object: nothing on disk. Its contents outlive a
 * close/open of the store that uses it (a restart without a crash, for tests). Messages are
 * kept and handed out by reference (the StoredMessage contract: read-only once appended).
 */
export class MemoryJournal implements Journal<StoredMessage> {
  private readonly queues = new Map<number, LoadedQueue>();
  private readonly chunks = new Map<
    string,
    { qid: number; firstSeq: number; records: StoredMessage[] }
  >();
  private readonly states = new Map<string, Uint8Array>();
  private readonly dead = new Map<string, { qid: number; seq: number; dead: MemoryDead }>();
  private readonly dedup = new Map<string, LoadedDedup>();
  private dedupSerial = 0;

  async open(): Promise<LoadedState> {
    const now = Date.now();
    this.deleteDedupThrough(now);
    const chunks = [...this.chunks.values()]
      .sort((a, b) => a.qid - b.qid || a.firstSeq - b.firstSeq)
      .map((c) => ({
        qid: c.qid,
        firstSeq: c.firstSeq,
        bytes: c.records.map(frameBytes),
        publishedAt: c.records.map((r) => r.publishedAt),
        states: this.states.get(key(c.qid, c.firstSeq))?.slice(),
      }));
    return {
      queues: [...this.queues.values()].map((q) => ({ ...q })),
      chunks,
      dead: [...this.dead.values()].map((d) => ({
        qid: d.qid,
        seq: d.seq,
        bytes: d.dead.bytes,
        deadAt: d.dead.deadAt,
      })),
      dedup: [...this.dedup.values()].sort((a, b) => a.expiresAt - b.expiresAt),
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  encode(message: StoredMessage): StoredMessage {
    return message;
  }

  putQueue(qid: number, def: QueueDefinition, nextSeq: number): void {
    this.queues.set(qid, { qid, def, nextSeq });
  }

  putChunk(qid: number, firstSeq: number, records: StoredMessage[]): void {
    this.chunks.set(key(qid, firstSeq), { qid, firstSeq, records });
  }

  putStates(qid: number, firstSeq: number, states: Uint8Array): void {
    this.states.set(key(qid, firstSeq), states.slice());
  }

  deleteChunk(qid: number, firstSeq: number): void {
    this.chunks.delete(key(qid, firstSeq));
    this.states.delete(key(qid, firstSeq));
  }

  readMessages(qid: number, firstSeq: number, indexes: number[]): StoredMessage[] {
    return indexes.map((i) => this.readRecord(qid, firstSeq, i));
  }

  readRecord(qid: number, firstSeq: number, index: number): StoredMessage {
    const record = this.chunks.get(key(qid, firstSeq))?.records[index];
    if (record === undefined) throw new Error(`no message ${qid}:${firstSeq}+${index}`);
    return record;
  }

  putDead(
    qid: number,
    seq: number,
    record: StoredMessage,
    meta: { reason: string; attempts: number; deadAt: number; bytes: number },
  ): void {
    this.dead.set(key(qid, seq), { qid, seq, dead: { record, ...meta } });
  }

  readDead(qid: number, seq: number): JournalDead<StoredMessage> | undefined {
    const d = this.dead.get(key(qid, seq))?.dead;
    if (d === undefined) return undefined;
    return {
      message: d.record,
      record: d.record,
      reason: d.reason,
      attempts: d.attempts,
      deadAt: d.deadAt,
    };
  }

  deleteDead(qid: number, seq: number): void {
    this.dead.delete(key(qid, seq));
  }

  putDedup(expiresAt: number, ids: string[]): void {
    this.dedup.set(`${expiresAt}:${this.dedupSerial++}`, { expiresAt, ids: [...ids] });
  }

  deleteDedupThrough(time: number): void {
    for (const [k, d] of this.dedup) if (d.expiresAt <= time) this.dedup.delete(k);
  }

  durable(): Promise<void> {
    return Promise.resolve();
  }
}

/** Total bytes of a message's frames (what maxBytes limits). */
export function frameBytes(message: StoredMessage): number {
  let n = 0;
  for (const f of message.frames) n += f.length;
  return n;
}
