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
  DEFAULT_PUSH_HWM,
  DEFAULT_PUSH_SEND_BUFFER_BYTES,
  DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES,
  DEFAULT_HANDSHAKE_TIMEOUT_MS,
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
  isExposedHost,
  BOOLEAN_OPTIONS,
} from './options';
export { MONITOR_LIMITS } from './monitor';
export { KEY_ROLES, PORT_ROLES } from './security/broker-security';
export { REFUSAL_REASONS } from './security/refusals';
export { MIN_TOKEN_CHARS, MONITOR_COOKIE, SESSION_MAX_AGE_S } from './security/monitor-auth';
export { CONTROL_FRAME_MAX_BYTES, RELIABLE_MIN_FRAME_BYTES } from './sockets';
export { refusePreZmtp3, zapDomainOf } from './zap-domain';
export { HANDSHAKE_FAILURES } from './peer-ledger';
export { readFileLimits, raiseFileLimit } from './file-limit';
export { hintMallocThresholds, MALLOC_THRESHOLD_HINT_BYTES } from './malloc-thresholds';
export { WorkQueue, messageBytes } from './work-queue';
export { DROP_REASONS, MALFORMED_KINDS } from './stats';
export {
  BrokerErrorCode,
  BindError,
  BrokerStateError,
  TokenFileError,
  DataDirLockedError,
  ThreadPoolError,
} from './errors';
export {
  DEFAULT_THREAD_POOL_SIZE,
  PROXIES_PER_BROKER,
  THREAD_POOL_RESERVE,
  threadPoolSize,
} from './proxy-threads';
export { parseQueueSpec } from './reliable/queue-spec';
export { MIN_HEARTBEAT_MS, MAX_HEARTBEAT_MS } from './reliable/reliable-port';
export { INGRESS_MAX_IN_FLIGHT } from './reliable/ingress-queues';
export { PUBLISH_MAX_IN_FLIGHT } from './reliable/publishing';
export { createLogger, flushLogger } from './logger';
export { loadDashboardPage } from './dashboard/page-files';
export { DASHBOARD_PATHS, queuePaths } from './dashboard/shapes';
export { DEFAULT_MAX_LISTED_PEERS } from './peer-registry';

export type { StopReport, BrokerDeps } from './broker';
export type { DashboardPage } from './dashboard/page-files';
export type {
  BrokerInfo,
  BrokerOptionView,
  DashboardEvents,
  DashboardHello,
  DashboardTick,
  FlowHistory,
  FlowSample,
} from './dashboard/shapes';
export type { PeerEntry, PeerListing, RolePeers } from './peer-registry';
export type { BrokerEndpoints, SocketRole } from './sockets';
export type { MonitorLimits, RouteAccess } from './monitor';
export type { AllowlistView, KeyRole, SecuritySnapshot } from './security/broker-security';
export type { RefusalReason } from './security/refusals';
export type { ConnectionCounts, HandshakeFailure } from './peer-ledger';
export type { FileLimits, FileLimitReport } from './file-limit';
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
export type { ReliableStats } from './reliable/stats';
export type { WorkMessage, OfferResult } from './work-queue';
export type { DropReason, MalformedKind, PeerRole } from './stats';
export type { Logger } from './logger';
