/**
 * The engine every local store shares (MemoryStore, LmdbStore): the in-memory index of each
 * queue, leases, timers, limits, dedup and dead letters, over a `Journal` that persists.
 *
 * Writes are grouped by event-loop turn: everything appended in one turn goes to the journal
 * as one chunk per queue when the turn ends (setImmediate), and every append of the turn
 * resolves on one durability promise (group commit).
 */
import {
  copyDefinition,
  parseQueueDefinition,
  sameDefinition,
  type QueueDefinition,
  type QueueDefinitionInput,
  type QueueLimit,
} from './definition';
import {
  checkDelay,
  checkLease,
  checkReplaySeqs,
  deadLettersAfter,
  positiveInt,
  termReason,
  validateBatch,
} from './checks';
import { DedupIndex } from './dedup';
import { StoreClosedError, StoreFailedError, StoreRequestError, UnknownQueueError } from './errors';
import { frameBytes, SETTLED, type Journal, type LoadedState } from './journal';
import { parseStoreOptions, type ResolvedStoreOptions, type StoreOptions } from './options';
import { Chunk, Entry, EntryState, QueueState } from './queue-state';
import { ReadyNotifier } from './ready';
import { queueFull, requestTargets } from './results';
import { Alarm, MinHeap } from './structures';
import type {
  AppendRequest,
  AppendResult,
  DeadLetter,
  Delivery,
  QueueStats,
  QueueStore,
  ReadyListener,
  StoredMessage,
} from './types';

/** Engine-wide figures (for monitoring and the benchmark). */
export interface EngineStats {
  /** Turns that wrote to the journal. */
  turns: number;
  /** Turns that held appends or replays (each waited for one durability promise). */
  appendTurns: number;
  /** Messages written in chunks (one per queue a message went to). */
  writtenMessages: number;
  /** ack/nak/term/progress of a delivery that is no longer leased (ignored). */
  staleSettles: number;
  /** onReady listeners that threw. */
  listenerErrors: number;
  /** Dedup ids remembered. */
  dedupIds: number;
  /** Dedup ids forgotten before their window ran out (past dedupMaxIds). */
  dedupEvicted: number;
}

interface OpenChunk<R> {
  q: QueueState;
  chunk: Chunk;
  records: R[];
  messages: StoredMessage[];
}

class Turn<R> {
  readonly chunks: OpenChunk<R>[] = [];
  readonly open = new Map<QueueState, OpenChunk<R>>();
  readonly dedupIds: string[] = [];
  /** Highest seq appended per queue: visible once durable. */
  readonly appended = new Map<QueueState, number>();
  waited = false;
  resolve!: () => void;
  reject!: (e: unknown) => void;
  readonly done = new Promise<void>((res, rej) => {
    this.resolve = res;
    this.reject = rej;
  });
}

/** A delivery of this engine; its entry is private (not serialized, not spread). */
class EngineDelivery implements Delivery {
  readonly #entry: Entry;

  constructor(
    readonly queue: string,
    readonly seq: number,
    readonly attempt: number,
    public message: StoredMessage,
    entry: Entry,
  ) {
    this.#entry = entry;
  }

  get handle(): Entry {
    return this.#entry;
  }
}

type Lifecycle = 'new' | 'opening' | 'open' | 'closing' | 'closed';

/** Placeholder of a leased message still to be read back from the journal. */
const UNREAD: StoredMessage = { frames: [], topic: '', id: '', publishedAt: 0 };

export class EngineStore<R> implements QueueStore {
  protected readonly options: ResolvedStoreOptions;
  private readonly queues = new Map<string, QueueState>();
  private readonly byQid = new Map<number, QueueState>();
  private nextQid = 1;
  private readonly ready = new ReadyNotifier<QueueState>(
    (q) => q.def.name,
    (q) => this.lifecycle === 'open' && this.readyCount(q) > 0,
  );
  private dedup: DedupIndex;
  private turn: Turn<R> | undefined;
  private sealTimer: NodeJS.Immediate | undefined;
  private readonly dirtyChunks = new Map<Chunk, QueueState>();
  private readonly delays = new MinHeap<{ at: number; e: Entry }>((d) => d.at);
  private readonly leaseAlarm = new Alarm(() => this.expireLeases());
  private readonly delayAlarm = new Alarm(() => this.endDelays());
  private maintenance: NodeJS.Timeout | undefined;
  private lifecycle: Lifecycle = 'new';
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private failure: unknown = undefined;
  private failed = false;
  /** Frame bytes of the records chunks keep in memory. */
  private cached = 0;
  private readonly figures = {
    turns: 0,
    appendTurns: 0,
    writtenMessages: 0,
    staleSettles: 0,
  };

