export { Broker } from './broker';
export { MAX_MESSAGE_FRAMES } from './work-path';
// Shared with the SDK, defined in @zmq-mq/protocol; exported here too, as they always were.
export {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  DEFAULT_RELIABLE,
  PUSH_FORMATS,
  isZmqError,
} from '@zmq-mq/protocol';
export {
  DEFAULT_QUEUE_MAX_MESSAGES,
  DEFAULT_QUEUE_MAX_BYTES,
  DEFAULT_PUBLISH_HWM,
  DEFAULT_INGRESS_HWM,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_MONITOR,
  DEFAULT_DROP_LOG_INTERVAL_MS,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_DATA_DIR,
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_MAX_DELIVERIES,
  PUSH_POLICIES,
  LOG_LEVELS,
  STORE_KINDS,
  natsServers,
  OPTION_NAMES,
  defaultBrokerOptions,
  parseBrokerOptions,
  parseEndpoint,
  parseBytes,
  parseDuration,
  formatBytes,
  formatDuration,
  parseMonitor,
  isExposedEndpoint,
} from './options';
export { WorkQueue, messageBytes } from './work-queue';
export { DROP_REASONS, MALFORMED_KINDS } from './stats';
export { BrokerErrorCode, BindError, BrokerStateError, DataDirLockedError } from './errors';
export { parseQueueSpec } from './reliable/queue-spec';
export { MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS } from './reliable/reliable-port';
export { INGRESS_MAX_IN_FLIGHT } from './reliable/ingress-queues';
export { PUBLISH_MAX_IN_FLIGHT } from './reliable/publishing';
export { DEFAULT_DEAD_LIMIT, MAX_DEAD_LIMIT } from './reliable/queue-api';
export { createLogger, flushLogger } from './logger';

export type { StopReport } from './broker';
export type { BrokerEndpoints } from './sockets';
export type { BrokerStatsSnapshot } from './stats-snapshot';
export type { BrokerMode } from './forwarding';
export type {
  BrokerOptions,
  BrokerOptionsInput,
  BrokerOptionKey,
  PushPolicy,
  PushFormat,
  LogLevel,
  MonitorAddress,
  StoreKind,
  StoreSpec,
  NatsReplicas,
} from './options';
export type { ReliableStatsSnapshot } from './reliable/durable-queues';
export type { QueueSnapshot, QueueEventCounts } from './reliable/metrics';
export type { ConsumerSnapshot } from './reliable/deliveries';
export type { DeadLetterJson } from './reliable/queue-api';
export type { ReliableStats } from './reliable/stats';
export type { WorkMessage, OfferResult } from './work-queue';
export type { DropReason, MalformedKind, PeerRole } from './stats';
export type { Logger } from './logger';
