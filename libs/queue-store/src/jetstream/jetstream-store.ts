/**
 * The QueueStore on NATS JetStream: a queue is a work-queue stream with one durable
 * explicit-ack pull consumer, its dead letters a limits stream beside it (layout: names.ts,
 * admin.ts). The store holds no queue contents: several stores (brokers) on one JetStream
 * serve the same queues, each delivering what it pulls. What it keeps in the process is its
 * own leases (JetStream's deliveries plus each lease's own ack wait), its delayed naks, its
 * counters, and the figures last read for `stats()`.
 */
import type { Subscription } from '@nats-io/transport-node';
import {
  copyDefinition,
  parseQueueDefinition,
  sameDefinition,
  type QueueDefinition,
  type QueueDefinitionInput,
  type QueueLimit,
} from '../definition';
import {
  checkDelay,
  checkLease,
  checkReplaySeqs,
  deadLettersAfter,
  positiveInt,
  termReason,
  validateBatch,
} from '../checks';
import { ReadyNotifier } from '../ready';
import {
  StoreClosedError,
  StoreCorruptError,
  StoreRequestError,
  StoreUnavailableError,
  UnknownQueueError,
} from '../errors';
import { Alarm, MinHeap } from '../structures';
import type {
  AppendRequest,
  AppendResult,
  DeadLetter,
  Delivery,
  QueueStats,
  QueueStore,
  ReadyListener,
  StoredMessage,
} from '../types';
import {
  admin,
  definitionsSeq,
  ensureDefinitionsStream,
  ensureQueue,
  loadDefinitions,
  readView,
  undelivered,
  type Layout,
} from './admin';
import { decodeMessage, encodeMessage, msgIdHeaderBytes, storedSize } from './codec';
import {
  listDeadLetters,
  purgeDeadLetters,
  replayDeadLetters,
  writeDeadLetter,
} from './dead-letters';
import { JsLink, type PubAckResult, type Pulled } from './link';
import { namespaceNames, type NamespaceNames } from './names';
import {
  parseJetStreamOptions,
  type JetStreamStoreOptions,
  type ResolvedJetStreamOptions,
} from './options';
import { JsDelivery, JsLease, JsQueue } from './queue';

/** Store-wide figures of the JetStream store (for monitoring and tests). */
export interface JetStreamStats {
  /** Stream replicas the queues are made with. */
  replicas: number;
  /** ack/nak/term/progress of a delivery this store no longer holds (ignored). */
  staleSettles: number;
  /** onReady listeners that threw. */
  listenerErrors: number;
  /** Pull requests made (leases that asked JetStream), and the messages they brought. */
  pulls: number;
  pulled: number;
  /** Deliveries that came after their pull ended (handed out by the next lease). */
  late: number;
  /** Messages in a work stream that could not be decoded (terminated, counted). */
  corrupt: number;
  /** Dead letters written from JetStream's max-deliveries advisories (a holder died on its last attempt). */
  advisoryDeadLetters: number;
  /** Background operations (expiry naks, keep-alives, advisories, refreshes) that failed. */
  backgroundErrors: number;
  /** The last of those, for people. */
  lastBackgroundError: string | undefined;
}

type Lifecycle = 'new' | 'opening' | 'open' | 'closing' | 'closed';

/** Drops one append may cause in a full drop-oldest queue before it is refused. */
const MAX_DROPS_PER_APPEND = 64;
/** Pause between two tries to reach JetStream while opening, ms. */
const OPEN_RETRY_MS = 250;
/** Messages a maxAgeMs sweep dead-letters per queue per maintenance turn. */
const SWEEP_BATCH = 256;

/**
 * JetStream's answer to a publish a stream refused for a limit (err_code 10077 covers every
 * store failure; its description says which limit). Undefined for any other error.
 */
function limitOf(ack: Extract<PubAckResult, { ok: false }>): QueueLimit | undefined {
  if (ack.description.includes('maximum messages')) return 'maxMessages';
  if (ack.description.includes('maximum bytes') || ack.description.includes('message size')) {
    return 'maxBytes';
  }
  return undefined;
}

/**
 * Publishes the message to each queue (all written now, in order); resolves with their
 * PubAcks once all have answered, or rejects with the first failure once all have settled.
 */