  constructor(
    protected readonly journal: Journal<R>,
    options: StoreOptions = {},
  ) {
    this.options = parseStoreOptions(options);
    this.dedup = new DedupIndex(this.options.dedupMaxIds);
  }

  // ---------------------------------------------------------------- lifecycle

  open(): Promise<void> {
    if (this.lifecycle === 'open') return Promise.resolve();
    if (this.lifecycle === 'opening' && this.opening) return this.opening;
    if (this.lifecycle === 'closing') return Promise.reject(new StoreClosedError('open'));
    this.lifecycle = 'opening';
    this.opening = this.journal.open().then(
      (loaded) => {
        this.rebuild(loaded);
        this.lifecycle = 'open';
        this.maintenance = setInterval(() => this.maintain(), this.options.maintenanceIntervalMs);
        this.maintenance.unref();
        for (const q of this.queues.values()) if (this.readyCount(q) > 0) this.markReady(q);
      },
      (err: unknown) => {
        this.lifecycle = 'closed';
        throw err;
      },
    );
    return this.opening;
  }

  close(): Promise<void> {
    if (this.lifecycle === 'closing' && this.closing !== undefined) return this.closing;
    this.closing = this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    if (this.lifecycle === 'opening') await this.opening?.catch(() => undefined);
    if (this.lifecycle !== 'open') return;
    this.lifecycle = 'closing';
    this.leaseAlarm.cancel();
    this.delayAlarm.cancel();
    if (this.maintenance !== undefined) clearInterval(this.maintenance);
    this.maintenance = undefined;
    const pending = this.turn;
    if (this.sealTimer !== undefined) clearImmediate(this.sealTimer);
    this.seal();
    await pending?.done.catch(() => undefined);
    await this.journal.durable().catch(() => undefined);
    await this.journal.close();
    this.lifecycle = 'closed';
  }

  /**
   * Writes every pending change now (appends, lease counts, acks) and resolves once all of it
   * is durable. Not needed for appends (they resolve durable); for tests and shutdown paths.
   */
  async sync(): Promise<void> {
    this.check('sync');
    if (this.sealTimer !== undefined) clearImmediate(this.sealTimer);
    this.seal();
    await this.durable('sync');
  }

  /** Engine-wide figures. */
  engineStats(): EngineStats {
    return {
      ...this.figures,
      listenerErrors: this.ready.errors,
      dedupIds: this.dedup.size,
      dedupEvicted: this.dedup.evicted,
    };
  }

  // ---------------------------------------------------------------- queues

  async declare(input: QueueDefinitionInput): Promise<QueueDefinition> {
    this.check('declare');
    const def = parseQueueDefinition(input);
    const existing = this.queues.get(def.name);
    if (existing !== undefined && sameDefinition(existing.def, def)) return copyDefinition(def);
    let q = existing;
    if (q === undefined) {
      q = new QueueState(def, this.nextQid++, 1);
      this.queues.set(def.name, q);
      this.byQid.set(q.qid, q);
    } else {
      q.def = def;
      this.trimDead(q);
    }
    this.journal.putQueue(q.qid, def, q.nextSeq);
    await this.durable('declare');
    return copyDefinition(def);
  }

  definitions(): QueueDefinition[] {
    return [...this.queues.values()].map((q) => copyDefinition(q.def));
  }

  onReady(listener: ReadyListener): void {
    this.ready.listen(listener);
  }

