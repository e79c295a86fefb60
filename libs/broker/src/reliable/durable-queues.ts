import { resolve } from 'node:path';
import type { QueueSummary } from '@zmq-mq/protocol';
import {
  JetStreamStore,
  type DeadLetter,
  type JetStreamStats,
  type QueueStore,
} from '@zmq-mq/queue-store';
import type { Registry } from 'prom-client';
import type { Router } from 'zeromq';
import type { BrokerMode, ForwardingPaths } from '../forwarding';
import type { Logger } from '../logger';
import type { BrokerOptions } from '../options';
import { reliableSocket, type ZmqContext } from '../sockets';
import { lockDataDir } from './data-dir-lock';
import { FanOutFeed } from './fan-out-feed';
import { IngressQueues } from './ingress-queues';
import { registerReliableMetrics } from './metrics';
import type { MonitorRoute } from '../monitor';
import { queueRoutes } from './queue-api';
import { QueueIndex } from './queue-index';
import { ReliablePort } from './reliable-port';
import { ReliableStats } from './stats';
import { checkNatsFiles, createStore } from './stores';

/** The durable queues' part of `/stats`. */
export interface ReliableStatsSnapshot {
  endpoint: string | undefined;
  store: BrokerOptions['store'];
  /** The LMDB store's directory (absolute); undefined for the memory store. */
  dataDir: string | undefined;
  /** A JetStream store's own figures (pulls, late deliveries, background failures); else undefined. */
  jetstream: JetStreamStats | undefined;
  epoch: string;
  sessions: {
    current: number;
    named: number;
    heldDeliveries: number;
    opened: number;
    resumed: number;
    endedSilent: number;
    endedOther: number;
  };
  stats: ReliableStats;
  queues: QueueSummary[];
}

/**
 * The broker's durable queues: the store (LMDB in --data-dir, memory, or NATS JetStream), the queue index,
 * the reliable port (a ROUTER the broker binds with its other sockets), the plain-ingress tap
 * for the counted work path, the fan-out feed of confirmed publishes, and the monitor's
 * `/queues` API and metrics.
 *
 * Lifecycle, driven by the Broker: `open()` (lock the data dir, open the store, declare the
 * `--queue` queues) before binding; `start(paths)` once forwarding runs; on stop `stop()`
 * (answer what was appended, take nothing new), then, after the forwarding paths stopped,
 * `close()` (the work path's appends finished, the store closed, the data dir released).
 */
export class DurableQueues {
  readonly stats = new ReliableStats();
  readonly index = new QueueIndex();
  readonly router: Router;
  /** The counted work path's hook (undefined in native mode). */
  readonly ingress: IngressQueues | undefined;
  private readonly store: QueueStore;
  private readonly fanOut: FanOutFeed | undefined;
  private readonly port: ReliablePort;
  private unlock: (() => void) | undefined;
  private opened = false;
  private joined = false;
  private closing: Promise<void> | undefined;
  endpoint: string | undefined;

  constructor(
    private readonly options: BrokerOptions,
    log: Logger,
    zmq: ZmqContext,
    mode: BrokerMode,
    host: {
      /** Subscribers connected to the publish socket now. */
      subscribers: () => number;
      /** The port's receive loop ended while running (the broker is then unhealthy). */
      failed: (path: string) => void;
    },
  ) {
    this.store = createStore(options);
    // A store shared with other brokers (JetStream) tells of queues they declare.
    this.store.onDeclared?.((def) => this.index.set(def));
    this.router = reliableSocket(zmq);
    this.fanOut =
      mode === 'counted' ? new FanOutFeed(zmq, this.stats, host.subscribers) : undefined;
    this.ingress =
      mode === 'counted' ? new IngressQueues(this.store, this.index, this.stats, log) : undefined;
    this.port = new ReliablePort(
      this.router,
      this.store,
      this.index,
      this.stats,
      log,
      { maxMessageBytes: options.maxMessageBytes, ackWaitMs: options.ackWaitMs },
      this.fanOut,
      () => host.failed('reliable'),
    );
  }

