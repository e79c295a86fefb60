import type { Publisher, Push, Subscriber, XSubscriber } from 'zeromq';
import type { Logger } from './logger';
import type { ProxyThreadLease } from './proxy-threads';
import type { BrokerStats } from './stats';

/**
 * `counted`: JavaScript sees every message and counts it (push format `payload`).
 * `native`: both paths run inside libzmq (push format `full`); message counters stay at zero.
 */
export type BrokerMode = 'counted' | 'native';

/** Where a broker is in its life: `start()` moves it to running, `stop()` to stopped. */
export type BrokerState = 'new' | 'starting' | 'running' | 'stopping' | 'stopped';

/** What a forwarding mode shares with the broker that runs it. */
export interface PathsHost {
  readonly log: Logger;
  readonly counters: BrokerStats;
  /** Whether the broker runs: a path that ends now has failed; one that ends later was stopped. */
  running(): boolean;
  /** Whether the broker has stopped: a refused send is then no longer an error. */
  stopped(): boolean;
  /** A path ended while running: the broker is unhealthy from now on (`/healthz`: failed). */
  failed(path: string): void;
}

/** The bound sockets a mode forwards to: subscribers' PUB and workers' PUSH. */
export interface OutputSockets {
  publisher: Publisher;
  pusher: Push;
}

/**
 * How messages get from the ingress to subscribers (the fan-out) and to workers (the work
 * path): one implementation per mode, CountedPaths and NativePaths. The broker binds the
 * sockets, then calls `start()`; on stop it calls `stop()` or `abort()`, then `endProxies()`
 * and `close()`.
 */
export interface ForwardingPaths {
  readonly mode: BrokerMode;
  /** The socket producers connect to, created by the mode (its type is the mode's choice). */
  readonly ingress: Subscriber | XSubscriber;
  /** Starts forwarding from the bound ingress to the bound outputs, its proxies on `threads`. */
  start(outputs: OutputSockets, threads: ProxyThreadLease): Promise<void>;
  /**
   * Stops taking ingress and hands on what was taken: with `graceful` (the broker was running)
   * queued work goes to workers for up to the drain timeout. Resolves with the work messages
   * left undelivered, counted as `shutdown` drops.
   */
  stop(graceful: boolean): Promise<number>;
  /**
   * Ends every path at once, nothing drained, and counts queued work as `shutdown` drops;
   * resolves with that count. Works whether or not `start()` ran or finished.
   */
  abort(): Promise<number>;
  /**
   * Ends whatever proxy still runs, nothing drained, and resolves once each has ended (its pool
   * thread is free then). Idempotent; what stop() or abort() ended is not ended again.
   */
  endProxies(): Promise<void>;
  /** Closes what the mode itself created, besides the bound sockets. */
  close(): void;
  /**
   * Connects another publisher of messages to the fan-out (subscribers), where the mode can:
   * the durable queues' confirmed publishes. Native mode cannot (libzmq owns the PUB).
   */
  addFanOutSource?(endpoint: string): void;
}

/** For a proxy that ended with an error: while running, the path has failed, and it is logged. */
export function proxyFailed(host: PathsHost, path: string, err: unknown): void {
  if (!host.running()) return;
  host.failed(path);
  host.log.error({ err, path }, 'proxy failed; path stopped');
}
