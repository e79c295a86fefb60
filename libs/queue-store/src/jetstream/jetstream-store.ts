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
} from '../definition';
import { checkLease, checkReplaySeqs, deadLettersAfter, validateBatch } from '../checks';
import { ReadyNotifier } from '../ready';
import { StoreClosedError, StoreUnavailableError, UnknownQueueError } from '../errors';
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
import { appendRequest } from './appends';
import { JsLink, type Pulled } from './link';
import { namespaceNames, type NamespaceNames } from './names';
import {
  parseJetStreamOptions,
  type JetStreamStoreOptions,
  type ResolvedJetStreamOptions,
} from './options';
import { Leases } from './leases';
import { JsQueue, type JsLease } from './queue';

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

/** Pause between two tries to reach JetStream while opening, ms. */
const OPEN_RETRY_MS = 250;
/** Messages a maxAgeMs sweep dead-letters per queue per maintenance turn. */
const SWEEP_BATCH = 256;

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
  private readonly leases: Leases;
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
    this.leases = new Leases({
      queues: this.queues,
      maxDeliveries: this.options.maxDeliveries,
      serverAckWaitMs: this.options.serverAckWaitMs,
      figures: this.figures,
      link: () => this.link,
      isOpen: () => this.lifecycle === 'open',
      signal: (q) => this.signal(q),
      track: (p) => this.track(p),
      background: (p) => this.background(p),
      backgroundFailed: (err) => this.backgroundFailed(err),
    });
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
    every(Math.max(100, Math.floor(o.serverAckWaitMs / 3)), () => this.leases.keepAlive());
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
    this.leases.cancel();
    await Promise.allSettled([...this.inFlight]);
    await this.maintaining?.catch(() => undefined);
    // What this store holds goes back now (the attempt counts), not after JetStream's ack wait.
    const held: JsLease[] = [];
    for (const q of this.queues.values()) for (const lease of q.leases.values()) held.push(lease);
    await Promise.allSettled(held.map((lease) => this.leases.giveBack(lease)));
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
    // Every publish of the batch is written now, in order (appendRequest publishes before its
    // first await), so one connection's messages keep their order in each stream.
    const jobs = batch.map((req) => appendRequest(link, this.queues, this.names.consumer, req));
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
    return this.leases.take(link, q, got, ackWaitMs);
  }

  ack(deliveries: Delivery[]): Promise<void> {
    try {
      return this.leases.ack(this.check('ack'), deliveries);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async nak(delivery: Delivery, delayMs: number): Promise<'requeued' | 'dead'> {
    return this.leases.nak(this.check('nak'), delivery, delayMs);
  }

  async term(delivery: Delivery, reason: string): Promise<void> {
    return this.leases.term(this.check('term'), delivery, reason);
  }

  async progress(delivery: Delivery, ackWaitMs: number): Promise<void> {
    return this.leases.progress(this.check('progress'), delivery, ackWaitMs);
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