  /** Takes the data dir, opens the store and declares the `--queue` queues. */
  async open(): Promise<void> {
    checkNatsFiles(this.options);
    if (this.options.store === 'lmdb') this.unlock = lockDataDir(this.options.dataDir);
    try {
      await this.store.open();
      this.opened = true;
      for (const def of this.options.queues) this.index.set(await this.store.declare(def));
      for (const def of this.store.definitions()) {
        if (!this.index.has(def.name)) this.index.set(def);
      }
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /**
   * Joins the fan-out where the mode can (counted mode), before `paths` starts: the relay's
   * socket belongs to its proxy thread once that runs.
   */
  async joinFanOut(paths: ForwardingPaths): Promise<void> {
    if (this.fanOut === undefined || paths.addFanOutSource === undefined) return;
    await this.fanOut.bind();
    paths.addFanOutSource(this.fanOut.endpoint);
    this.joined = true;
  }

  /** Starts the port once forwarding runs; the ROUTER is bound to `endpoint`. */
  async start(endpoint: string): Promise<void> {
    this.endpoint = endpoint;
    if (this.joined) await this.fanOut?.subscribed();
    this.port.start();
  }

  /** Takes no new work and answers every publish in flight. */
  async stop(): Promise<void> {
    await this.port.stop();
  }

  /**
   * After the forwarding paths stopped: waits for the work path's appends, closes the store,
   * releases the data dir. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (!this.router.closed) this.router.close();
      await this.port.close();
      await this.ingress?.drain();
      this.fanOut?.close();
      if (this.opened) await this.store.close();
      this.unlock?.();
      this.unlock = undefined;
    })();
    return this.closing;
  }

  /** The monitor's `/queues` routes. */
  routes(): MonitorRoute[] {
    return queueRoutes({
      queues: () => this.queueSnapshots(),
      queue: (name) => (this.index.has(name) ? this.snapshot(name) : undefined),
      deadLetters: (name, after, limit): Promise<DeadLetter[]> =>
        this.store.deadLetters(name, { after, limit }),
      replay: (name, seqs) => this.store.replay(name, seqs),
      purge: (name) => this.store.purge(name),
    });
  }

  /** Adds the durable queues' metrics to the monitor's registry. */
  registerMetrics(register: Registry): void {
    registerReliableMetrics(register, {
      stats: this.stats,
      queues: () => this.queueSnapshots(),
      sessions: () => this.port.sessionCounts().sessions,
    });
  }

  queueSnapshots(): QueueSummary[] {
    if (!this.opened || this.closing !== undefined) return [];
    return this.index.definitions().map((d) => this.snapshot(d.name));
  }

  /** One queue as `GET /queues/NAME`, `/stats` and `/metrics` show it. */
  snapshot(name: string): QueueSummary {
    const def = this.index.definition(name);
    if (def === undefined) throw new Error(`no queue ${name}`);
    const s = this.store.stats(name);
    const c = s.counters;
    return {
      name: def.name,
      prefixes: [...def.prefixes],
      maxMessages: def.maxMessages,
      maxBytes: def.maxBytes,
      maxAgeMs: def.maxAgeMs,
      overflow: def.overflow,
      maxDeadMessages: def.maxDeadMessages,
      depth: s.ready,
      unacked: s.unacked,
      delayed: s.delayed,
      messages: s.messages,
      bytes: s.bytes,
      oldestAgeMs: s.oldestAgeMs,
      dead: s.dead,
      counters: {
        published: c.appended,
        confirmed: this.index.confirmed(name),
        duplicates: c.duplicates,
        rejected: c.rejected,
        droppedOldest: c.droppedOldest,
        delivered: c.delivered,
        acked: c.acked,
        nacked: c.nacked,
        redelivered: c.redelivered,
        expired: c.expired,
        deadLettered: c.deadLettered,
        deadDropped: c.deadDropped,
        replayed: c.replayed,
        purged: c.purged,
      },
      consumers: this.port.deliveries.consumers(name),
    };
  }

  snapshotAll(): ReliableStatsSnapshot {
    const s = this.stats;
    const sessions = this.port.sessionCounts();
    return {
      endpoint: this.endpoint,
      store: this.options.store,
      dataDir: this.options.store === 'lmdb' ? resolve(this.options.dataDir) : undefined,
      jetstream: this.store instanceof JetStreamStore ? this.store.jetStreamStats() : undefined,
      epoch: this.port.epoch,
      sessions: {
        current: sessions.sessions,
        named: sessions.named,
        heldDeliveries: sessions.held,
        opened: s.sessionsOpened,
        resumed: s.sessionsResumed,
        endedSilent: s.sessionsSilent,
        endedOther: s.sessionsClosed,
      },
      stats: structuredClone(s),
      queues: this.queueSnapshots(),
    };
  }
}
