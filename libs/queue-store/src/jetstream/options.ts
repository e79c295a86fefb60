/**
 * Options of the JetStream store: where the NATS servers are, how to log in, and how queues
 * are laid out and served.
 */
import { StoreOptionError } from '../errors';
import {
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_MAINTENANCE_INTERVAL_MS,
  DEFAULT_MAX_DELIVERIES,
  MAX_MAX_DELIVERIES,
  int,
} from '../options';
import { NAMESPACE_RE } from './names';

export interface JetStreamStoreOptions {
  /** NATS servers, `nats://host:port` or `host:port`; one is enough, the client learns the others. */
  servers: string[];
  /** User and password, when the servers require them. */
  user?: string;
  password?: string;
  /** A NATS credentials file (JWT and nkey seed), when the servers require one. */
  credsFile?: string;
  /** A PEM file of certificate authorities: connect with TLS and trust the servers it signed. */
  tlsCaFile?: string;
  /** Replicas of every stream (1..5), or 'auto': 3 when the cluster has 3 servers or more, else 1. */
  replicas?: number | 'auto';
  /** Prefix of every stream, consumer and subject the store makes. */
  namespace?: string;
  /** Deliveries before a message is dead-lettered ('max-deliveries'); the consumer's max_deliver. */
  maxDeliveries?: number;
  /** The streams' duplicate window (ms): at least 100, JetStream's minimum. */
  dedupWindowMs?: number;
  /** How often the figures of `stats()` and the definitions are read again, and maxAgeMs swept (ms). */
  maintenanceIntervalMs?: number;
  /**
   * The consumers' ack wait (ms): how long a message delivered through a broker that died
   * stays out before JetStream delivers it again. A live store keeps its leases' own ack waits
   * and keeps JetStream's from running out.
   */
  serverAckWaitMs?: number;
  /** How long a request to JetStream may take before it fails (publish, pull, admin), ms. */
  requestTimeoutMs?: number;
  /**
   * How long a lease that finds nothing waits in JetStream for messages (any that come are
   * handed out at once), and then how soon the queue is asked again while its consumers wait
   * (ms).
   */
  pollIntervalMs?: number;
  /** How long `open()` keeps trying while JetStream does not answer (a leader election), ms. */
  openTimeoutMs?: number;
  /** The connection's name, as the servers show it (default `zmq-mq`). */
  name?: string;
}

export interface ResolvedJetStreamOptions {
  servers: string[];
  user: string | undefined;
  password: string | undefined;
  credsFile: string | undefined;
  tlsCaFile: string | undefined;
  replicas: number | 'auto';
  namespace: string;
  maxDeliveries: number;
  dedupWindowMs: number;
  maintenanceIntervalMs: number;
  serverAckWaitMs: number;
  requestTimeoutMs: number;
  pollIntervalMs: number;
  openTimeoutMs: number;
  name: string;
}

export const DEFAULT_NAMESPACE = 'zmqmq';
/** JetStream refuses a shorter duplicate window. */
export const MIN_JETSTREAM_DEDUP_WINDOW_MS = 100;
/** 30 s, in ms: the broker's default ack wait. */
export const DEFAULT_SERVER_ACK_WAIT_MS = 30_000;
/** In ms: a JetStream leader election after a server's loss took about 2 s here. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;
/** In ms. */
export const DEFAULT_POLL_INTERVAL_MS = 100;
/** In ms: JetStream elected new leaders within a few seconds of a server's loss here. */
export const DEFAULT_OPEN_TIMEOUT_MS = 30_000;
/** JetStream's largest replica count. */
export const MAX_REPLICAS = 5;

const SERVER_RE = /^(?:(nats|tls):\/\/)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** `nats://host:port` for `host:port` or a nats/tls URL; throws StoreOptionError otherwise. */
export function parseServer(value: unknown, option = 'servers'): string {
  const m = typeof value === 'string' ? SERVER_RE.exec(value.trim()) : null;
  if (m === null || Number(m[3]) < 1 || Number(m[3]) > 65535) {
    throw new StoreOptionError(
      option,
      value,
      'must be nats://HOST:PORT (or tls://HOST:PORT), without user or password (give those as options)',
    );
  }
  return `${m[1] ?? 'nats'}://${m[2]}:${m[3]}`;
}

function text(rec: Record<string, unknown>, name: string): string | undefined {
  const value = rec[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new StoreOptionError(
      name,
      name === 'password' ? '(hidden)' : value,
      'must be a non-empty string',
    );
  }
  return value;
}

/** Validates every option and fills the defaults; throws StoreOptionError naming the bad one. */
export function parseJetStreamOptions(input: JetStreamStoreOptions): ResolvedJetStreamOptions {
  const rec = (input ?? {}) as unknown as Record<string, unknown>;
  const servers = rec['servers'];
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new StoreOptionError('servers', servers, 'must list at least one NATS server');
  }
  const replicas = rec['replicas'] ?? 'auto';
  if (
    replicas !== 'auto' &&
    !(
      Number.isInteger(replicas) &&
      (replicas as number) >= 1 &&
      (replicas as number) <= MAX_REPLICAS
    )
  ) {
    throw new StoreOptionError(
      'replicas',
      replicas,
      `must be auto or an integer in 1..${MAX_REPLICAS}`,
    );
  }
  const namespace = rec['namespace'] ?? DEFAULT_NAMESPACE;
  if (typeof namespace !== 'string' || !NAMESPACE_RE.test(namespace)) {
    throw new StoreOptionError(
      'namespace',
      namespace,
      'must be 1..32 characters of A-Z a-z 0-9 _ -',
    );
  }
  const user = text(rec, 'user');
  const password = text(rec, 'password');
  const credsFile = text(rec, 'credsFile');
  if ((user === undefined) !== (password === undefined)) {
    throw new StoreOptionError(
      user === undefined ? 'user' : 'password',
      undefined,
      'must be given with ' + (user === undefined ? 'password' : 'user'),
    );
  }
  if (user !== undefined && credsFile !== undefined) {
    throw new StoreOptionError(
      'credsFile',
      credsFile,
      'cannot be used with user and password: pick one way to log in',
    );
  }
  const big = 2 ** 31 - 1;
  return {
    servers: servers.map((s) => parseServer(s)),
    user,
    password,
    credsFile,
    tlsCaFile: text(rec, 'tlsCaFile'),
    replicas: replicas as number | 'auto',
    namespace,
    maxDeliveries: int(rec, 'maxDeliveries', DEFAULT_MAX_DELIVERIES, 1, MAX_MAX_DELIVERIES),
    dedupWindowMs: int(
      rec,
      'dedupWindowMs',
      DEFAULT_DEDUP_WINDOW_MS,
      MIN_JETSTREAM_DEDUP_WINDOW_MS,
      big,
    ),
    maintenanceIntervalMs: int(
      rec,
      'maintenanceIntervalMs',
      DEFAULT_MAINTENANCE_INTERVAL_MS,
      1,
      big,
    ),
    serverAckWaitMs: int(rec, 'serverAckWaitMs', DEFAULT_SERVER_ACK_WAIT_MS, 1000, big),
    requestTimeoutMs: int(rec, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS, 100, big),
    pollIntervalMs: int(rec, 'pollIntervalMs', DEFAULT_POLL_INTERVAL_MS, 10, 60_000),
    openTimeoutMs: int(rec, 'openTimeoutMs', DEFAULT_OPEN_TIMEOUT_MS, 0, big),
    name: text(rec, 'name') ?? 'zmq-mq',
  };
}
