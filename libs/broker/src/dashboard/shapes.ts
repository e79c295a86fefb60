/**
 * The JSON the monitor serves to the dashboard page and to scripts, in one module: the page
 * reads only these paths and shapes (the `@zmq-mq/broker/dashboard` entry, which imports
 * nothing at run time, so the browser bundle can take it). Documented in libs/broker/README.md.
 */
import type { BrokerMode } from '../forwarding';
import type { PeerListing } from '../peer-registry';
import type { BrokerEndpoints } from '../sockets';
import type { BrokerStatsSnapshot } from '../stats-snapshot';
import type { DropReason } from '../stats';

export { DROP_REASONS } from '../stats';
// The broker's own shapes the dashboard serves as they are.
export type { PeerEntry, PeerListing, RolePeers } from '../peer-registry';
export type { BrokerStatsSnapshot } from '../stats-snapshot';
export type { BrokerEndpoints } from '../sockets';
export type { BrokerMode } from '../forwarding';
export type { DropReason } from '../stats';

/** The monitor's paths the page reads. */
export const DASHBOARD_PATHS = {
  /** The page (HTML); its scripts and styles are under `/assets/`. */
  page: '/',
  /** `BrokerInfo`. */
  broker: '/broker',
  /** `PeerListing`. */
  peers: '/peers',
  /** `FlowHistory`: the last five minutes, one sample a second. */
  history: '/history',
  /** `BrokerStatsSnapshot`: every counter. */
  stats: '/stats',
  /** Server-sent events: `hello`, then `tick` every second, `peers` when they change. */
  events: '/events',
  /** `QueuesResponse`, when the broker has durable queues (404 with `--reliable off`). */
  queues: '/queues',
} as const;

/** The server-sent events of `/events` and what each one's `data` holds (JSON). */
export interface DashboardEvents {
  /** First, on every connection: the broker, its history, its peers and its counters. */
  hello: DashboardHello;
  /** Every second: the newest sample and every counter. */
  tick: DashboardTick;
  /** When the peers changed: `GET /peers`. */
  peers: PeerListing;
}

export interface DashboardHello {
  broker: BrokerInfo;
  history: FlowHistory;
  peers: PeerListing;
  stats: BrokerStatsSnapshot;
}

export interface DashboardTick {
  /** The newest element of `GET /history`'s samples. */
  sample: FlowSample;
  /** `GET /stats` at the same moment. */
  stats: BrokerStatsSnapshot;
  /** `GET /healthz`'s status. */
  health: 'ok' | 'stopping' | 'failed';
}

/** `GET /broker`: what runs, and how. */
export interface BrokerInfo {
  /** zmq-mq's version (`unknown` when the program did not say). */
  version: string;
  /** Different for every broker process start: a page that sees another one knows of a restart. */
  instance: string;
  pid: number;
  /** Node.js's version. */
  node: string;
  /** libzmq's version. */
  libzmq: string;
  mode: BrokerMode;
  /** ms since the epoch. */
  startedAt: number;
  endpoints: BrokerEndpoints | undefined;
  /** Every option in force, in flag order, with its flag and environment variable. */
  options: BrokerOptionView[];
  /** The dashboard's own event stream. */
  events: { clients: number; maxClients: number; refused: number; cut: number };
}

export interface BrokerOptionView {
  /** The option's name in code (`queueMaxMessages`). */
  name: string;
  flag: string;
  env: string;
  value: string | number | null;
}

/** One second of flow: rates over the interval that ended at `t`, and levels at `t`. */
export interface FlowSample {
  /** ms since the epoch at the end of the interval. */
  t: number;
  /** The interval's length (ms): a rate times this over 1000 is the interval's count. */
  intervalMs: number;
  /** Messages per second taken from the ingress. */
  received: number;
  /** Messages per second handed to the fan-out (to subscribers). */
  published: number;
  /** Messages per second handed to workers. */
  pushed: number;
  /** Bytes per second of each, in the same order. */
  receivedBytes: number;
  publishedBytes: number;
  pushedBytes: number;
  /** Drops per second, by reason. */
  dropped: Record<DropReason, number>;
  /** The work queue at `t`. */
  queue: { depth: number; bytes: number; oldestAgeMs: number };
  /** The broker process: CPU over the interval (100 = one core busy) and memory at `t`. */
  process: { cpuPercent: number; rssBytes: number; heapUsedBytes: number };
}

/** `GET /history`: the samples of the last five minutes, oldest first. */
export interface FlowHistory {
  intervalMs: number;
  /** Samples kept at most (five minutes' worth). */
  capacity: number;
  samples: FlowSample[];
}

// Durable queues: `GET /queues` answers 200 once the broker has them (404 with --reliable off),
// and the page shows their panel only then. Their JSON is @zmq-mq/protocol's, the broker's own
// (the monitor serves it, `npm run queues` reads it too).
export type {
  QueuesResponse,
  QueueSummary,
  QueueCountersView,
  QueueConsumerView,
  DeadLettersResponse,
  DeadLetterView,
  DeadLetterMeta,
  ReplayResponse,
  PurgeResponse,
  QueueApiError,
} from '@zmq-mq/protocol';

/** Paths of one durable queue. */
export function queuePaths(name: string): { dead: string; replay: string; purge: string } {
  const base = `${DASHBOARD_PATHS.queues}/${encodeURIComponent(name)}`;
  return { dead: `${base}/dead`, replay: `${base}/replay`, purge: `${base}/purge` };
}
