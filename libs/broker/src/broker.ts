import { randomUUID } from 'node:crypto';
import { bindSocket, warnIfExposed } from './bind';
import { CountedPaths } from './counted-paths';
import { Dashboard } from './dashboard/dashboard';
import { brokerInfo } from './dashboard/info';
import type { DashboardPage } from './dashboard/page-files';
import { DropLog } from './drop-log';
import { BrokerStateError } from './errors';
import type { BrokerMode, BrokerState, ForwardingPaths, PathsHost } from './forwarding';
import { createLogger, flushLogger, type Logger } from './logger';
import { createMetrics } from './metrics';
import { coreRoutes, Monitor, type MonitorLimits } from './monitor';
import { NativePaths } from './native-paths';
import { parseBrokerOptions, type BrokerOptions, type BrokerOptionsInput } from './options';
import { raiseFileLimit } from './file-limit';
import { batchBoundSocket } from './io-batch';
import { procNetTcp } from './peer-addresses';
import { proxyThreads, threadPoolSize, type ProxyThreadLease } from './proxy-threads';
import { PeerEvents } from './peer-events';
import { PeerRegistry } from './peer-registry';
import { BrokerSecurity } from './security/broker-security';
import { MonitorAuth, readMonitorToken } from './security/monitor-auth';
import { registerSecurityMetrics } from './security/security-metrics';
import { DurableQueues } from './reliable/durable-queues';
import {
  brokerContext,
  hardenBoundSocket,
  INBOUND_LIMITS,
  publishSocket,
  pushSocket,
  type BoundSocket,
  type BrokerEndpoints,
} from './sockets';
import { BrokerStats } from './stats';
import { statsSnapshot, stopSummary, type BrokerStatsSnapshot } from './stats-snapshot';
import { WorkQueue } from './work-queue';

/** What the program gives the broker besides its options. */
export interface BrokerDeps {
  logger?: Logger;
  /** zmq-mq's version, as the monitor shows it. */
  version?: string;
  /** The dashboard page the monitor serves at `/` (`loadDashboardPage`). */
  dashboardPage?: DashboardPage;
  /** The monitor's bounds, where not MONITOR_LIMITS (tests shorten its timeouts). */
  monitorLimits?: Partial<MonitorLimits>;
}

/** The broker's clock tick: the work queue's clock and the dashboard's sample (ms). */
const TICK_MS = 1000;
/** While stop() runs, how often the log says what it still waits on. */
const STOP_WATCH_MS = 10_000;

/** What `stop()` did. */
export interface StopReport {
  /** Work messages handed to workers while stopping. */
  drained: number;
  /** Work messages still queued when the drain timeout ran out (counted as `shutdown` drops). */
  undelivered: number;
  /** How long stopping took (ms). */
  durationMs: number;
}

/**
 * The broker: a bound ingress that takes every message, a bound PUB that re-publishes it
 * unchanged (fan-out), and a bound PUSH that hands its payload, topic stripped, to one worker.
 *
 * Promises: every received message is published once and offered to the work queue once, in
 * ingress order. The fan-out never waits for the work queue: when no worker can take a
 * message it waits in a bounded queue (by count and bytes), delivered in order when workers
 * appear; past the bound the overflow policy drops, counted by reason. Every drop is counted.
 * The fan-out runs inside libzmq in both modes (see CountedPaths and NativePaths).
 *
 * This class is the lifecycle: it binds the sockets (`bind.ts`), watches their peers
 * (`peer-events.ts`), runs one ForwardingPaths for its mode, serves the monitor, and reports.
 */
export class Broker {
  readonly options: BrokerOptions;
  private readonly log: Logger;
  private readonly counters = new BrokerStats();
  private readonly queue: WorkQueue;
  private readonly peers: PeerRegistry;
  private readonly peerEvents: PeerEvents;
  private security: BrokerSecurity | undefined;
  /** Monitor requests refused for want of the token. */
  private monitorUnauthorized = 0;
  private readonly drops: DropLog;
  private readonly deps: BrokerDeps;
  private readonly instance = randomUUID();
  private dashboard: Dashboard | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private readonly host: PathsHost;
  private state: BrokerState = 'new';
  /** Every socket bound, in bind order, with its role. */
  private readonly sockets: BoundSocket[] = [];
  private paths: ForwardingPaths | undefined;
  /** What doStop() or closeAll() awaits now. */
  private stopStage: string | undefined;
  /** The pool threads this broker's proxies run on, from start() until they have ended. */
  private threads: ProxyThreadLease | undefined;
  /** The durable queues and their reliable port, unless `--reliable off`. */
  private durable: DurableQueues | undefined;
  private monitor: Monitor | undefined;
  private bound: BrokerEndpoints | undefined;
  private starting: Promise<BrokerEndpoints> | undefined;
  private stopping: Promise<StopReport> | undefined;
  private aborting: Promise<StopReport> | undefined;
  /** Set once stop() has counted everything and only closes sockets and logs. */
  private stopFinishing = false;
  /** `pushed` when stopping began (stop() or abort()), for the report's `drained`. */
  private pushedBeforeStop: number | undefined;
  // A path that ended while running (a proxy, the tap): the broker is then unhealthy.
  private failedPath: string | undefined;

