export { Producer } from './producer';
export { Subscriber } from './subscriber';
export { Worker } from './worker';
export {
  ClientErrorCode,
  QueueFullError,
  ClosedError,
  NotReadyError,
  TimeoutError,
  BusyError,
  HandlerError,
  WrongSocketTypeError,
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
  QUEUE_POLICIES,
  PUSH_FORMATS,
} from './options';

export type { UntypedTopics, ProducerOptions, SendOptions } from './producer-options';
export type { ProducerStats, LinkStats, ProducerEvents } from './producer';
export type { SubscriberOptions } from './subscriber';
export type { WorkerOptions, RunOptions, WorkerStats } from './worker';
export type { ReceiverOptions, ReceiverStats, DecodeErrorHook } from './receiver';
export type { ConnectionEvent, ConnectionEvents } from './events';
export type { ClientRole } from './errors';
export type { QueuePolicy, PushFormat } from './options';
