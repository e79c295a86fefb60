/**
 * The journal on LMDB (lmdb-js): one environment in the data directory, five sub-databases.
 *
 *   queues    qid                 -> {def, nextSeq}                 (JSON)
 *   messages  [qid, firstSeq]     -> chunk: the records of one queue's turn (see record.ts)
 *   leases    [qid, firstSeq]     -> one byte per message of the chunk: deliveries so far, 255 settled
 *   dead      [qid, seq]          -> [reason, attempts, deadAt, publishedAt, bytes, record]
 *   dedup     [expiresAt, serial] -> the dedup ids of one turn
 *
 * Beside the environment, two small files (leases-a.log, leases-b.log: lease-log.ts) hold the
 * delivery counts of leases not yet committed, written before each delivery goes out.
 *
 * Every write is an lmdb-js async write: writes issued in one event-loop turn go into one
 * transaction, and lmdb-js starts the next transaction while the previous one commits.
 */
import { open, type Database, type RootDatabase } from 'lmdb';
import type { QueueDefinition } from './definition';
import { StoreCorruptError } from './errors';
import {
  SETTLED,
  type Journal,
  type JournalDead,
  type LoadedChunk,
  type LoadedState,
} from './journal';
import { LeaseLog, type LoggedLease } from './lease-log';
import { MAX_MAX_DELIVERIES } from './options';
import { runHolding } from './structures';
import {
  chunkRecord,
  decodeDead,
  decodeIds,
  decodeRecord,
  encodeChunk,
  encodeDead,
  encodeIds,
  encodeRecord,
  readChunkHeader,
} from './record';
import type { StoredMessage } from './types';

type Key = [number, number];

export interface LmdbJournalOptions {
  path: string;
  /** lmdb-js overlappingSync: commit, then flush while the next transaction is written. */
  overlappingSync: boolean;
  /** Keep lmdb-js metrics (transactions, sync time) for `metrics()`. */
  trackMetrics: boolean;
}

/** lmdb-js environment figures when trackMetrics is on. */
export interface LmdbMetrics {
  txns?: number;
  timeSync?: number;
  pageFlushes?: number;
  [k: string]: unknown;
}

export class LmdbJournal implements Journal<Buffer> {
  private root: RootDatabase | undefined;
  private queues!: Database<{ def: QueueDefinition; nextSeq: number }, number>;
  private messages!: Database<Buffer, Key>;
  private leases!: Database<Buffer, Key>;
  private dead!: Database<Buffer, Key>;
  private dedup!: Database<Buffer, Key>;
  private lastWrite: Promise<unknown> | undefined;
  private dedupSerial = 0;
  private readonly leaseLog: LeaseLog;
  /** A write failed: what the lease log holds may be all there is of some counts. */
  private failed = false;
  /** Told when a transaction fails to commit. */
  onFailure: (err: unknown) => void = () => undefined;

  constructor(private readonly options: LmdbJournalOptions) {
    this.leaseLog = new LeaseLog(options.path);
  }

  async open(): Promise<LoadedState> {
    const root = open({
      path: this.options.path,
      // Always a directory: lmdb-js would take a path with an extension (`data.v1`,
      // `/tmp/tmp.x1`) as the data file's own name.
      noSubdir: false,
      maxDbs: 8,
      overlappingSync: this.options.overlappingSync,
      compression: false,
      noMemInit: true,
      // Documented in lmdb-js's README and open.js, missing from its typings.
      ...({ trackMetrics: this.options.trackMetrics } as object),
    });
    this.root = root;
    this.queues = root.openDB('queues', { encoding: 'json' });
    this.messages = root.openDB('messages', { encoding: 'binary' });
    this.leases = root.openDB('leases', { encoding: 'binary' });
    this.dead = root.openDB('dead', { encoding: 'binary' });
    this.dedup = root.openDB('dedup', { encoding: 'binary' });
    this.dedupSerial = Date.now() * 1000;
    this.lastWrite = undefined;
    this.failed = false;
    const state = this.load();
    // The counts the lease log kept through a crash are made durable before it is emptied.
    await this.durable();
    this.leaseLog.start();
    return state;
  }

