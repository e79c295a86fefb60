import { ZmqMqError } from '@zmq-mq/protocol';

/** Codes of the broker's own errors; documented in libs/broker/README.md. */
export const BrokerErrorCode = {
  Bind: 'ZMQMQ_ERR_BIND',
  State: 'ZMQMQ_ERR_BROKER_STATE',
} as const;

/** A socket or the monitor could not bind its endpoint. */
export class BindError extends ZmqMqError {
  readonly endpoint: string;
  readonly socket: string;

  constructor(socket: string, endpoint: string, options?: { cause?: unknown }) {
    // zeromq.js's errors, and the error of a monitor event (a plain object), both carry a message.
    const message = (options?.cause as { message?: unknown } | undefined)?.message;
    const reason = typeof message === 'string' ? `: ${message}` : '';
    super(BrokerErrorCode.Bind, `cannot bind ${socket} to ${endpoint}${reason}`, options);
    this.name = 'BindError';
    this.endpoint = endpoint;
    this.socket = socket;
  }
}

/** `start()` called twice, or after `stop()`. */
export class BrokerStateError extends ZmqMqError {
  constructor(message: string) {
    super(BrokerErrorCode.State, message);
    this.name = 'BrokerStateError';
  }
}
