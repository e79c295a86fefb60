import { ZmqMqError } from '@zmq-mq/protocol';

/** Codes of the broker's own errors; documented in libs/broker/README.md. */
export const BrokerErrorCode = {
  Bind: 'ZMQMQ_ERR_BIND',
  State: 'ZMQMQ_ERR_BROKER_STATE',
  TokenFile: 'ZMQMQ_ERR_TOKEN_FILE',
  DataDirLocked: 'ZMQMQ_ERR_DATA_DIR_LOCKED',
  ThreadPool: 'ZMQMQ_ERR_THREAD_POOL',
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

/** Another broker (a live process, or another broker in this one) uses the data directory. */
export class DataDirLockedError extends ZmqMqError {
  readonly dataDir: string;
  /** The process that holds it. */
  readonly pid: number;

  constructor(dataDir: string, pid: number) {
    super(
      BrokerErrorCode.DataDirLocked,
      `data directory ${dataDir} is in use by ${pid === process.pid ? 'another broker in this process' : `process ${pid}`}: give each broker its own --data-dir`,
    );
    this.name = 'DataDirLockedError';
    this.dataDir = dataDir;
    this.pid = pid;
  }
}

/**
 * Starting one more broker in this process would leave libuv's thread pool without a free
 * thread: each running broker holds two of its threads for its proxies (see proxy-threads.ts).
 */
export class ThreadPoolError extends ZmqMqError {
  /** The pool's size, as UV_THREADPOOL_SIZE sets it (libuv's default 4). */
  readonly poolSize: number;
  /** The smallest UV_THREADPOOL_SIZE with which this broker would have started. */
  readonly needed: number;

  constructor(poolSize: number, leased: number, count: number, needed: number) {
    super(
      BrokerErrorCode.ThreadPool,
      `libuv's thread pool has ${poolSize} threads and this process's brokers hold ${leased} for their proxies; ` +
        `this broker needs ${count} more and ${needed - leased - count} must stay free for binds, the store and file reads: ` +
        `start node with UV_THREADPOOL_SIZE=${needed} or more in its environment`,
    );
    this.name = 'ThreadPoolError';
    this.poolSize = poolSize;
    this.needed = needed;
  }
}