  private load(): LoadedState {
    const now = Date.now();
    const state: LoadedState = { queues: [], chunks: [], dead: [], dedup: [] };
    for (const { key, value } of this.queues.getRange()) {
      state.queues.push({ qid: key, def: value.def, nextSeq: value.nextSeq });
    }
    const states = new Map<string, Uint8Array>();
    for (const { key, value } of this.leases.getRange()) {
      states.set(`${key[0]}:${key[1]}`, new Uint8Array(value));
    }
    for (const { key, value } of this.messages.getRange()) {
      const where = `chunk ${key[0]}:${key[1]}`;
      const { bytes, publishedAt } = readChunkHeader(value, where);
      const s = states.get(`${key[0]}:${key[1]}`);
      if (s !== undefined && s.length !== bytes.length) {
        throw new StoreCorruptError(where, `has ${bytes.length} messages but ${s.length} states`);
      }
      state.chunks.push({ qid: key[0], firstSeq: key[1], bytes, publishedAt, states: s });
      states.delete(`${key[0]}:${key[1]}`);
    }
    // States of chunks deleted before the state record was: leftovers of a crash.
    for (const k of states.keys()) {
      const [qid, firstSeq] = k.split(':').map(Number) as [number, number];
      this.track(this.leases.remove([qid, firstSeq]));
    }
    this.mergeLoggedLeases(state.chunks, this.leaseLog.read());
    for (const { key, value } of this.dead.getRange()) {
      const d = decodeDead(value, `dead letter ${key[0]}:${key[1]}`);
      state.dead.push({ qid: key[0], seq: key[1], bytes: d.bytes, deadAt: d.deadAt });
    }
    this.deleteDedupThrough(now);
    for (const { key, value } of this.dedup.getRange({ start: [now + 1] })) {
      state.dedup.push({ expiresAt: key[0], ids: decodeIds(value, 'dedup ids') });
    }
    return state;
  }

  /**
   * Raises each chunk's delivery counts to what the lease log recorded (a settled message
   * stays settled; a lease of a chunk no longer stored is of a message settled since) and
   * writes the chunks it changed.
   */
  private mergeLoggedLeases(chunks: LoadedChunk[], leases: LoggedLease[]): void {
    if (leases.length === 0) return;
    const byQid = new Map<number, LoadedChunk[]>();
    for (const c of chunks) {
      const list = byQid.get(c.qid);
      if (list === undefined) byQid.set(c.qid, [c]);
      else list.push(c);
    }
    const changed = new Set<LoadedChunk>();
    for (const l of leases) {
      const chunk = runHolding(byQid.get(l.qid) ?? [], l.seq, (c) => c.bytes.length);
      if (chunk === undefined) continue;
      const states = (chunk.states ??= new Uint8Array(chunk.bytes.length));
      const i = l.seq - chunk.firstSeq;
      const count = Math.min(l.attempts, MAX_MAX_DELIVERIES);
      if (states[i] === SETTLED || (states[i] ?? 0) >= count) continue;
      states[i] = count;
      changed.add(chunk);
    }
    for (const c of changed) this.putStates(c.qid, c.firstSeq, c.states as Uint8Array);
  }

  /** Hands the leases' counts to the kernel before they go out (lease-log.ts). */
  noteLeases(qid: number, leases: ReadonlyArray<{ seq: number; attempt: number }>): void {
    try {
      this.leaseLog.append(qid, leases);
    } catch (err) {
      this.onFailure(err);
    }
  }

  turnIssued(): void {
    this.leaseLog.rotateIfFull(() => this.durable());
  }

  async close(): Promise<void> {
    const root = this.root;
    this.root = undefined;
    // The store waited for every write before closing: unless one failed, the logged counts
    // are all in LMDB.
    this.leaseLog.close(root !== undefined && !this.failed);
    if (root !== undefined) await root.close();
  }

  /** lmdb-js environment figures (transactions, sync time) when trackMetrics is on. */
  metrics(): LmdbMetrics {
    return (this.root?.getStats() ?? {}) as LmdbMetrics;
  }

  encode(message: StoredMessage): Buffer {
    return encodeRecord(message);
  }

  putQueue(qid: number, def: QueueDefinition, nextSeq: number): void {
    this.track(this.queues.put(qid, { def, nextSeq }));
  }

  putChunk(
    qid: number,
    firstSeq: number,
    records: Buffer[],
    bytes: number[],
    publishedAt: number[],
  ): void {
    this.track(this.messages.put([qid, firstSeq], encodeChunk(records, bytes, publishedAt)));
  }

