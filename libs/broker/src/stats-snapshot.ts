import type { BrokerMode } from './forwarding';
import type { BrokerOptions } from './options';
import type { SecuritySnapshot } from './security/broker-security';
import type { ConnectionCounts } from './peer-ledger';
import type { BrokerEndpoints } from './sockets';
import type { ReliableStatsSnapshot } from './reliable/durable-queues';
import type { BrokerStats, DropReason, MalformedKind, PeerRole } from './stats';
import type { WorkQueue } from './work-queue';

/** The JSON served at `/stats` and returned by `stats()`. */
export interface BrokerStatsSnapshot {
  /** In `native` mode no JavaScript sees a message: the message counters stay at zero. */
  mode: BrokerMode;
  uptimeMs: number;
  endpoints: BrokerEndpoints | undefined;
  received: { messages: number; bytes: number };
  published: { messages: number; bytes: number };
  pushed: { messages: number; bytes: number };
  queue: {
    depth: number;
    bytes: number;
    peakDepth: number;
    peakBytes: number;
    maxMessages: number;
    maxBytes: number;
    policy: BrokerOptions['pushPolicy'];
    /** Work messages that have waited in the queue since start (not sent at once). */
    queuedTotal: number;
    /** How long the oldest queued message has waited (ms, to the second; 0 when empty). */
    oldestAgeMs: number;
  };
  dropped: Record<DropReason, number> & { total: number };
  malformed: Record<MalformedKind, number>;
  /** Peers connected now: ZeroMQ handshakes completed (a bare TCP connection is not a peer). */
  peers: Record<PeerRole, number>;
  /** CURVE, the allowlists, and refused handshakes by port and reason (a started broker). */
  security?: SecuritySnapshot;
  /** How each socket's connections went since start (see ConnectionCounts). */
  connections: Record<PeerRole, ConnectionCounts>;
  /** Monitor connections closed at once: the monitor had its most open. */
  monitor: { refusedConnections: number };
  /** The durable queues and the reliable port, unless `--reliable off`. */
  reliable?: ReliableStatsSnapshot;
}

/** What a snapshot reads. */
export interface SnapshotSources {
  mode: BrokerMode;
  counters: BrokerStats;
  queue: WorkQueue;
  endpoints: BrokerEndpoints | undefined;
  policy: BrokerOptions['pushPolicy'];
}

/** Every counter, copied: later counting does not change the snapshot. */
export function statsSnapshot(from: SnapshotSources): BrokerStatsSnapshot {
  const s = from.counters;
  const queue = from.queue;
  const now = Date.now();
  return {
    mode: from.mode,
    uptimeMs: now - s.startedAt,
    endpoints: from.endpoints,
    received: { messages: s.received, bytes: s.receivedBytes },
    published: { messages: s.published, bytes: s.publishedBytes },
    pushed: { messages: s.pushed, bytes: s.pushedBytes },
    queue: {
      depth: queue.length,
      bytes: queue.bytes,
      peakDepth: queue.peakLength,
      peakBytes: queue.peakBytes,
      maxMessages: queue.maxMessages,
      maxBytes: queue.maxBytes,
      policy: from.policy,
      queuedTotal: s.queued,
      oldestAgeMs: queue.oldestAgeMs(now),
    },
    dropped: { ...s.dropped, total: s.totalDropped() },
    malformed: { ...s.malformed },
    peers: { ...s.peers },
    connections: {
      producers: copyCounts(s.connections.producers),
      subscribers: copyCounts(s.connections.subscribers),
      workers: copyCounts(s.connections.workers),
      clients: copyCounts(s.connections.clients),
    },
    monitor: { refusedConnections: s.monitorRefused },
  };
}

function copyCounts(c: ConnectionCounts): ConnectionCounts {
  return { ...c, failed: { ...c.failed } };
}

/** The totals of the final `broker stopped` line. */
export function stopSummary(s: BrokerStats, queue: WorkQueue): Record<string, number> {
  return {
    received: s.received,
    published: s.published,
    pushed: s.pushed,
    queued: s.queued,
    peakQueueDepth: queue.peakLength,
    dropped: s.totalDropped(),
  };
}