  stats(queue: string): QueueStats {
    this.check('stats');
    const q = this.queueOf(queue);
    const oldest = q.oldest();
    return {
      queue,
      ready: this.readyCount(q),
      unacked: q.leasedCount,
      delayed: q.delayedCount,
      messages: q.count,
      bytes: q.bytes,
      oldestAgeMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest.publishedAt),
      dead: q.dead.size,
      counters: { ...q.counters },
    };
  }

  // ---------------------------------------------------------------- append

  append(batch: AppendRequest[]): Promise<AppendResult[]> {
    try {
      this.check('append');
      validateBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    const now = Date.now();
    const t = this.currentTurn();
    t.waited = true;
    const results: AppendResult[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const req = batch[i] as AppendRequest;
      const targets = requestTargets(req.queues, this.queues);
      if (!Array.isArray(targets)) {
        results[i] = targets;
        continue;
      }
      const dedupId = req.dedupId;
      if (dedupId !== undefined && dedupId !== '' && this.dedup.has(dedupId, now)) {
        // Confirmed with this turn: the original is in this turn or an earlier one, and a
        // flush of this turn's transaction covers every earlier transaction.
        for (const q of targets) q.counters.duplicates++;
        results[i] = { status: 'duplicate' };
        continue;
      }
      const bytes = frameBytes(req.message);
      const refusal = this.refusal(targets, bytes);
      if (refusal !== undefined) {
        results[i] = refusal;
        continue;
      }
      const record = this.journal.encode(req.message);
      const seqs: number[] = [];
      for (const q of targets) {
        if (q.def.overflow === 'drop-oldest') this.makeRoom(q, bytes);
        seqs.push(this.addMessage(t, q, record, req.message, bytes));
        q.counters.appended++;
      }
      if (dedupId !== undefined && dedupId !== '') {
        this.dedup.add(dedupId, now + this.options.dedupWindowMs);
        t.dedupIds.push(dedupId);
      }
      results[i] = { status: 'stored', seqs };
    }
    return t.done.then(() => results);
  }

  /** The rejection of a message of `bytes` by the first queue it does not fit, if any. */
  private refusal(targets: QueueState[], bytes: number): AppendResult | undefined {
    for (const q of targets) {
      const limit = this.limitHit(q, bytes);
      if (limit === undefined) continue;
      q.counters.rejected++;
      return queueFull(q.def, limit);
    }
    return undefined;
  }

  private limitHit(q: QueueState, bytes: number): QueueLimit | undefined {
    const { maxMessages, maxBytes, overflow } = q.def;
    if (overflow === 'drop-oldest') {
      // Room can be made by dropping everything that is not leased.
      if (bytes > maxBytes || q.leasedBytes + bytes > maxBytes) return 'maxBytes';
      if (q.leasedCount + 1 > maxMessages) return 'maxMessages';
      return undefined;
    }
    if (q.count + 1 > maxMessages) return 'maxMessages';
    if (q.bytes + bytes > maxBytes) return 'maxBytes';
    return undefined;
  }

  private makeRoom(q: QueueState, bytes: number): void {
    while (q.count + 1 > q.def.maxMessages || q.bytes + bytes > q.def.maxBytes) {
      const victim = this.takeOldestReady(q) ?? this.oldestDelayed(q);
      if (victim === undefined) return;
      this.settle(victim);
      q.counters.droppedOldest++;
    }
  }

  /** Removes and returns the lowest-seq ready entry (durable or not). */
  private takeOldestReady(q: QueueState): Entry | undefined {
    const f = q.fresh.peek();
    const r = q.peekReturned();
    if (r !== undefined && (f === undefined || r.seq < f.seq)) return q.returned.pop();
    return f === undefined ? undefined : q.fresh.shift();
  }

  private oldestDelayed(q: QueueState): Entry | undefined {
    if (q.delayedCount === 0) return undefined;
    for (const c of q.chunks) {
      for (const e of c.entries) if (e?.state === EntryState.Delayed) return e;
    }
    return undefined;
  }

  private addMessage(
    t: Turn<R>,
    q: QueueState,
    record: R,
    message: StoredMessage,
    bytes: number,
  ): number {
    let open = t.open.get(q);
    if (open === undefined || open.chunk.bytes + bytes > this.options.chunkBytes) {
      const chunk = new Chunk(q.nextSeq);
      q.chunks.push(chunk);
      open = { q, chunk, records: [], messages: [] };
      t.open.set(q, open);
      t.chunks.push(open);
    }
    const seq = q.nextSeq++;
    const chunk = open.chunk;
    const e = new Entry(q, chunk, chunk.entries.length, seq, bytes, message.publishedAt);
    chunk.entries.push(e);
    chunk.live++;
    chunk.unleased++;
    chunk.bytes += bytes;
    open.records.push(record);
    open.messages.push(message);
    q.fresh.push(e);
    q.count++;
    q.bytes += bytes;
    t.appended.set(q, seq);
    return seq;
  }

  // ---------------------------------------------------------------- turns

  private currentTurn(): Turn<R> {
    if (this.turn === undefined) {
      this.turn = new Turn<R>();
      this.scheduleSeal();
    }
    return this.turn;
  }

  private scheduleSeal(): void {
    if (this.sealTimer === undefined) this.sealTimer = setImmediate(() => this.seal());
  }

  /** Writes what the turn gathered (new chunks, changed states, dedup ids) and ends it. */
  private seal(): void {
    this.sealTimer = undefined;
    const t = this.turn;
    this.turn = undefined;
    if (this.failed) {
      t?.reject(new StoreFailedError('append', { cause: this.failure }));
      return;
    }
    let wrote = false;
    if (t !== undefined) {
      for (const { q, chunk, records, messages } of t.chunks) {
        if (chunk.live === 0) {
          if (!chunk.removed) q.removeChunk(chunk);
          continue;
        }
        const bytes: number[] = [];
        const publishedAt: number[] = [];
        let settled = false;
        for (const e of chunk.entries) {
          bytes.push(e?.bytes ?? 0);
          publishedAt.push(e?.publishedAt ?? 0);
          if (e === undefined) settled = true;
        }
        this.journal.putChunk(q.qid, chunk.firstSeq, records, bytes, publishedAt);
        chunk.written = true;
        if (this.cached + chunk.bytes <= this.options.cacheBytes) {
          chunk.messages = messages;
          this.cached += chunk.bytes;
        }
        chunk.states = settled ? chunk.buildStates() : new Uint8Array(chunk.entries.length);
        if (settled) this.journal.putStates(q.qid, chunk.firstSeq, chunk.states);
        this.figures.writtenMessages += chunk.entries.length;
        wrote = true;
      }
      for (const q of t.appended.keys()) this.journal.putQueue(q.qid, q.def, q.nextSeq);
      if (t.dedupIds.length > 0) {
        this.journal.putDedup(Date.now() + this.options.dedupWindowMs, t.dedupIds);
      }
    }
    for (const [chunk, q] of this.dirtyChunks) {
      if (!chunk.removed && chunk.states !== undefined) {
        this.journal.putStates(q.qid, chunk.firstSeq, chunk.states);
        wrote = true;
      }
    }
    this.dirtyChunks.clear();
    if (wrote) {
      this.figures.turns++;
      this.journal.turnIssued?.();
    }
    if (t === undefined) return;
    if (!t.waited) {
      t.resolve();
      return;
    }
    this.figures.appendTurns++;
    this.journal.durable().then(
      () => this.turnDurable(t),
      (err: unknown) => {
        this.fail(err);
        t.reject(new StoreFailedError('append', { cause: err }));
      },
    );
  }

  private turnDurable(t: Turn<R>): void {
    if (this.failed) {
      t.reject(new StoreFailedError('append', { cause: this.failure }));
      return;
    }
    for (const [q, seq] of t.appended) {
      if (seq > q.visibleSeq) q.visibleSeq = seq;
      this.markReady(q);
    }
    t.resolve();
  }

  private markDirty(q: QueueState, chunk: Chunk): void {
    if (!chunk.written) return;
    this.dirtyChunks.set(chunk, q);
    this.scheduleSeal();
  }

  // ---------------------------------------------------------------- leases

  lease(queue: string, max: number, ackWaitMs: number): Promise<Delivery[]> {
    try {
      this.check('lease');
      checkLease(max, ackWaitMs);
      const q = this.queueOf(queue);
      const now = Date.now();
      const out: Delivery[] = [];
      const unread: Delivery[] = [];
      const maxAge = q.def.maxAgeMs;
      while (out.length < max) {
        let e = q.peekReturned();
        if (e !== undefined) q.returned.pop();
        else {
          const f = q.fresh.peek();
          if (f === undefined || f.seq > q.visibleSeq) break;
          e = q.fresh.shift() as Entry;
        }
        if (maxAge > 0 && now - e.publishedAt >= maxAge) {
          this.kill(e, 'expired');
          continue;
        }
        const d = this.startLease(q, e, ackWaitMs, now);
        out.push(d);
        if (d.message === UNREAD) unread.push(d);
      }
      if (unread.length > 0) this.readBack(q, unread);
      if (out.length > 0) {
        this.journal.noteLeases?.(q.qid, out);
        this.leaseAlarm.arm(now + ackWaitMs);
      }
      return Promise.resolve(out);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Fills in messages not in the cache, reading each chunk once. */
  private readBack(q: QueueState, ds: Delivery[]): void {
    let i = 0;
    while (i < ds.length) {
      const chunk = (ds[i]?.handle as Entry).chunk;
      const run: Delivery[] = [];
      while (i < ds.length && (ds[i]?.handle as Entry).chunk === chunk)
        run.push(ds[i++] as Delivery);
      const messages = this.journal.readMessages(
        q.qid,
        chunk.firstSeq,
        run.map((d) => (d.handle as Entry).index),
      );
      run.forEach((d, k) => (d.message = messages[k] as StoredMessage));
    }
  }

  private startLease(q: QueueState, e: Entry, ackWaitMs: number, now: number): Delivery {
    const message = e.chunk.messages?.[e.index] ?? UNREAD;
    if (e.attempts === 0) this.leasedOnce(e.chunk);
    this.detach(e);
    e.state = EntryState.Leased;
    e.attempts++;
    e.at = now + ackWaitMs;
    this.joinGroup(q, e, ackWaitMs);
    q.leasedCount++;
    q.leasedBytes += e.bytes;
    q.counters.delivered++;
    if (e.attempts > 1) q.counters.redelivered++;
    this.setState(q, e, e.attempts);
    return new EngineDelivery(q.def.name, e.seq, e.attempts, message, e);
  }

  /** One more message of the chunk was leased (or dropped) for the first time. */
  private leasedOnce(chunk: Chunk): void {
    chunk.unleased--;
    if (chunk.unleased === 0) this.uncache(chunk);
  }

  private uncache(chunk: Chunk): void {
    if (chunk.messages === undefined) return;
    chunk.messages = undefined;
    this.cached -= chunk.bytes;
  }

  private joinGroup(q: QueueState, e: Entry, ackWaitMs: number): void {
    let group = q.leases.get(ackWaitMs);
    if (group === undefined) {
      group = new Set();
      q.leases.set(ackWaitMs, group);
    }
    group.add(e);
    e.group = group;
  }

  ack(deliveries: Delivery[]): Promise<void> {
    try {
      this.check('ack');
      if (!Array.isArray(deliveries)) throw new StoreRequestError('ack', 'expects an array');
      for (const d of deliveries) {
        const e = this.entryFor(d);
        // Any holder's ack removes the message (the work was done), even past its lease.
        if (e === undefined || e.state === EntryState.Settled || e.attempts === 0) {
          this.figures.staleSettles++;
          continue;
        }
        e.queue.counters.acked++;
        this.settle(e);
      }
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async nak(delivery: Delivery, delayMs: number): Promise<'requeued' | 'dead'> {
    this.check('nak');
    checkDelay(delayMs);
    const e = this.currentLease(delivery);
    if (e === undefined) return 'requeued';
    const q = e.queue;
    q.counters.nacked++;
    if (e.attempts >= this.options.maxDeliveries) {
      this.kill(e, 'max-deliveries');
      return 'dead';
    }
    if (delayMs > 0) {
      this.detach(e);
      e.state = EntryState.Delayed;
      e.at = Date.now() + delayMs;
      q.delayedCount++;
      this.delays.push({ at: e.at, e });
      this.delayAlarm.arm(e.at);
    } else {
      this.returnToReady(e);
    }
    return 'requeued';
  }

  async term(delivery: Delivery, reason: string): Promise<void> {
    this.check('term');
    const why = termReason(reason);
    const e = this.currentLease(delivery);
    if (e === undefined) return;
    this.kill(e, why);
  }

  async progress(delivery: Delivery, ackWaitMs: number): Promise<void> {
    this.check('progress');
    positiveInt('progress', 'ackWaitMs', ackWaitMs);
    const e = this.currentLease(delivery);
    if (e === undefined) return;
    e.group?.delete(e);
    e.at = Date.now() + ackWaitMs;
    this.joinGroup(e.queue, e, ackWaitMs);
    this.leaseAlarm.arm(e.at);
  }

  private entryFor(d: Delivery): Entry | undefined {
    if (typeof d !== 'object' || d === null)
      throw new StoreRequestError('settle', 'not a delivery');
    const q = this.queues.get(d.queue);
    if (q === undefined) return undefined;
    const h = d.handle;
    if (h instanceof Entry && h.queue === q) return h;
    return q.entryOf(d.seq);
  }

  /** The entry when the delivery is its current lease; counts a stale one. */
  private currentLease(d: Delivery): Entry | undefined {
    const e = this.entryFor(d);
    if (e === undefined || e.state !== EntryState.Leased || e.attempts !== d.attempt) {
      this.figures.staleSettles++;
      return undefined;
    }
    return e;
  }

  private expireLeases(): void {
    if (this.lifecycle !== 'open') return;
    const now = Date.now();
    let next = Infinity;
    for (const q of this.queues.values()) {
      if (q.leasedCount === 0) continue;
      for (const [wait, group] of q.leases) {
        for (const e of group) {
          if (e.at > now) {
            next = Math.min(next, e.at);
            break;
          }
          q.counters.expired++;
          if (e.attempts >= this.options.maxDeliveries) this.kill(e, 'max-deliveries');
          else this.returnToReady(e);
        }
        if (group.size === 0) q.leases.delete(wait);
      }
    }
    if (next !== Infinity) this.leaseAlarm.arm(next);
  }

  private endDelays(): void {
    if (this.lifecycle !== 'open') return;
    const now = Date.now();
    for (;;) {
      const top = this.delays.peek();
      if (top === undefined) return;
      if (top.e.state !== EntryState.Delayed || top.e.at !== top.at) {
        this.delays.pop();
        continue;
      }
      if (top.at > now) {
        this.delayAlarm.arm(top.at);
        return;
      }
      this.delays.pop();
      this.returnToReady(top.e);
    }
  }

  // ---------------------------------------------------------------- state changes

  /** Takes the entry out of the count of its current state (not out of the queue). */
  private detach(e: Entry): void {
    const q = e.queue;
    switch (e.state) {
      case EntryState.Returned:
        q.returnedCount--;
        break;
      case EntryState.Leased:
        e.group?.delete(e);
        e.group = undefined;
        q.leasedCount--;
        q.leasedBytes -= e.bytes;
        break;
      case EntryState.Delayed:
        q.delayedCount--;
        break;
      default:
        break;
    }
  }

  private returnToReady(e: Entry): void {
    this.detach(e);
    e.state = EntryState.Returned;
    e.queue.returnedCount++;
    e.queue.returned.push(e);
    this.markReady(e.queue);
  }

  /** Removes the message from its queue for good (ack, drop, dead letter). */
  private settle(e: Entry): void {
    if (e.attempts === 0 && e.state !== EntryState.Settled) this.leasedOnce(e.chunk);
    this.detach(e);
    e.state = EntryState.Settled;
    const q = e.queue;
    q.count--;
    q.bytes -= e.bytes;
    const chunk = e.chunk;
    chunk.entries[e.index] = undefined;
    chunk.live--;
    if (chunk.live === 0) {
      q.removeChunk(chunk);
      this.uncache(chunk);
      this.dirtyChunks.delete(chunk);
      if (chunk.written) this.journal.deleteChunk(q.qid, chunk.firstSeq);
    } else {
      this.setState(q, e, SETTLED);
    }
  }

  private setState(q: QueueState, e: Entry, value: number): void {
    const states = e.chunk.states;
    if (states === undefined) return;
    states[e.index] = value;
    this.markDirty(q, e.chunk);
  }

  /** Moves the message to the dead letters. */
  private kill(e: Entry, reason: string): void {
    const q = e.queue;
    q.counters.deadLettered++;
    if (q.def.maxDeadMessages === 0) {
      q.counters.deadDropped++;
    } else {
      const deadAt = Date.now();
      const cached = e.chunk.messages?.[e.index];
      const record =
        cached === undefined
          ? this.journal.readRecord(q.qid, e.chunk.firstSeq, e.index)
          : this.journal.encode(cached);
      this.journal.putDead(q.qid, e.seq, record, {
        reason,
        attempts: e.attempts,
        deadAt,
        publishedAt: e.publishedAt,
        bytes: e.bytes,
      });
      q.dead.set(e.seq, { bytes: e.bytes, deadAt });
      this.trimDead(q);
    }
    this.settle(e);
  }

  private trimDead(q: QueueState): void {
    while (q.dead.size > q.def.maxDeadMessages) {
      const first = q.dead.keys().next();
      if (first.done) return;
      q.dead.delete(first.value);
      this.journal.deleteDead(q.qid, first.value);
      q.counters.deadDropped++;
    }
  }

  private markReady(q: QueueState): void {
    this.ready.mark(q);
  }

  private readyCount(q: QueueState): number {
    return q.fresh.length + q.returnedCount;
  }

  // ---------------------------------------------------------------- dead letters

  async deadLetters(queue: string, opts: { after?: number; limit: number }): Promise<DeadLetter[]> {
    this.check('deadLetters');
    const q = this.queueOf(queue);
    const after = deadLettersAfter(opts);
    // Dead letters are read back from the journal: let the writes issued so far land first.
    await this.durable('deadLetters');
    const seqs = [...q.dead.keys()]
      .filter((s) => s > after)
      .sort((a, b) => a - b)
      .slice(0, opts.limit);
    const out: DeadLetter[] = [];
    for (const seq of seqs) {
      const d = this.journal.readDead(q.qid, seq);
      if (d === undefined) continue;
      out.push({
        queue,
        seq,
        message: d.message,
        reason: d.reason,
        attempts: d.attempts,
        deadAt: d.deadAt,
      });
    }
    return out;
  }

  async replay(queue: string, seqs?: number[]): Promise<number> {
    this.check('replay');
    const q = this.queueOf(queue);
    checkReplaySeqs(seqs);
    await this.durable('replay');
    const wanted = seqs === undefined ? [...q.dead.keys()] : [...new Set(seqs)];
    wanted.sort((a, b) => a - b);
    const t = this.currentTurn();
    let n = 0;
    for (const seq of wanted) {
      const meta = q.dead.get(seq);
      if (meta === undefined) continue;
      // A replay never drops or exceeds: it stops when the queue is full.
      if (q.count + 1 > q.def.maxMessages || q.bytes + meta.bytes > q.def.maxBytes) break;
      const d = this.journal.readDead(q.qid, seq);
      q.dead.delete(seq);
      this.journal.deleteDead(q.qid, seq);
      if (d === undefined) continue;
      this.addMessage(t, q, d.record, d.message, meta.bytes);
      q.counters.replayed++;
      n++;
    }
    if (n === 0) return 0;
    t.waited = true;
    await t.done;
    return n;
  }

  async purge(queue: string): Promise<number> {
    this.check('purge');
    const q = this.queueOf(queue);
    const n = q.dead.size;
    for (const seq of q.dead.keys()) this.journal.deleteDead(q.qid, seq);
    q.dead.clear();
    q.counters.purged += n;
    return n;
  }

  // ---------------------------------------------------------------- housekeeping

  private maintain(): void {
    if (this.lifecycle !== 'open' || this.failed) return;
    const now = Date.now();
    this.dedup.prune(now);
    this.journal.deleteDedupThrough(now);
    for (const q of this.queues.values()) {
      const maxAge = q.def.maxAgeMs;
      if (maxAge === 0) continue;
      for (;;) {
        const f = q.fresh.peek();
        if (f === undefined || f.seq > q.visibleSeq || now - f.publishedAt < maxAge) break;
        q.fresh.shift();
        this.kill(f, 'expired');
      }
      if (q.returnedCount === 0) continue;
      for (const e of q.returned.toArray()) {
        if (e.state === EntryState.Returned && now - e.publishedAt >= maxAge) {
          this.kill(e, 'expired');
        }
      }
    }
  }

  private rebuild(loaded: LoadedState): void {
    this.queues.clear();
    this.byQid.clear();
    this.dirtyChunks.clear();
    this.ready.clear();
    this.failed = false;
    this.failure = undefined;
    this.dedup = new DedupIndex(this.options.dedupMaxIds);
    this.cached = 0;
    while (this.delays.pop() !== undefined);
    this.nextQid = 1;
    for (const lq of loaded.queues) {
      const q = new QueueState(lq.def, lq.qid, lq.nextSeq);
      this.queues.set(lq.def.name, q);
      this.byQid.set(lq.qid, q);
      this.nextQid = Math.max(this.nextQid, lq.qid + 1);
    }
    const overLimit: Entry[] = [];
    for (const lc of loaded.chunks) {
      const q = this.byQid.get(lc.qid);
      if (q === undefined) {
        this.journal.deleteChunk(lc.qid, lc.firstSeq);
        continue;
      }
      const chunk = new Chunk(lc.firstSeq);
      chunk.written = true;
      chunk.states = lc.states ?? new Uint8Array(lc.bytes.length);
      for (let i = 0; i < lc.bytes.length; i++) {
        const st = chunk.states[i] ?? SETTLED;
        if (st === SETTLED) {
          chunk.entries.push(undefined);
          continue;
        }
        const e = new Entry(q, chunk, i, lc.firstSeq + i, lc.bytes[i] ?? 0, lc.publishedAt[i] ?? 0);
        e.attempts = st;
        chunk.entries.push(e);
        chunk.live++;
        q.count++;
        q.bytes += e.bytes;
        if (st === 0) {
          chunk.unleased++;
          q.fresh.push(e);
        } else {
          // Delivered before the restart and not acked: back to the queue, the attempt counts on.
          e.state = EntryState.Returned;
          q.returnedCount++;
          q.returned.push(e);
          if (st >= this.options.maxDeliveries) overLimit.push(e);
        }
      }
      q.nextSeq = Math.max(q.nextSeq, lc.firstSeq + lc.bytes.length);
      if (chunk.live === 0) this.journal.deleteChunk(lc.qid, lc.firstSeq);
      else q.chunks.push(chunk);
    }
    const dead = [...loaded.dead].sort((a, b) => a.deadAt - b.deadAt || a.seq - b.seq);
    for (const ld of dead) {
      const q = this.byQid.get(ld.qid);
      if (q === undefined) {
        this.journal.deleteDead(ld.qid, ld.seq);
        continue;
      }
      q.dead.set(ld.seq, { bytes: ld.bytes, deadAt: ld.deadAt });
      q.nextSeq = Math.max(q.nextSeq, ld.seq + 1);
    }
    for (const q of this.queues.values()) {
      q.visibleSeq = q.nextSeq - 1;
      this.trimDead(q);
    }
    for (const d of loaded.dedup) for (const id of d.ids) this.dedup.add(id, d.expiresAt);
    for (const e of overLimit) this.kill(e, 'max-deliveries');
  }

  // ---------------------------------------------------------------- helpers

  private queueOf(name: string): QueueState {
    const q = this.queues.get(name);
    if (q === undefined) throw new UnknownQueueError(String(name));
    return q;
  }

  private check(operation: string): void {
    if (this.lifecycle !== 'open') throw new StoreClosedError(operation);
    if (this.failed) throw new StoreFailedError(operation, { cause: this.failure });
  }

  /** Marks the store failed: its memory may no longer match the disk. */
  protected fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = err;
  }

  private async durable(operation: string): Promise<void> {
    try {
      await this.journal.durable();
    } catch (err) {
      this.fail(err);
      throw new StoreFailedError(operation, { cause: err });
    }
  }
}
