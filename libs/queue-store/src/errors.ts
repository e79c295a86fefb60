/**
 * Coded errors of the queue store. Each is a `ZmqMqError` (from `@zmq-mq/protocol`) with a
 * stable `code` (`ZMQMQ_ERR_STORE_…`); each code is documented in libs/queue-store/README.md.
 */
import { ZmqMqError } from '@zmq-mq/protocol';

export const StoreErrorCode = {
  InvalidDefinition: 'ZMQMQ_ERR_STORE_INVALID_DEFINITION',
  InvalidOption: 'ZMQMQ_ERR_STORE_INVALID_OPTION',
  InvalidRequest: 'ZMQMQ_ERR_STORE_INVALID_REQUEST',
  UnknownQueue: 'ZMQMQ_ERR_STORE_UNKNOWN_QUEUE',
  Closed: 'ZMQMQ_ERR_STORE_CLOSED',
  Failed: 'ZMQMQ_ERR_STORE_FAILED',
  Corrupt: 'ZMQMQ_ERR_STORE_CORRUPT',
  Unavailable: 'ZMQMQ_ERR_STORE_UNAVAILABLE',
} as const;

export type StoreErrorCode = (typeof StoreErrorCode)[keyof typeof StoreErrorCode];

function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** A queue definition with a bad field; `field` names it, `value` is what was given. */
export class QueueDefinitionError extends ZmqMqError {
  readonly queue: string | undefined;
  readonly field: string;
  readonly value: unknown;

  constructor(queue: string | undefined, field: string, value: unknown, problem: string) {
    const where = queue === undefined ? '' : ` of queue ${JSON.stringify(queue)}`;
    super(
      StoreErrorCode.InvalidDefinition,
      `queue definition${where}: ${field} ${problem} (got ${show(value)})`,
    );
    this.name = 'QueueDefinitionError';
    this.queue = queue;
    this.field = field;
    this.value = value;
  }
}

/** A store option with a bad value. */
export class StoreOptionError extends ZmqMqError {
  readonly option: string;
  readonly value: unknown;

  constructor(option: string, value: unknown, problem: string) {
    super(StoreErrorCode.InvalidOption, `store option ${option} ${problem} (got ${show(value)})`);
    this.name = 'StoreOptionError';
    this.option = option;
    this.value = value;
  }
}

/** A call with malformed arguments (an append request without frames, a lease of 0.5). */
export class StoreRequestError extends ZmqMqError {
  readonly operation: string;

  constructor(operation: string, problem: string) {
    super(StoreErrorCode.InvalidRequest, `${operation}: ${problem}`);
    this.name = 'StoreRequestError';
    this.operation = operation;
  }
}

/** An operation on a queue that was never declared. */
export class UnknownQueueError extends ZmqMqError {
  readonly queue: string;

  constructor(queue: string) {
    super(StoreErrorCode.UnknownQueue, `no queue named ${JSON.stringify(queue)}`);
    this.name = 'UnknownQueueError';
    this.queue = queue;
  }
}

/** An operation on a store that is not open (never opened, or closed). */
export class StoreClosedError extends ZmqMqError {
  readonly operation: string;

  constructor(operation: string) {
    super(StoreErrorCode.Closed, `${operation}: the store is not open`);
    this.name = 'StoreClosedError';
    this.operation = operation;
  }
}

/**
 * A write to disk failed. The store then refuses every further operation (its memory may no
 * longer match the disk); close it and open it again to rebuild from what is on disk.
 */
export class StoreFailedError extends ZmqMqError {
  readonly operation: string;

  constructor(operation: string, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super(StoreErrorCode.Failed, `${operation}: the store failed writing to disk${why}`, options);
    this.name = 'StoreFailedError';
    this.operation = operation;
  }
}

/** A record on disk that cannot be read back (truncated or not in the expected layout). */
export class StoreCorruptError extends ZmqMqError {
  readonly record: string;

  constructor(record: string, problem: string, options?: { cause?: unknown }) {
    super(StoreErrorCode.Corrupt, `corrupt ${record}: ${problem}`, options);
    this.name = 'StoreCorruptError';
    this.record = record;
  }
}

/**
 * A store on a remote engine (NATS JetStream) could not do an operation now: no answer within
 * the request timeout, no server reachable, or an error JetStream answered. Nothing is known
 * about the operation's effect (an append may have been stored): try again (a dedup id keeps a
 * message stored once).
 */
export class StoreUnavailableError extends ZmqMqError {
  readonly operation: string;

  constructor(operation: string, problem: string, options?: { cause?: unknown }) {
    super(StoreErrorCode.Unavailable, `${operation}: ${problem}`, options);
    this.name = 'StoreUnavailableError';
    this.operation = operation;
  }
}
