/**
 * Coded errors of the SDK. They extend `ZmqMqError` from @zmq-mq/protocol, so callers match on
 * `err.code` across the whole product. Each code is documented in libs/client/README.md.
 */
import { ZmqMqError } from '@zmq-mq/protocol';

export const ClientErrorCode = {
  QueueFull: 'ZMQMQ_ERR_QUEUE_FULL',
  Closed: 'ZMQMQ_ERR_CLOSED',
  NotReady: 'ZMQMQ_ERR_NOT_READY',
  Timeout: 'ZMQMQ_ERR_TIMEOUT',
  Busy: 'ZMQMQ_ERR_BUSY',
  Handler: 'ZMQMQ_ERR_HANDLER',
} as const;

export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** `Producer.send()` found the local queue full and the policy is `'error'`. */
export class QueueFullError extends ZmqMqError {
  readonly limit: number;

  constructor(limit: number) {
    super(
      ClientErrorCode.QueueFull,
      `send queue is full (${limit} messages); no broker link takes messages fast enough`,
    );
    this.name = 'QueueFullError';
    this.limit = limit;
  }
}

/** The object was closed: no more sends, iterations or ready() waits. */
export class ClosedError extends ZmqMqError {
  constructor(what: string) {
    super(ClientErrorCode.Closed, `${what} is closed`);
    this.name = 'ClosedError';
  }
}

/** `ready()` gave up: some endpoints had no working link within the timeout. */
export class NotReadyError extends ZmqMqError {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;

  constructor(endpoints: readonly string[], timeoutMs: number) {
    super(
      ClientErrorCode.NotReady,
      `no link within ${timeoutMs} ms to ${endpoints.join(', ')}; is the broker running?`,
    );
    this.name = 'NotReadyError';
    this.endpoints = endpoints;
    this.timeoutMs = timeoutMs;
  }
}

/** `flush()` (or the flush inside `close()`) did not finish in time. */
export class TimeoutError extends ZmqMqError {
  readonly timeoutMs: number;
  /** Messages still queued when the time ran out. */
  readonly pending: number;

  constructor(what: string, timeoutMs: number, pending: number) {
    super(ClientErrorCode.Timeout, `${what} timed out after ${timeoutMs} ms (${pending} pending)`);
    this.name = 'TimeoutError';
    this.timeoutMs = timeoutMs;
    this.pending = pending;
  }
}

/** A second iteration or `run()` on a Subscriber/Worker while one is active (one reader per socket). */
export class BusyError extends ZmqMqError {
  constructor(what: string) {
    super(ClientErrorCode.Busy, `${what} is already being read; use one loop per socket`);
    this.name = 'BusyError';
  }
}

/** A `Worker.run()` handler threw or rejected; `cause` is what it threw. */
export class HandlerError extends ZmqMqError {
  readonly topic: string;
  readonly messageId: string;

  constructor(topic: string, messageId: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(ClientErrorCode.Handler, `handler failed for ${topic || '(no topic)'}: ${detail}`, {
      cause,
    });
    this.name = 'HandlerError';
    this.topic = topic;
    this.messageId = messageId;
  }
}

/** True when `err` is an error from zeromq with this errno `code` (`EAGAIN`, `EBUSY`, `ETERM`…). */
export { isZmqError as isZmqErrorCode } from '@zmq-mq/protocol';