  constructor(options: BrokerOptionsInput | BrokerOptions = {}, deps: BrokerDeps = {}) {
    this.options = parseBrokerOptions(options);
    this.deps = deps;
    const log = deps.logger ?? createLogger(this.options.logLevel);
    this.log = log;
    const overflow = this.options.pushPolicy === 'drop-oldest' ? 'drop-oldest' : 'drop-newest';
    this.queue = new WorkQueue(this.options.queueMaxMessages, this.options.queueMaxBytes, overflow);
    const running = (): boolean => this.state === 'running';
    // Peers' own addresses are read only where someone can see them: on the monitor.
    this.peers = new PeerRegistry(this.counters.peers, {
      table: this.options.monitor === null ? undefined : procNetTcp,
    });
    this.peerEvents = new PeerEvents(
      log,
      this.counters,
      this.peers,
      running,
      (socket, event) => this.security?.observe(socket, event) === true,
    );
    this.drops = new DropLog(log, this.counters, this.queue);
    this.host = {
      log,
      counters: this.counters,
      running,
      stopped: () => this.state === 'stopped',
      failed: (path) => {
        this.failedPath ??= path;
      },
    };
  }

  /** Bound endpoints, once started. */
  get endpoints(): BrokerEndpoints | undefined {
    return this.bound;
  }

  /**
   * `counted`: JavaScript sees every message and counts it (push format `payload`).
   * `native`: both paths run inside libzmq (push format `full`); message counters stay at zero.
   */
  get mode(): BrokerMode {
    return this.options.pushFormat === 'full' ? 'native' : 'counted';
  }

  /** Binds every socket and the monitor, then starts forwarding. Throws `BindError`. */
  start(): Promise<BrokerEndpoints> {
    if (this.state !== 'new') {
      return Promise.reject(
        new BrokerStateError(`start() called on a broker that is ${this.state}`),
      );
    }
    this.starting = this.doStart();
    return this.starting;
  }

