export { Producer } from './producer';
export { Subscriber } from './subscriber';
export { Worker } from './worker';
export { ConfirmingProducer } from './confirming-producer';
export { QueueWorker } from './queue-worker';
export {
  ClientErrorCode,
  QueueFullError,
  ClosedError,
  NotReadyError,
  TimeoutError,
  BusyError,
  HandlerError,
  WrongSocketTypeError,
  NackError,
  BrokerError,
  HandshakeError,
  isZmqErrorCode,
} from './errors';
export {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  DEFAULT_QUEUE_MAX_MESSAGES,
  DEFAULT_READY_SETTLE_MS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_SEND_HWM,
  DEFAULT_RECEIVE_HWM,
  DEFAULT_CONCURRENCY,
  DEFAULT_RELIABLE,
  QUEUE_POLICIES,
  PUSH_FORMATS,
} from './options';
export { curveOptionsFromFiles } from './curve-options';
export { firstHandshakeErrors } from './events';
export {
  DEFAULT_CONFIRM_WINDOW,
  DEFAULT_CONFIRM_TIMEOUT_MS,
  DEFAULT_PUBLISH_BATCH,
  DEFAULT_PUBLISH_BATCH_BYTES,
  DEFAULT_ACK_FLUSH_MS,
  DEFAULT_ACK_BATCH,
  DEFAULT_CREDIT,
  DEFAULT_BACKOFF,
  backoffDelay,
} from './reliable-options';

export type { UntypedTopics, ProducerOptions, SendOptions } from './producer-options';
export type { ProducerStats, LinkStats, ProducerEvents } from './producer';
export type { SubscriberOptions } from './subscriber';
export type { WorkerOptions, RunOptions, WorkerStats } from './worker';
export type { ReceiverOptions, ReceiverStats, DecodeErrorHook } from './receiver';
export type { ConnectionEvent, ConnectionEvents } from './events';
export type { ClientRole, HandshakeFailure } from './errors';
export type { CurveOptions } from './curve-options';
export type { QueuePolicy, PushFormat } from './options';
export type {
  ConfirmingProducerOptions,
  ConfirmingProducerStats,
  ConfirmingProducerEvents,
} from './confirming-producer';
export type {
  QueueWorkerOptions,
  QueueRunOptions,
  QueueWorkerStats,
  QueueWorkerEvents,
} from './queue-worker-options';
export type { QueueDelivery, DeliveryControl } from './queue-delivery';
export type { ReliableOptions, BackoffOptions } from './reliable-options';
export type { ReliableEvents, SessionInfo, ReconnectReason } from './reliable-link';