  putStates(qid: number, firstSeq: number, states: Uint8Array): void {
    // Copied: the engine keeps changing its array while the write waits for its transaction.
    this.track(this.leases.put([qid, firstSeq], Buffer.from(states)));
  }

  deleteChunk(qid: number, firstSeq: number): void {
    this.track(this.messages.remove([qid, firstSeq]));
    this.track(this.leases.remove([qid, firstSeq]));
  }

  readMessages(qid: number, firstSeq: number, indexes: number[]): StoredMessage[] {
    const where = `chunk ${qid}:${firstSeq}`;
    const buf = this.chunk(qid, firstSeq);
    return indexes.map((i) => {
      const { record, publishedAt } = chunkRecord(buf, i, where);
      return decodeRecord(record, publishedAt, where);
    });
  }

  readRecord(qid: number, firstSeq: number, index: number): Buffer {
    const where = `chunk ${qid}:${firstSeq}`;
    return Buffer.from(chunkRecord(this.chunk(qid, firstSeq), index, where).record);
  }

  /** The chunk's bytes, valid until the next read (getBinaryFast reuses its buffer). */
  private chunk(qid: number, firstSeq: number): Uint8Array {
    const buf = this.messages.getBinaryFast([qid, firstSeq]);
    if (buf === undefined) throw new StoreCorruptError(`chunk ${qid}:${firstSeq}`, 'is missing');
    return buf;
  }

  putDead(
    qid: number,
    seq: number,
    record: Buffer,
    meta: { reason: string; attempts: number; deadAt: number; publishedAt: number; bytes: number },
  ): void {
    this.track(this.dead.put([qid, seq], encodeDead({ ...meta, record })));
  }

  readDead(qid: number, seq: number): JournalDead<Buffer> | undefined {
    const value = this.dead.getBinary([qid, seq]);
    if (value === undefined) return undefined;
    const where = `dead letter ${qid}:${seq}`;
    const d = decodeDead(value, where);
    return {
      message: decodeRecord(d.record, d.publishedAt, where),
      record: d.record,
      reason: d.reason,
      attempts: d.attempts,
      deadAt: d.deadAt,
    };
  }

  deleteDead(qid: number, seq: number): void {
    this.track(this.dead.remove([qid, seq]));
  }

  putDedup(expiresAt: number, ids: string[]): void {
    this.track(this.dedup.put([expiresAt, this.dedupSerial++], encodeIds(ids)));
  }

  deleteDedupThrough(time: number): void {
    for (const key of this.dedup.getKeys({ end: [time + 1] })) {
      this.track(this.dedup.remove(key));
    }
  }

  /**
   * Resolves when every write issued before the call is on disk. Two promises are awaited:
   * the last write's own promise, which lmdb-js resolves once its transaction has committed
   * (and rejects if the commit failed, where `flushed` would never settle), and `flushed`,
   * which lmdb-js resolves once the transaction's pages and meta page are fdatasync'd
   * (write.js: the flush resolvers run when the writer thread's job for that transaction has
   * returned from mdb_txn_commit, whose overlapping-sync path syncs before returning).
   * lmdb-js documents the write promise as "committed, not yet flushed" under overlappingSync;
   * in 3.5.6 writer.cpp marks a transaction committed only after mdb_txn_commit returned, so
   * both resolve within microseconds (2 µs apart, measured). Awaiting both keeps the
   * guarantee whichever lmdb-js does. `flushed` is read synchronously here, so it belongs to
   * the transaction holding the writes issued so far, or a later one: an fdatasync covers
   * every earlier transaction. Without overlappingSync the commit includes the fdatasync
   * and `flushed` is the commit promise.
   */
  durable(): Promise<void> {
    const root = this.root;
    const last = this.lastWrite;
    if (root === undefined || last === undefined) return Promise.resolve();
    const flushed = new Promise<void>((resolve, reject) => {
      root.flushed.then(() => resolve(), reject);
    });
    return Promise.all([last, flushed]).then(() => undefined);
  }

  /** Watches each transaction's promise once (lmdb-js returns one promise per transaction). */
  private track(p: Promise<unknown>): void {
    if (p === this.lastWrite) return;
    this.lastWrite = p;
    p.then(undefined, (err: unknown) => {
      this.failed = true;
      this.onFailure(err);
    });
  }
}