  private async doStart(): Promise<BrokerEndpoints> {
    this.state = 'starting';
    const o = this.options;
    const files = raiseFileLimit();
    try {
      // Before anything binds: a broker the thread pool cannot carry is refused, not hung.
      const threads = proxyThreads.lease();
      this.threads = threads;
      // Key files first: a bad one stops the broker before anything binds (KeyError).
      const security = new BrokerSecurity(o, this.log);
      this.security = security;
      const token = o.monitorTokenFile === null ? null : readMonitorToken(o.monitorTokenFile);
      const zmq = brokerContext(o);
      await security.start(zmq.context);
      if (o.reliable !== null) {
        this.durable = new DurableQueues(o, this.log, zmq, this.mode, {
          subscribers: () => this.counters.peers.subscribers,
          failed: this.host.failed,
        });
        await this.durable.open();
      }
      const paths =
        this.mode === 'native'
          ? new NativePaths(o, this.host, zmq)
          : new CountedPaths(o, this.host, this.queue, zmq, this.durable?.ingress);
      this.paths = paths;
      this.sockets.push({ role: 'ingress', socket: paths.ingress, endpoint: o.ingress });
      const publisher = publishSocket(o, zmq);
      this.sockets.push({ role: 'publish', socket: publisher, endpoint: o.publish });
      const pusher = pushSocket(o, zmq);
      this.sockets.push({ role: 'push', socket: pusher, endpoint: o.push });
      if (this.durable !== undefined && o.reliable !== null) {
        this.sockets.push({ role: 'reliable', socket: this.durable.router, endpoint: o.reliable });
      }
      for (const bound of this.sockets) {
        // The inbound limits first: secure() adds CURVE's overhead to the frame limit.
        hardenBoundSocket(bound, o);
        batchBoundSocket(bound);
        security.secure(bound);
        this.peerEvents.watch(bound, INBOUND_LIMITS[bound.role](o).maxFrameBytes);
      }
      const bound: Partial<BrokerEndpoints> = {};
      for (const { role, socket, endpoint } of this.sockets) {
        bound[role] = await bindSocket(socket, role, endpoint, this.peerEvents);
      }
      const endpoints = bound as BrokerEndpoints;
      if (o.monitor !== null) {
        const durable = this.durable;
        const registry = createMetrics(
          this.counters,
          {
            depth: () => this.queue.length,
            bytes: () => this.queue.bytes,
            oldestAgeSeconds: () => this.queue.oldestAgeMs() / 1000,
          },
          (register) => durable?.registerMetrics(register),
        );
        registerSecurityMetrics(
          registry,
          () => security.snapshot(),
          () => this.monitorUnauthorized,
        );
        const health = (): 'ok' | 'stopping' | 'failed' => {
          if (this.state !== 'running') return 'stopping';
          return this.failedPath === undefined ? 'ok' : 'failed';
        };
        const stats = (): BrokerStatsSnapshot => this.stats();
        this.dashboard = new Dashboard({
          info: () =>
            brokerInfo({
              version: this.deps.version ?? 'unknown',
              instance: this.instance,
              mode: this.mode,
              startedAt: this.counters.startedAt,
              endpoints: this.bound,
              options: this.options,
            }),
          stats,
          health,
          counters: this.counters,
          queue: this.queue,
          peers: this.peers,
          page: this.deps.dashboardPage,
        });
        this.monitor = new Monitor(
          o.monitor,
          [
            ...coreRoutes({ registry, stats, health }),
            ...this.dashboard.routes(),
            ...(durable?.routes() ?? []),
          ],
          {
            log: this.log,
            refused: () => this.counters.monitorRefused++,
            auth: new MonitorAuth(token),
            unauthorized: () => this.monitorUnauthorized++,
            ...(this.deps.monitorLimits === undefined ? {} : { limits: this.deps.monitorLimits }),
          },
        );
        endpoints.monitor = await this.monitor.start();
      }
      this.bound = endpoints;
      await this.durable?.joinFanOut(paths);
      await paths.start({ publisher, pusher }, threads);
      if (this.durable !== undefined && endpoints.reliable !== undefined) {
        await this.durable.start(endpoints.reliable);
      }
    } catch (err) {
      this.state = 'stopped';
      await this.closeAll();
      this.stopStage = undefined;
      throw err;
    }
    this.state = 'running';
    this.drops.start(o.dropLogIntervalMs);
    this.ticker = setInterval(() => this.tick(), TICK_MS).unref();
    warnIfExposed(this.log, this.bound, o.monitor, this.security?.curve === true);
    if (files.problem !== undefined) this.log.warn({ ...files.limits }, files.problem);
    this.log.info(
      {
        ...this.bound,
        pushPolicy: o.pushPolicy,
        pushFormat: o.pushFormat,
        mode: this.mode,
        queueMaxMessages: o.queueMaxMessages,
        queueMaxBytes: o.queueMaxBytes,
        publishHwm: o.publishHwm,
        ingressHwm: o.ingressHwm,
        maxMessageBytes: o.maxMessageBytes,
        ioThreads: o.ioThreads,
        threadPool: threadPoolSize(),
        pushHwm: o.pushHwm,
        pushSendBufferBytes: o.pushSendBufferBytes,
        handshakeTimeoutMs: o.handshakeTimeoutMs,
        openFiles: files.limits && {
          soft: files.limits.soft,
          hard: files.limits.hard,
          ...(files.raisedFrom !== undefined ? { raisedFrom: files.raisedFrom } : {}),
        },
        ...(this.durable === undefined
          ? {}
          : {
              store: o.store,
              ...(o.store === 'lmdb' ? { dataDir: o.dataDir } : {}),
              queues: this.durable.index.definitions().map((d) => d.name),
            }),
      },
      'broker started',
    );
    return this.bound;
  }

  private tick(): void {
    const now = Date.now();
    this.queue.clockSeconds = Math.floor(now / 1000);
    this.dashboard?.tick(now);
  }

  /** A snapshot of every counter, as served at `/stats`. */
  stats(): BrokerStatsSnapshot {
    const snapshot = statsSnapshot({
      mode: this.mode,
      counters: this.counters,
      queue: this.queue,
      endpoints: this.bound,
      policy: this.options.pushPolicy,
    });
    if (this.security !== undefined) snapshot.security = this.security.snapshot();
    if (this.durable !== undefined) snapshot.reliable = this.durable.snapshotAll();
    return snapshot;
  }

  /**
   * Reads every allowlist again now (they are also read again whenever their files change): a
   * key removed is refused at its next connection. The broker program does this on SIGUSR2.
   */
  reloadAllowlists(): void {
    this.security?.reload();
  }