async function publishAll(
  link: JsLink,
  targets: JsQueue[],
  payload: Buffer,
  dedupId: string | undefined,
): Promise<PubAckResult[]> {
  const first = targets[0] as JsQueue;
  // One queue, nearly always: no array of settled results to build.
  if (targets.length === 1) return [await link.publish(first.names.subject, payload, dedupId)];
  const settled = await Promise.allSettled(
    targets.map((q) => link.publish(q.names.subject, payload, dedupId)),
  );
  const acks: PubAckResult[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') throw s.reason;
    acks.push(s.value);
  }
  return acks;
}

function full(q: JsQueue, limit: QueueLimit): AppendResult {
  const value = limit === 'maxMessages' ? q.def.maxMessages : q.def.maxBytes;
  return {
    status: 'rejected',
    reason: 'queue-full',
    queue: q.def.name,
    limit,
    text: `queue ${JSON.stringify(q.def.name)} is full: ${limit} ${value} reached`,
  };
}

export class JetStreamStore implements QueueStore {
  readonly options: ResolvedJetStreamOptions;
  private readonly names: NamespaceNames;
  private link: JsLink | undefined;
  private layout: Layout | undefined;
  private readonly queues = new Map<string, JsQueue>();
  private readonly byStream = new Map<string, JsQueue>();
  private readonly ready = new ReadyNotifier<JsQueue>(
    (q) => q.def.name,
    () => this.lifecycle === 'open',
  );
  private readonly declaredListeners: Array<(def: QueueDefinition) => void> = [];
  /** Queues whose last lease found fewer messages than asked: checked again each poll. */
  private readonly hungry = new Set<JsQueue>();
  private readonly expiries = new MinHeap<{ at: number; lease: JsLease }>((e) => e.at);
  private readonly expiryAlarm = new Alarm(() => this.expireLeases());
  private readonly delayAlarm = new Alarm(() => this.endDelays());
  private timers: NodeJS.Timeout[] = [];
  private subscriptions: Subscription[] = [];
  private definitionsLastSeq = 0;
  private maintaining: Promise<void> | undefined;
  /** Appends and settles in flight, finished before close. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private lifecycle: Lifecycle = 'new';
  private opening: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly figures: JetStreamStats = {
    replicas: 0,
    staleSettles: 0,
    listenerErrors: 0,
    pulls: 0,
    pulled: 0,
    late: 0,
    corrupt: 0,
    advisoryDeadLetters: 0,
    backgroundErrors: 0,
    lastBackgroundError: undefined,
  };

  constructor(options: JetStreamStoreOptions) {
    this.options = parseJetStreamOptions(options);
    this.names = namespaceNames(this.options.namespace);
  }

  // ---------------------------------------------------------------- lifecycle

  open(): Promise<void> {
    if (this.lifecycle === 'open') return Promise.resolve();
    if (this.lifecycle === 'opening' && this.opening) return this.opening;
    if (this.lifecycle !== 'new' && this.lifecycle !== 'closed') {
      return Promise.reject(new StoreClosedError('open'));
    }
    this.lifecycle = 'opening';
    this.opening = this.connect().then(
      () => {
        this.lifecycle = 'open';
        for (const q of this.queues.values()) if (q.view.pending > 0) this.markReady(q);
      },
      async (err: unknown) => {
        await this.disconnect();
        this.lifecycle = 'closed';
        throw err;
      },
    );
    return this.opening;
  }

  private async connect(): Promise<void> {
    const o = this.options;
    const link = await JsLink.open(o);
    this.link = link;
    const replicas =
      o.replicas === 'auto' ? (link.serverCount(o.servers) >= 3 ? 3 : 1) : o.replicas;
    this.figures.replicas = replicas;
    this.layout = {
      replicas,
      maxDeliveries: o.maxDeliveries,
      dedupWindowMs: o.dedupWindowMs,
      serverAckWaitMs: o.serverAckWaitMs,
      names: this.names,
    };
    const loaded = await this.whenJetStreamAnswers(async () => {
      await ensureDefinitionsStream(link.jsm, this.layout as Layout);
      return loadDefinitions(link.jsm, this.names);
    });
    this.definitionsLastSeq = loaded.lastSeq;
    this.queues.clear();
    this.byStream.clear();
    for (const def of loaded.defs) this.addQueue(def);
    await this.whenJetStreamAnswers(() =>
      Promise.all([...this.queues.values()].map((q) => this.refreshView(q))),
    );
    this.subscriptions = [
      // One broker handles each advisory: JetStream gave a message up (its holder died on the
      // last allowed delivery), and it goes to the dead letters.
      link.nc.subscribe(this.names.maxDeliveriesAdvisories, {
        queue: this.names.deadLetterGroup,
        callback: (_err, msg) => this.background(this.maxDeliveriesAdvisory(msg.data)),
      }),
      link.nc.subscribe(this.names.readySubjects, {
        callback: (_err, msg) => {
          const name = this.names.queueOfReadySubject(msg.subject);
          const q = name === undefined ? undefined : this.queues.get(name);
          if (q !== undefined) this.markReady(q);
        },
      }),
    ];
    await link.flush();
    const every = (ms: number, run: () => void): void => {
      const t = setInterval(run, ms);
      t.unref();
      this.timers.push(t);
    };
    every(o.maintenanceIntervalMs, () => this.background(this.maintain()));
    every(o.pollIntervalMs, () => this.poll());
    every(Math.max(100, Math.floor(o.serverAckWaitMs / 3)), () => this.keepAlive());
  }

  /**
   * Runs `step` until JetStream answers it, for at most openTimeoutMs: a cluster that has
   * just lost a server is electing leaders for a few seconds, and a broker started then waits.
   */
  private async whenJetStreamAnswers<T>(step: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.openTimeoutMs;
    for (;;) {
      try {
        return await step();
      } catch (err) {
        if (!(err instanceof StoreUnavailableError) || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, OPEN_RETRY_MS));
      }
    }
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
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    this.expiryAlarm.cancel();
    this.delayAlarm.cancel();
    await Promise.allSettled([...this.inFlight]);
    await this.maintaining?.catch(() => undefined);
    // What this store holds goes back now (the attempt counts), not after JetStream's ack wait.
    const held: JsLease[] = [];
    for (const q of this.queues.values()) for (const lease of q.leases.values()) held.push(lease);
    await Promise.allSettled(held.map((lease) => this.giveBack(lease)));
    // Late deliveries nobody leased: back to JetStream, not yet handed to anyone (the attempt
    // they count is JetStream's).
    for (const q of this.queues.values()) {
      for (const l of q.late.splice(0)) this.link?.settle(l.pulled.reply, '-NAK');
    }
    await this.disconnect();
    this.lifecycle = 'closed';
  }

  private async disconnect(): Promise<void> {
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    const link = this.link;
    this.link = undefined;
    await link?.close();
  }

  /** Store-wide figures. */
  jetStreamStats(): JetStreamStats {
    return { ...this.figures, listenerErrors: this.figures.listenerErrors + this.ready.errors };
  }

  // ---------------------------------------------------------------- queues

  async declare(input: QueueDefinitionInput): Promise<QueueDefinition> {
    const link = this.check('declare');
    const def = parseQueueDefinition(input);
    const existing = this.queues.get(def.name);
    if (existing !== undefined && sameDefinition(existing.def, def)) return copyDefinition(def);
    const q = existing ?? new JsQueue(def, this.options.namespace);
    const lostDead = existing === undefined ? 0 : Math.max(0, q.view.dead - def.maxDeadMessages);
    await ensureQueue(link, q, def, this.layout as Layout);
    q.counters.deadDropped += lostDead;
    if (existing === undefined) this.addQueue(def, q);
    else q.def = def;
    await this.refreshView(q);
    return copyDefinition(def);
  }

  definitions(): QueueDefinition[] {
    return [...this.queues.values()].map((q) => copyDefinition(q.def));
  }

  onReady(listener: ReadyListener): void {
    this.ready.listen(listener);
  }

  onDeclared(listener: (def: QueueDefinition) => void): void {
    this.declaredListeners.push(listener);
  }

  stats(queue: string): QueueStats {
    this.check('stats');
    const q = this.queueOf(queue);
    const v = q.view;
    return {
      queue,
      ready: v.pending,
      unacked: q.leases.size,
      delayed: q.delayed.size,
      messages: v.messages,
      bytes: v.bytes,
      oldestAgeMs:
        v.messages === 0 || v.oldestPublishedAt === 0
          ? 0
          : Math.max(0, Date.now() - v.oldestPublishedAt),
      dead: v.dead,
      counters: { ...q.counters },
    };
  }

  /** Reads the definitions and every queue's figures from JetStream now. */
  async refresh(): Promise<void> {
    this.check('refresh');
    await this.refreshDefinitions();
    await Promise.all([...this.queues.values()].map((q) => this.refreshView(q)));
  }

  /**
   * What JetStream counts towards a queue's `maxBytes` and `bytes` for `message` appended
   * with `dedupId`: the frames in their record, the subject, the header and JetStream's own
   * 30 bytes (codec.ts `storedSize`).
   */
  storedBytes(queue: string, message: StoredMessage, dedupId?: string): number {
    const q = this.queueOf(queue);
    return storedSize(
      Buffer.byteLength(q.names.subject),
      msgIdHeaderBytes(dedupId),
      encodeMessage(message).length,
    );
  }

  private addQueue(def: QueueDefinition, q = new JsQueue(def, this.options.namespace)): JsQueue {
    this.queues.set(def.name, q);
    this.byStream.set(q.names.stream, q);
    return q;
  }

  // ---------------------------------------------------------------- append

  append(batch: AppendRequest[]): Promise<AppendResult[]> {
    let link: JsLink;
    try {
      link = this.check('append');
      validateBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    // Every publish of the batch is written now, in order (appendOne publishes before its
    // first await), so one connection's messages keep their order in each stream.
    const jobs = batch.map((req) => this.appendOne(link, req));
    const done = Promise.all(jobs).then((results) => {
      const touched = new Set<JsQueue>();
      results.forEach((r, i) => {
        if (r.status === 'stored')
          for (const name of (batch[i] as AppendRequest).queues)
            touched.add(this.queues.get(name) as JsQueue);
      });
      for (const q of touched) this.signal(q);
      return results;
    });
    return this.track(done);
  }

  private async appendOne(link: JsLink, req: AppendRequest): Promise<AppendResult> {
    const targets: JsQueue[] = [];
    for (const name of req.queues) {
      const q = this.queues.get(name);
      if (q === undefined) {
        return {
          status: 'rejected',
          reason: 'unknown-queue',
          queue: name,
          text: `no queue named ${JSON.stringify(name)}`,
        };
      }
      if (!targets.includes(q)) targets.push(q);
    }
    const payload = encodeMessage(req.message);
    const header = msgIdHeaderBytes(req.dedupId);
    for (const q of targets) {
      // A message bigger than the whole queue: JetStream would store it and then drop it
      // (drop-oldest) or refuse it with another error; refused here, named the same way.
      if (storedSize(Buffer.byteLength(q.names.subject), header, payload.length) > q.def.maxBytes) {
        q.counters.rejected++;
        return full(q, 'maxBytes');
      }
    }
    const acks = await publishAll(link, targets, payload, req.dedupId);
    const seqs: Array<number | undefined> = new Array(targets.length);
    let refused: AppendResult | undefined;
    for (let i = 0; i < targets.length; i++) {
      const q = targets[i] as JsQueue;
      let ack = acks[i] as PubAckResult;
      if (!ack.ok && limitOf(ack) !== undefined && q.def.overflow === 'drop-oldest') {
        ack = await this.makeRoom(link, q, payload, req.dedupId, ack);
      }
      if (ack.ok) {
        if (ack.duplicate) q.counters.duplicates++;
        else seqs[i] = ack.seq;
        continue;
      }
      const limit = limitOf(ack);
      if (limit === undefined)
        throw new StoreUnavailableError('append', `${q.names.stream}: ${ack.description}`);
      q.counters.rejected++;
      refused ??= full(q, limit);
    }
    if (refused !== undefined) {
      // All or nothing: take the copies stored in the other queues out again.
      await Promise.allSettled(
        targets.map((q, i) => {
          const seq = seqs[i];
          return seq === undefined
            ? undefined
            : link.jsm.streams.deleteMessage(q.names.stream, seq, false);
        }),
      );
      return refused;
    }
    const stored = seqs.filter((s) => s !== undefined);
    if (stored.length === 0) return { status: 'duplicate' };
    targets.forEach((q, i) => {
      if (seqs[i] !== undefined) q.counters.appended++;
    });
    return { status: 'stored', seqs: stored };
  }

  /**
   * A drop-oldest queue refused a message for a limit: drops its oldest message never
   * delivered (no consumer holds it) and publishes again, until it fits or nothing is left
   * to drop. One append at a time per queue.
   */
  private makeRoom(
    link: JsLink,
    q: JsQueue,
    payload: Buffer,
    dedupId: string | undefined,
    first: PubAckResult,
  ): Promise<PubAckResult> {
    const run = q.makingRoom.then(async () => {
      let ack = first;
      for (let drops = 0; drops < MAX_DROPS_PER_APPEND; drops++) {
        const [oldest] = await undelivered(link.jsm, q, this.names.consumer, 1);
        if (oldest === undefined) return ack;
        const gone = await admin('append', () =>
          link.jsm.streams.deleteMessage(q.names.stream, oldest.seq, false),
        ).catch(() => false);
        if (gone) q.counters.droppedOldest++;
        ack = await link.publish(q.names.subject, payload, dedupId);
        if (ack.ok || limitOf(ack) === undefined) return ack;
      }
      return ack;
    });
    q.makingRoom = run.catch(() => undefined);
    return run;
  }

  // ---------------------------------------------------------------- leases

  async lease(queue: string, max: number, ackWaitMs: number): Promise<Delivery[]> {
    const link = this.check('lease');
    checkLease(max, ackWaitMs);
    const q = this.queueOf(queue);
    if (max === 0) return [];
    const previous = q.pulling;
    const pulled = previous.then(() => {
      // Deliveries that came after their pull ended go first; pull only for the rest.
      const early = q.late.splice(0, max).map((l) => l.pulled);
      if (early.length === max) return early;
      this.figures.pulls++;
      return link
        .pull(
          q.names.stream,
          this.names.consumer,
          max - early.length,
          this.options.pollIntervalMs,
          (p) => this.lateDelivery(q, p),
        )
        .then(
          (more) => [...early, ...more],
          (err: unknown) => {
            q.late.unshift(...early.map((pulled) => ({ pulled, touched: Date.now() })));
            throw err;
          },
        );
    });
    q.pulling = pulled.catch(() => undefined);
    // Asked again at the next poll when it finds too little, or fails (JetStream unreachable).
    let got: Pulled[];
    try {
      got = await this.track(pulled);
    } catch (err) {
      this.hungry.add(q);
      throw err;
    }
    this.figures.pulled += got.length;
    if (got.length < max) this.hungry.add(q);
    // JetStream hands out redeliveries in the order they came back: seq order here.
    got.sort((a, b) => a.seq - b.seq);
    const now = Date.now();
    const out: Delivery[] = [];
    const expired: Array<Promise<void>> = [];
    for (const p of got) {
      let message: StoredMessage;
      try {
        message = decodeMessage(p.data, `${q.names.stream} seq ${p.seq}`);
      } catch (err) {
        if (!(err instanceof StoreCorruptError)) throw err;
        this.figures.corrupt++;
        link.settle(p.reply, '+TERM');
        continue;
      }
      const maxAge = q.def.maxAgeMs;
      if (maxAge > 0 && now - message.publishedAt >= maxAge) {
        expired.push(this.kill(link, q, p.seq, p.reply, message, 'expired', p.deliveries - 1));
        continue;
      }
      const lease = new JsLease(q, p.seq, p.deliveries, p.reply, message, now + ackWaitMs, now);
      const old = q.leases.get(p.seq);
      if (old !== undefined) old.state = 'lapsed';
      q.leases.set(p.seq, lease);
      q.counters.delivered++;
      if (p.deliveries > 1) q.counters.redelivered++;
      this.expiries.push({ at: lease.deadline, lease });
      out.push(new JsDelivery(lease));
    }
    if (out.length > 0) this.expiryAlarm.arm(now + ackWaitMs);
    // Dead before this lease answers: a caller listing dead letters next finds them.
    for (const r of await Promise.allSettled(expired)) {
      if (r.status === 'rejected') this.backgroundFailed(r.reason);
    }
    return out;
  }

  async ack(deliveries: Delivery[]): Promise<void> {
    const link = this.check('ack');
    if (!Array.isArray(deliveries)) throw new StoreRequestError('ack', 'expects an array');
    const replies: string[] = [];
    for (const d of deliveries) {
      const lease = this.leaseOf(d);
      // Any holder's ack removes the message (the work was done), even past its lease.
      if (lease === undefined || lease.state === 'settled') {
        this.figures.staleSettles++;
        continue;
      }
      this.release(lease);
      lease.queue.counters.acked++;
      replies.push(lease.reply);
    }
    const last = replies.pop();
    if (last === undefined) return;
    for (const reply of replies) link.settle(reply, '+ACK');
    // JetStream handles one connection's acks in order: the last one answered covers all.
    await this.track(link.settleConfirmed(last, '+ACK'));
  }

  async nak(delivery: Delivery, delayMs: number): Promise<'requeued' | 'dead'> {
    const link = this.check('nak');
    checkDelay(delayMs);
    const lease = this.currentLease(delivery);
    if (lease === undefined) return 'requeued';
    const q = lease.queue;
    q.counters.nacked++;
    if (lease.attempt >= this.options.maxDeliveries) {
      this.release(lease);
      await this.track(
        this.kill(link, q, lease.seq, lease.reply, lease.message, 'max-deliveries', lease.attempt),
      );
      return 'dead';
    }
    this.release(lease);
    if (delayMs > 0) {
      await this.track(
        link.settleConfirmed(lease.reply, `-NAK ${JSON.stringify({ delay: delayMs * 1_000_000 })}`),
      );
      const at = Date.now() + delayMs;
      q.delayed.set(lease.seq, at);
      this.delayAlarm.arm(at);
    } else {
      await this.track(link.settleConfirmed(lease.reply, '-NAK'));
      this.signal(q);
    }
    return 'requeued';
  }

  async term(delivery: Delivery, reason: string): Promise<void> {
    const link = this.check('term');
    const why = termReason(reason);
    const lease = this.currentLease(delivery);
    if (lease === undefined) return;
    this.release(lease);
    await this.track(
      this.kill(link, lease.queue, lease.seq, lease.reply, lease.message, why, lease.attempt),
    );
  }

  async progress(delivery: Delivery, ackWaitMs: number): Promise<void> {
    const link = this.check('progress');
    positiveInt('progress', 'ackWaitMs', ackWaitMs);
    const lease = this.currentLease(delivery);
    if (lease === undefined) return;
    const now = Date.now();
    lease.deadline = now + ackWaitMs;
    lease.touched = now;
    this.expiries.push({ at: lease.deadline, lease });
    this.expiryAlarm.arm(lease.deadline);
    link.settle(lease.reply, '+WPI');
  }

  /** The lease a delivery names (its handle, else this store's lease of that queue and seq). */
  private leaseOf(d: Delivery): JsLease | undefined {
    if (typeof d !== 'object' || d === null)
      throw new StoreRequestError('settle', 'not a delivery');
    const q = this.queues.get(d.queue);
    if (q === undefined) return undefined;
    const h = d.handle;
    if (h instanceof JsLease && h.queue === q) return h;
    const lease = q.leases.get(d.seq);
    return lease !== undefined && lease.attempt === d.attempt ? lease : undefined;
  }

  /** The lease when the delivery is one this store holds now; counts a stale one. */
  private currentLease(d: Delivery): JsLease | undefined {
    const lease = this.leaseOf(d);
    if (lease === undefined || lease.state !== 'held' || lease.attempt !== d.attempt) {
      this.figures.staleSettles++;
      return undefined;
    }
    return lease;
  }

  /** The lease leaves this store (settled, or given back). */
  private release(lease: JsLease): void {
    lease.state = 'settled';
    const q = lease.queue;
    if (q.leases.get(lease.seq) === lease) q.leases.delete(lease.seq);
  }

  /**
   * Dead-letters a message this store holds: written to the dead letters first, then
   * terminated in the work stream (which removes it). A failure between the two leaves it in
   * both: delivered again, and dead once more (deduplicated by seq) or acked.
   */
  private async kill(
    link: JsLink,
    q: JsQueue,
    seq: number,
    reply: string,
    message: StoredMessage,
    reason: string,
    attempts: number,
  ): Promise<void> {
    await writeDeadLetter(link, q, seq, message, reason, attempts);
    await link.settleConfirmed(reply, '+TERM');
  }

  /** Gives a lease back at once (the attempt counts), or dead-letters it on its last attempt. */
  private async giveBack(lease: JsLease): Promise<void> {
    const link = this.link;
    if (link === undefined || lease.state !== 'held') return;
    this.release(lease);
    const q = lease.queue;
    if (lease.attempt >= this.options.maxDeliveries) {
      await this.kill(
        link,
        q,
        lease.seq,
        lease.reply,
        lease.message,
        'max-deliveries',
        lease.attempt,
      );
      return;
    }
    await link.settleConfirmed(lease.reply, '-NAK');
    this.signal(q);
  }

  private expireLeases(): void {
    if (this.lifecycle !== 'open') return;
    const now = Date.now();
    for (;;) {
      const top = this.expiries.peek();
      if (top === undefined) return;
      const { at, lease } = top;
      if (lease.state !== 'held' || lease.deadline !== at) {
        this.expiries.pop();
        continue;
      }
      if (at > now) {
        this.expiryAlarm.arm(at);
        return;
      }
      this.expiries.pop();
      lease.queue.counters.expired++;
      this.background(this.giveBack(lease));
    }
  }

  private endDelays(): void {
    if (this.lifecycle !== 'open') return;
    const now = Date.now();
    let next = Infinity;
    for (const q of this.queues.values()) {
      for (const [seq, at] of q.delayed) {
        if (at <= now) {
          q.delayed.delete(seq);
          this.signal(q);
        } else next = Math.min(next, at);
      }
    }
    if (next !== Infinity) this.delayAlarm.arm(next);
  }

  /** Keeps JetStream's ack wait of every lease (and late delivery) held from running out. */
  private keepAlive(): void {
    const link = this.link;
    if (link === undefined || this.lifecycle !== 'open') return;
    const now = Date.now();
    const due = this.options.serverAckWaitMs / 3;
    for (const q of this.queues.values()) {
      for (const held of [...q.leases.values(), ...q.late]) {
        if (now - held.touched < due) continue;
        held.touched = now;
        link.settle('reply' in held ? held.reply : held.pulled.reply, '+WPI');
      }
    }
  }

  /** A delivery that came after its pull ended: JetStream holds it for this store; the next lease hands it out. */
  private lateDelivery(q: JsQueue, p: Pulled): void {
    this.figures.late++;
    q.late.push({ pulled: p, touched: Date.now() });
    this.markReady(q);
  }

  // ---------------------------------------------------------------- readiness

  /** This queue has messages (appended, given back, delay over): tell this store's listeners and the other brokers. */
  private signal(q: JsQueue): void {
    this.markReady(q);
    this.link?.nc.publish(q.names.readySubject);
  }

  private markReady(q: JsQueue): void {
    this.ready.mark(q);
  }

  /**
   * Queues whose consumers found too little last time are told ready again: messages may have
   * come back meanwhile that no signal announced (another broker's lease ran out in JetStream).
   */
  private poll(): void {
    if (this.lifecycle !== 'open' || this.hungry.size === 0) return;
    const queues = [...this.hungry];
    this.hungry.clear();
    for (const q of queues) this.markReady(q);
  }

  // ---------------------------------------------------------------- dead letters

  async deadLetters(queue: string, opts: { after?: number; limit: number }): Promise<DeadLetter[]> {
    const link = this.check('deadLetters');
    const q = this.queueOf(queue);
    const after = deadLettersAfter(opts);
    return listDeadLetters(link, q, after, opts.limit);
  }

  async replay(queue: string, seqs?: number[]): Promise<number> {
    const link = this.check('replay');
    const q = this.queueOf(queue);
    checkReplaySeqs(seqs);
    const n = await this.track(replayDeadLetters(link, q, seqs));
    if (n > 0) this.signal(q);
    return n;
  }

  async purge(queue: string): Promise<number> {
    const link = this.check('purge');
    return purgeDeadLetters(link, this.queueOf(queue));
  }

  /** JetStream gave a message up: it goes to the dead letters and leaves the work stream. */
  private async maxDeliveriesAdvisory(data: Uint8Array): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    const a = JSON.parse(Buffer.from(data).toString('utf8')) as {
      stream?: string;
      stream_seq?: number;
      deliveries?: number;
    };
    const q = a.stream === undefined ? undefined : this.byStream.get(a.stream);
    const seq = a.stream_seq;
    if (q === undefined || seq === undefined) return;
    const m = await admin('dead-letter', () =>
      link.jsm.streams.getMessage(q.names.stream, { seq }),
    );
    if (m === null) return;
    const message = decodeMessage(m.data, `${q.names.stream} seq ${seq}`);
    await writeDeadLetter(
      link,
      q,
      seq,
      message,
      'max-deliveries',
      a.deliveries ?? this.options.maxDeliveries,
    );
    await admin('dead-letter', () => link.jsm.streams.deleteMessage(q.names.stream, seq, false));
    this.figures.advisoryDeadLetters++;
  }

  // ---------------------------------------------------------------- housekeeping

  private maintain(): Promise<void> {
    if (this.maintaining !== undefined || this.lifecycle !== 'open') return Promise.resolve();
    this.maintaining = (async () => {
      await this.refreshDefinitions();
      for (const q of this.queues.values()) {
        await this.refreshView(q);
        await this.sweepExpired(q);
      }
    })().finally(() => {
      this.maintaining = undefined;
    });
    return this.maintaining;
  }

  /** Reads the definitions again when they changed (another broker declared a queue). */
  private async refreshDefinitions(): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    if ((await definitionsSeq(link.jsm, this.names)) === this.definitionsLastSeq) return;
    const loaded = await loadDefinitions(link.jsm, this.names);
    this.definitionsLastSeq = loaded.lastSeq;
    for (const def of loaded.defs) {
      const q = this.queues.get(def.name);
      if (q !== undefined && sameDefinition(q.def, def)) continue;
      if (q === undefined) this.addQueue(def);
      else q.def = def;
      for (const l of this.declaredListeners) {
        try {
          l(copyDefinition(def));
        } catch {
          this.figures.listenerErrors++;
        }
      }
    }
  }

  private async refreshView(q: JsQueue): Promise<void> {
    const link = this.link;
    if (link === undefined) return;
    q.view = await readView(link.jsm, q, this.names.consumer);
  }

  /** Dead-letters, as 'expired', the oldest never-delivered messages past maxAgeMs. */
  private async sweepExpired(q: JsQueue): Promise<void> {
    const link = this.link;
    const maxAge = q.def.maxAgeMs;
    if (link === undefined || maxAge === 0 || q.view.messages === 0) return;
    if (q.view.oldestPublishedAt === 0 || Date.now() - q.view.oldestPublishedAt < maxAge) {
      // The oldest message may be held by a consumer; look at the never-delivered ones anyway
      // only when the oldest of all is past the age.
      return;
    }
    for (const u of await undelivered(link.jsm, q, this.names.consumer, SWEEP_BATCH)) {
      const message = decodeMessage(u.data, `${q.names.stream} seq ${u.seq}`);
      if (Date.now() - message.publishedAt < maxAge) break;
      await writeDeadLetter(link, q, u.seq, message, 'expired', 0);
      await admin('expire', () => link.jsm.streams.deleteMessage(q.names.stream, u.seq, false));
    }
    await this.refreshView(q);
  }

  // ---------------------------------------------------------------- helpers

  private queueOf(name: string): JsQueue {
    const q = this.queues.get(name);
    if (q === undefined) throw new UnknownQueueError(String(name));
    return q;
  }

  private check(operation: string): JsLink {
    if (this.lifecycle !== 'open' || this.link === undefined) throw new StoreClosedError(operation);
    return this.link;
  }

  /** Keeps `p` in the set close() waits for. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    const drop = (): void => {
      this.inFlight.delete(p);
    };
    p.then(drop, drop);
    return p;
  }

  /** Runs a background operation: a failure is counted, never thrown. */
  private background(p: Promise<unknown>): void {
    this.track(p).catch((err: unknown) => this.backgroundFailed(err));
  }

  private backgroundFailed(err: unknown): void {
    this.figures.backgroundErrors++;
    this.figures.lastBackgroundError = err instanceof Error ? err.message : String(err);
  }
}
