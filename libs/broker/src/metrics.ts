import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { HANDSHAKE_FAILURES, type ConnectionCounts } from './peer-ledger';
import { DROP_REASONS, MALFORMED_KINDS, PEER_ROLES, type BrokerStats } from './stats';

/** Live values that are not plain counters. */
export interface QueueGauges {
  depth(): number;
  bytes(): number;
  /** Seconds the oldest queued message has waited (0 when empty). */
  oldestAgeSeconds(): number;
}

/** A counter that reads its value when scraped (the value only grows). */
export function readCounter(
  register: Registry,
  name: string,
  help: string,
  read: () => number,
): void {
  new Counter({
    name,
    help,
    registers: [register],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge that reads its value when scraped. */
export function readGauge(
  register: Registry,
  name: string,
  help: string,
  read: () => number,
): void {
  new Gauge({
    name,
    help,
    registers: [register],
    collect() {
      this.set(read());
    },
  });
}

/**
 * A Prometheus registry whose metrics read the broker's plain counters when scraped, so the
 * hot path only increments numbers. Includes the process's default metrics (CPU, RSS, heap).
 */
export function createMetrics(
  stats: BrokerStats,
  queue: QueueGauges,
  more?: (register: Registry) => void,
): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: 'zmqmq_' });

  const counter = (name: string, help: string, read: () => number): void =>
    readCounter(register, name, help, read);
  const gauge = (name: string, help: string, read: () => number): void =>
    readGauge(register, name, help, read);

  counter(
    'zmqmq_received_messages_total',
    'Messages received on the ingress socket',
    () => stats.received,
  );
  counter(
    'zmqmq_received_bytes_total',
    'Bytes (all frames) received on the ingress socket',
    () => stats.receivedBytes,
  );
  counter(
    'zmqmq_published_messages_total',
    'Messages handed to the publish (fan-out) socket',
    () => stats.published,
  );
  counter(
    'zmqmq_published_bytes_total',
    'Bytes handed to the publish socket',
    () => stats.publishedBytes,
  );
  counter(
    'zmqmq_pushed_messages_total',
    'Work messages handed to the push socket (to a worker)',
    () => stats.pushed,
  );
  counter('zmqmq_pushed_bytes_total', 'Bytes handed to the push socket', () => stats.pushedBytes);
  counter(
    'zmqmq_queued_messages_total',
    'Work messages that had to wait in the queue (no worker could take them at once)',
    () => stats.queued,
  );
  gauge('zmqmq_queue_depth_messages', 'Work messages waiting in the bounded queue', queue.depth);
  gauge('zmqmq_queue_bytes', 'Bytes waiting in the bounded queue', queue.bytes);
  gauge(
    'zmqmq_queue_oldest_age_seconds',
    'How long the oldest message in the bounded queue has waited (to the second)',
    queue.oldestAgeSeconds,
  );

  new Counter({
    name: 'zmqmq_dropped_messages_total',
    help: 'Messages dropped by the broker, by reason',
    labelNames: ['reason'],
    registers: [register],
    collect() {
      this.reset();
      for (const reason of DROP_REASONS) this.inc({ reason }, stats.dropped[reason]);
    },
  });
  new Counter({
    name: 'zmqmq_malformed_messages_total',
    help: 'Received messages with a defect, by kind (see README for what happens to each)',
    labelNames: ['kind'],
    registers: [register],
    collect() {
      this.reset();
      for (const kind of MALFORMED_KINDS) this.inc({ kind }, stats.malformed[kind]);
    },
  });
  new Gauge({
    name: 'zmqmq_connected_peers',
    help: 'Connected peers per socket (producers, subscribers, workers, reliable clients): ZeroMQ handshakes completed, not bare TCP connections',
    labelNames: ['role'],
    registers: [register],
    collect() {
      for (const [role, n] of Object.entries(stats.peers)) this.set({ role }, n);
    },
  });
  const perRole = (name: string, help: string, read: (c: ConnectionCounts) => number): void => {
    new Counter({
      name,
      help,
      labelNames: ['role'],
      registers: [register],
      collect() {
        this.reset();
        for (const role of PEER_ROLES) this.inc({ role }, read(stats.connections[role]));
      },
    });
  };
  perRole(
    'zmqmq_connections_accepted_total',
    'TCP (or ipc) connections accepted per socket, handshake or not',
    (c) => c.accepted,
  );
  perRole('zmqmq_handshakes_total', 'ZeroMQ handshakes completed per socket', (c) => c.handshakes);
  perRole(
    'zmqmq_peer_disconnects_total',
    'Peers (handshake completed) whose connection ended: they left, or sent a frame over the socket limit',
    (c) => c.disconnected,
  );
  perRole(
    'zmqmq_accept_failures_total',
    'Connections libzmq could not accept (out of file descriptors, say)',
    (c) => c.acceptFailed,
  );
  new Counter({
    name: 'zmqmq_handshake_failures_total',
    help: 'Connections that ended before a completed ZeroMQ handshake, per socket and kind (protocol, auth, other, refused)',
    labelNames: ['role', 'kind'],
    registers: [register],
    collect() {
      this.reset();
      for (const role of PEER_ROLES) {
        for (const kind of HANDSHAKE_FAILURES) {
          this.inc({ role, kind }, stats.connections[role].failed[kind]);
        }
      }
    },
  });
  counter(
    'zmqmq_monitor_refused_connections_total',
    'Monitor (HTTP) connections closed at once because the monitor had its most open',
    () => stats.monitorRefused,
  );
  more?.(register);
  return register;
}