  /**
   * Stops taking ingress, delivers queued work to connected workers for up to the drain
   * timeout, counts what remains as `shutdown` drops, closes every socket with a bounded
   * linger. Idempotent: later calls return the same promise.
   */
  stop(): Promise<StopReport> {
    // A stop() while start() runs waits for it: the broker starts (or fails to), then stops,
    // instead of closing sockets under start() (which then failed with libzmq's raw errors).
    this.stopping ??=
      this.starting === undefined
        ? this.doStop()
        : this.starting.then(
            () => this.doStop(),
            () => this.doStop(),
          );
    return this.stopping;
  }

  /**
   * For an exit that cannot wait for `stop()` (a second signal): ends the libzmq proxy threads
   * at once, drains nothing, counts what the work queue still holds as `shutdown` drops and
   * logs the final summary (`broker stopped`, with `aborted: true`). Needed because libzmq
   * cannot terminate its context while a proxy runs, so `process.exit()` would hang. Messages
   * the tap had not read yet (only while the tap is still being read after the ingress closed)
   * never reached JavaScript and are not counted. Idempotent; a `stop()` in progress then logs
   * nothing more and resolves with this report.
   */
  abort(): Promise<StopReport> {
    this.aborting ??= this.doAbort();
    return this.aborting;
  }

  private async doAbort(): Promise<StopReport> {
    // stop() has counted everything and is closing the sockets: its report is the last word.
    if (this.stopFinishing && this.stopping) return this.stopping;
    const started = Date.now();
    this.pushedBeforeStop ??= this.counters.pushed;
    if (this.state !== 'stopped') this.state = 'stopping';
    const undelivered = (await this.paths?.abort()) ?? 0;
    this.drops.finish();
    const report = {
      drained: this.counters.pushed - this.pushedBeforeStop,
      undelivered,
      durationMs: Date.now() - started,
    };
    this.log.info(
      { ...report, ...stopSummary(this.counters, this.queue), aborted: true },
      'broker stopped',
    );
    await flushLogger(this.log);
    return report;
  }

  private async doStop(): Promise<StopReport> {
    const started = Date.now();
    this.pushedBeforeStop ??= this.counters.pushed;
    const pushedBefore = this.pushedBeforeStop;
    const wasRunning = this.state === 'running';
    this.state = 'stopping';
    this.log.info('broker stopping: ingress closed, draining queued work');
    // Each step below is bounded; should one still not end, the log says which, every 10 s.
    const watch = setInterval(() => {
      this.log.warn(
        { waitingOn: this.stopStage, waitedMs: Date.now() - started },
        'broker stop still waiting',
      );
    }, STOP_WATCH_MS).unref();
    try {
      // Confirmed publishes in flight are answered before anything closes.
      await this.stopStep('durable queues: publishes in flight', this.durable?.stop());
      const undelivered =
        (await this.stopStep('forwarding paths: drain', this.paths?.stop(wasRunning))) ?? 0;
      if (this.aborting) {
        // abort() counts, logs and reports instead; closing is still this stop's to finish.
        this.stopStage = 'abort';
        const report = await this.aborting;
        await this.closeAll();
        this.state = 'stopped';
        return report;
      }
      this.stopFinishing = true;
      const drained = this.counters.pushed - pushedBefore;
      this.queue.clear();
      this.drops.finish();
      await this.closeAll();
      this.state = 'stopped';
      const report = { drained, undelivered, durationMs: Date.now() - started };
      this.log.info({ ...report, ...stopSummary(this.counters, this.queue) }, 'broker stopped');
      await this.stopStep('log flush', flushLogger(this.log));
      return report;
    } finally {
      clearInterval(watch);
      this.stopStage = undefined;
    }
  }

  /** What a stop() in progress waits on now (for diagnostics; undefined when not stopping). */
  get stopWaitingOn(): string | undefined {
    return this.stopStage;
  }

  private stopStep<T>(stage: string, step: Promise<T> | undefined): Promise<T | undefined> {
    this.stopStage = stage;
    return step ?? Promise.resolve(undefined);
  }

  private async closeAll(): Promise<void> {
    clearInterval(this.ticker);
    // A socket a proxy runs on only closes once that proxy ends (zeromq.js defers it): a start
    // that failed after its proxies began, or a stop that gave up, must not leave them running.
    await this.stopStep('proxies: end', this.paths?.endProxies());
    this.threads?.release();
    for (const { socket } of this.sockets) if (!socket.closed) socket.close();
    this.paths?.close();
    // After the work path: it may still append.
    await this.stopStep('durable queues: close the store', this.durable?.close());
    this.peers.close();
    this.dashboard?.close();
    await this.stopStep('monitor: close', this.monitor?.stop());
    await this.stopStep('socket event loops: end', this.peerEvents.ended());
    // After every socket it guards has closed: a handshake in flight gets its answer.
    await this.stopStep('ZAP handler: close', this.security?.close());
  }
}
