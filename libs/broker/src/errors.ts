import { ZmqMqError } from '@zmq-mq/protocol';

/** Codes of the broker's own errors; documented in libs/broker/README.md. */
export const BrokerErrorCode = {
  Bind: 'ZMQMQ_ERR_BIND',
  State: 'ZMQMQ_ERR_BROKER_STATE',
  TokenFile: 'ZMQMQ_ERR_TOKEN_FILE',
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

/** The monitor's token file cannot be read, or its first line is no usable token. */
export class TokenFileError extends ZmqMqError {
  readonly file: string;

  constructor(file: string, problem: string, options?: { cause?: unknown }) {
    super(BrokerErrorCode.TokenFile, `${file}: ${problem}`, options);
    this.name = 'TokenFileError';
    this.file = file;
  }
}
