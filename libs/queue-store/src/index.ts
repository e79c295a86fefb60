export {
  StoreErrorCode,
  QueueDefinitionError,
  StoreOptionError,
  StoreRequestError,
  UnknownQueueError,
  StoreClosedError,
  StoreFailedError,
  StoreCorruptError,
  StoreUnavailableError,
} from './errors';
export {
  DEFAULT_MAX_MESSAGES,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_AGE_MS,
  DEFAULT_OVERFLOW,
  DEFAULT_MAX_DEAD_MESSAGES,
  MAX_QUEUE_NAME_LENGTH,
  MAX_PREFIXES,
  MAX_PREFIX_BYTES,
  queueNameProblem,
  parseQueueDefinition,
  sameDefinition,
  queueTakesTopic,
} from './definition';
export {
  DEFAULT_MAX_DELIVERIES,
  MAX_MAX_DELIVERIES,
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_DEDUP_MAX_IDS,
  DEFAULT_MAINTENANCE_INTERVAL_MS,
  parseStoreOptions,
} from './options';
export { EngineStore } from './engine';
export { MemoryStore } from './memory-store';
export { LmdbStore, DEFAULT_DATA_DIR } from './lmdb-store';
export { JetStreamStore } from './jetstream/jetstream-store';
export {
  DEFAULT_NAMESPACE,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SERVER_ACK_WAIT_MS,
  MAX_REPLICAS,
  MIN_JETSTREAM_DEDUP_WINDOW_MS,
  parseJetStreamOptions,
  parseServer,
} from './jetstream/options';

export type {
  OverflowPolicy,
  QueueDefinition,
  QueueDefinitionInput,
  QueueLimit,
} from './definition';
export type {
  StoredMessage,
  Delivery,
  AppendRequest,
  AppendRejectReason,
  AppendResult,
  DeadLetter,
  QueueCounters,
  QueueStats,
  ReadyListener,
  QueueStore,
} from './types';
export type { StoreOptions, ResolvedStoreOptions } from './options';
export type { EngineStats } from './engine';
export type { LmdbStoreOptions } from './lmdb-store';
export type { LmdbMetrics } from './lmdb-journal';
export type { JetStreamStats } from './jetstream/jetstream-store';
export type { JetStreamStoreOptions, ResolvedJetStreamOptions } from './jetstream/options';
