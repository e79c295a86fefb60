import type { QueueConsumerView, QueueCountersView, QueueSummary } from '@zmq-mq/protocol';
import { Counter, Gauge, type Registry } from 'prom-client';
import { readCounter, readGauge } from '../metrics';
import { PROTOCOL_ERROR_KINDS, SEND_FAILURES, type ReliableStats } from './stats';

/** Every counter of a queue, as `zmqmq_durable_queue_events_total{event}` labels them. */
export const QUEUE_EVENTS: readonly (keyof QueueCountersView)[] = [
  'published',
  'confirmed',
  'duplicates',
  'rejected',
  'droppedOldest',
  'delivered',
  'acked',
  'nacked',
  'redelivered',
  'expired',
  'deadLettered',
  'deadDropped',
  'replayed',
  'purged',
];

export interface ReliableMetricsSource {
  stats: ReliableStats;
  queues(): QueueSummary[];
  sessions(): number;
}

/**
 * Registers the durable queues' metrics: per queue (`queue` label) the depth, unacked,
 * delayed, bytes, oldest age and dead letters as gauges, and every event as
 * `zmqmq_durable_queue_events_total{queue,event}`; per consumer its credit and unacked; the
 * reliable port's commands, errors and send failures. Read when scraped.
 */
export function registerReliableMetrics(register: Registry, source: ReliableMetricsSource): void {
  const s = source.stats;
  const perQueue = (name: string, help: string, read: (q: QueueSummary) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['queue'],
      registers: [register],
      collect() {
        this.reset();
        for (const q of source.queues()) this.set({ queue: q.name }, read(q));
      },
    });
  };
  perQueue('zmqmq_durable_queue_depth_messages', 'Messages ready to deliver', (q) => q.depth);
  perQueue(
    'zmqmq_durable_queue_unacked_messages',
    'Messages delivered, not yet acked',
    (q) => q.unacked,
  );
  perQueue('zmqmq_durable_queue_delayed_messages', 'Messages NAKed with a delay', (q) => q.delayed);
  perQueue('zmqmq_durable_queue_bytes', 'Bytes of the queue’s live messages', (q) => q.bytes);
  perQueue(
    'zmqmq_durable_queue_oldest_age_seconds',
    'Age of the oldest live message',
    (q) => q.oldestAgeMs / 1000,
  );
  perQueue('zmqmq_durable_queue_dead_messages', 'Dead letters kept', (q) => q.dead);
  new Counter({
    name: 'zmqmq_durable_queue_events_total',
    help: 'Per queue: published, confirmed, duplicates, rejected, droppedOldest, delivered, acked, nacked, redelivered, expired, deadLettered, deadDropped, replayed, purged',
    labelNames: ['queue', 'event'],
    registers: [register],
    collect() {
      this.reset();
      for (const q of source.queues()) {
        for (const event of QUEUE_EVENTS) this.inc({ queue: q.name, event }, q.counters[event]);
      }
    },
  });
  const perConsumer = (
    name: string,
    help: string,
    read: (c: QueueConsumerView) => number,
  ): void => {
    new Gauge({
      name,
      help,
      labelNames: ['queue', 'session', 'client'],
      registers: [register],
      collect() {
        this.reset();
        for (const q of source.queues()) {
          for (const c of q.consumers) {
            this.set({ queue: q.name, session: c.session, client: c.name ?? '' }, read(c));
          }
        }
      },
    });
  };
  perConsumer('zmqmq_durable_consumer_credit', 'Deliveries the consumer may hold', (c) => c.credit);
  perConsumer(
    'zmqmq_durable_consumer_unacked_messages',
    'Deliveries the consumer holds',
    (c) => c.unacked,
  );
  const labelled = <K extends string>(
    name: string,
    help: string,
    label: string,
    keys: readonly K[],
    values: Record<K, number>,
  ): void => {
    new Counter({
      name,
      help,
      labelNames: [label],
      registers: [register],
      collect() {
        this.reset();
        for (const k of keys) this.inc({ [label]: k }, values[k]);
      },
    });
  };
  labelled(
    'zmqmq_reliable_commands_total',
    'Reliable-port commands received, by command',
    'command',
    Object.keys(s.commands) as (keyof typeof s.commands)[],
    s.commands,
  );
  labelled(
    'zmqmq_reliable_bad_commands_total',
    'Reliable-port commands that broke the protocol, by kind',
    'kind',
    PROTOCOL_ERROR_KINDS,
    s.badCommands,
  );
  labelled(
    'zmqmq_reliable_errors_sent_total',
    'ERROR replies sent, by code',
    'code',
    Object.keys(s.errorsSent) as (keyof typeof s.errorsSent)[],
    s.errorsSent,
  );
  labelled(
    'zmqmq_reliable_nacks_total',
    'Published messages refused (NACK), by code',
    'code',
    Object.keys(s.nacked) as (keyof typeof s.nacked)[],
    s.nacked,
  );
  labelled(
    'zmqmq_reliable_send_failures_total',
    'Sends on the reliable port that failed, by reason',
    'reason',
    SEND_FAILURES,
    s.sendFailures,
  );
  const counter = (name: string, help: string, read: () => number): void =>
    readCounter(register, name, help, read);
  counter(
    'zmqmq_reliable_errors_suppressed_total',
    'ERROR replies past a client’s rate, not sent',
    () => s.errorsSuppressed,
  );
  counter(
    'zmqmq_reliable_published_messages_total',
    'Messages in PUBLISH commands',
    () => s.published,
  );
  counter(
    'zmqmq_reliable_confirmed_messages_total',
    'Messages answered CONFIRM',
    () => s.confirmed,
  );
  counter(
    'zmqmq_reliable_delivered_messages_total',
    'Messages sent in DELIVER commands',
    () => s.delivered,
  );
  counter(
    'zmqmq_reliable_returned_leases_total',
    'Leases given back when their session ended or their DELIVER failed',
    () => s.leasesReturned + s.deliveriesReturned,
  );
  counter(
    'zmqmq_reliable_store_errors_total',
    'Store operations that failed',
    () => s.storeErrors + s.ingressStoreErrors,
  );
  counter(
    'zmqmq_durable_ingress_appended_total',
    'Plain-ingress messages appended to durable queues',
    () => s.ingressAppended,
  );
  counter(
    'zmqmq_durable_ingress_rejected_total',
    'Plain-ingress messages a full queue refused',
    () => s.ingressRejected,
  );
  counter(
    'zmqmq_durable_ingress_waits_total',
    'Times the work path waited for the store',
    () => s.ingressWaits,
  );
  counter(
    'zmqmq_reliable_fan_out_dropped_total',
    'Confirmed messages the fan-out hop refused (full)',
    () => s.fanOutDropped,
  );
  readGauge(register, 'zmqmq_reliable_sessions', 'Sessions on the reliable port', source.sessions);
}
