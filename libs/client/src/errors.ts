/**
 * Coded errors of the SDK. They extend `ZmqMqError` from @zmq-mq/protocol, so callers match on
 * `err.code` across the whole product. Each code is documented in libs/client/README.md.
 */
import { ZmqMqError } from '@zmq-mq/protocol';
import { DEFAULT_INGRESS, DEFAULT_PUBLISH, DEFAULT_PUSH, DEFAULT_RELIABLE } from './options';

/** Which SDK class a socket belongs to. */
export type ClientRole = 'producer' | 'subscriber' | 'worker' | 'reliable client';

export const ClientErrorCode = {
  QueueFull: 'ZMQMQ_ERR_QUEUE_FULL',
  Closed: 'ZMQMQ_ERR_CLOSED',
  NotReady: 'ZMQMQ_ERR_NOT_READY',
  Timeout: 'ZMQMQ_ERR_TIMEOUT',
  Busy: 'ZMQMQ_ERR_BUSY',
  Handler: 'ZMQMQ_ERR_HANDLER',
  WrongSocketType: 'ZMQMQ_ERR_WRONG_SOCKET_TYPE',
  Nacked: 'ZMQMQ_ERR_NACKED',
  Broker: 'ZMQMQ_ERR_BROKER',
  Handshake: 'ZMQMQ_ERR_HANDSHAKE',
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

/**
 * `ready()` gave up: some endpoints had no working link within the timeout. `refused` lists
 * those of them whose peer refused our socket type (`WrongSocketTypeError`): there the broker
 * runs, but on another port. `handshakes` holds the last handshake failure of each of them that
 * had one (a `HandshakeError` naming the likely cause, such as a key not on the broker's
 * list); the first is also the `cause`.
 */
export class NotReadyError extends ZmqMqError {
  readonly endpoints: readonly string[];
  readonly timeoutMs: number;
  readonly refused: readonly string[];
  readonly handshakes: readonly HandshakeError[];

  constructor(
    endpoints: readonly string[],
    timeoutMs: number,
    refused: readonly string[] = [],
    handshakes: readonly HandshakeError[] = [],
  ) {
    const failed = handshakes.filter((h) => !refused.includes(h.endpoint));
    const why =
      failed.length > 0
        ? failed.map((h) => h.message).join('; ')
        : refused.length === 0
          ? 'is the broker running?'
          : `${refused.join(', ')} refused this socket type: likely the wrong port`;
    super(
      ClientErrorCode.NotReady,
      `no link within ${timeoutMs} ms to ${endpoints.join(', ')}; ${why}`,
      failed[0] === undefined ? undefined : { cause: failed[0] },
    );
    this.name = 'NotReadyError';
    this.endpoints = endpoints;
    this.timeoutMs = timeoutMs;
    this.refused = refused;
    this.handshakes = handshakes;
  }
}

/**
 * What a failed handshake most likely means:
 * - `key-refused`: the broker refused this client's public key (not on its role's allowlist,
 *   or removed from it); ZeroMQ does not retry;
 * - `needs-curve`: the broker runs CURVE and this client does not (no `serverKey`);
 * - `no-curve`: this client runs CURVE and the broker does not;
 * - `server-key`: the broker hung up during the CURVE handshake: most likely `serverKey` is not
 *   this broker's public key; ZeroMQ retries;
 * - `hung-up`: the peer hung up on this plain-text client during the handshake: a CURVE broker
 *   that saw the mismatch first does, and so does a socket of the wrong type (the wrong port);
 *   ZeroMQ retries, and the next attempt usually says which;
 * - `protocol`: another ZMTP protocol error.
 */
export type HandshakeFailure =
  'key-refused' | 'needs-curve' | 'no-curve' | 'server-key' | 'hung-up' | 'protocol';

/** The allowlist flag a broker checks each role's key against. */
const ALLOWLIST_OF: Readonly<Record<ClientRole, string>> = {
  producer: '--allow-producers',
  subscriber: '--allow-subscribers',
  worker: '--allow-workers',
  'reliable client': '--allow-producers or --allow-workers',
};

/**
 * A ZMTP handshake with the broker failed; `failure` says the likely cause and the message how
 * to fix it. `cause` is libzmq's event error (its `code`, such as `ERR_ZMTP_MECHANISM_MISMATCH`,
 * or an auth `status`). `retried`: whether ZeroMQ tries this endpoint again by itself (it does
 * not after a refusal or a mechanism mismatch).
 */
export class HandshakeError extends ZmqMqError {
  readonly endpoint: string;
  readonly role: ClientRole;
  readonly failure: HandshakeFailure;
  readonly retried: boolean;

  constructor(
    endpoint: string,
    role: ClientRole,
    failure: HandshakeFailure,
    options: { cause?: unknown; detail?: string; retried?: boolean } = {},
  ) {
    const texts: Record<HandshakeFailure, string> = {
      'key-refused': `${endpoint} refused this ${role}'s key: its public key is not on the broker's allowlist for this port (${ALLOWLIST_OF[role]}), or was removed from it`,
      'needs-curve': `${endpoint} runs CURVE and this ${role} does not: give it serverKey (the broker's public key) and its own key pair (keyFile), its public key on the broker's ${ALLOWLIST_OF[role]} list`,
      'no-curve': `${endpoint} does not run CURVE but this ${role} does (serverKey): start the broker with --curve-secret-key-file, or drop this client's CURVE options`,
      'server-key': `${endpoint} hung up during the CURVE handshake: most likely serverKey is not this broker's public key (else the broker runs without CURVE, or this is not the ${role}'s port)`,
      'hung-up': `${endpoint} hung up during the handshake: the broker may run CURVE (then this ${role} needs serverKey and a key pair), or this may not be the ${role}'s port`,
      protocol: `the handshake with ${endpoint} failed: ${options.detail ?? 'a ZMTP protocol error'}`,
    };
    const retried = options.retried ?? (failure === 'server-key' || failure === 'hung-up');
    super(
      ClientErrorCode.Handshake,
      `${texts[failure]}. ZeroMQ ${retried ? 'keeps retrying' : 'does not retry this endpoint'}.`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'HandshakeError';
    this.endpoint = endpoint;
    this.role = role;
    this.failure = failure;
    this.retried = retried;
  }
}

/** The broker's endpoints: what each is called, its default, and who connects to it. */
const BROKER_ENDPOINTS = [
  { name: 'ingress', endpoint: DEFAULT_INGRESS, role: 'producer', socketType: 'XPUB' },
  { name: 'publish', endpoint: DEFAULT_PUBLISH, role: 'subscriber', socketType: 'SUB' },
  { name: 'push', endpoint: DEFAULT_PUSH, role: 'worker', socketType: 'PULL' },
  { name: 'reliable', endpoint: DEFAULT_RELIABLE, role: 'reliable client', socketType: 'DEALER' },
] as const;

const portOf = (endpoint: string): string | undefined => /:(\d+)$/.exec(endpoint)?.[1];

/**
 * The peer at `endpoint` took the connection, then refused the ZMTP handshake because our socket
 * type cannot talk to its own (a subscriber aimed at the broker's ingress, a producer at its
 * publish port, …). libzmq reports this only as a disconnect before any handshake, and never
 * retries such an endpoint. The message names the broker endpoint this role should use.
 */
export class WrongSocketTypeError extends ZmqMqError {
  readonly endpoint: string;
  readonly role: ClientRole;
  /** The broker endpoint this role connects to: `ingress`, `publish`, `push` or `reliable`. */
  readonly expected: 'ingress' | 'publish' | 'push' | 'reliable';

  constructor(endpoint: string, role: ClientRole) {
    const right = BROKER_ENDPOINTS.find(
      (e) => e.role === role,
    ) as (typeof BROKER_ENDPOINTS)[number];
    const port = portOf(endpoint);
    // A broker default port tells which endpoint this is, and the user's host with the right
    // default port is then the likely fix.
    const found = BROKER_ENDPOINTS.find((e) => e !== right && portOf(e.endpoint) === port);
    const where =
      found === undefined
        ? ''
        : ` (${port} is the broker's default ${found.name} port, for ${found.role}s)`;
    const fix =
      found === undefined || port === undefined
        ? `default ${right.endpoint}`
        : `${endpoint.slice(0, -port.length)}${portOf(right.endpoint)}`;
    super(
      ClientErrorCode.WrongSocketType,
      `${endpoint} refused the handshake: a ${role}'s ${right.socketType} socket cannot talk to ` +
        `the socket there, so this is likely the wrong port${where}; a ${role} connects to the ` +
        `broker's ${right.name} endpoint (${fix}). ZeroMQ does not retry this endpoint.`,
    );
    this.name = 'WrongSocketTypeError';
    this.endpoint = endpoint;
    this.role = role;
    this.expected = right.name;
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

/**
 * The broker refused a confirmed send (a NACK on the reliable port). `reason` is the broker's
 * code (`queue-full`, `too-large`, `no-queue`, `invalid-topic`, `store-error`,
 * `shutting-down`, or one added later); `queue` and `limit` say which queue and limit refused it.
 */
export class NackError extends ZmqMqError {
  readonly reason: string;
  readonly messageId: string;
  readonly queue: string | undefined;
  readonly limit: number | undefined;

  constructor(entry: {
    id: string;
    code: string;
    message: string;
    queue?: string | undefined;
    limit?: number | undefined;
  }) {
    super(ClientErrorCode.Nacked, `message ${entry.id} refused (${entry.code}): ${entry.message}`);
    this.name = 'NackError';
    this.reason = entry.code;
    this.messageId = entry.id;
    this.queue = entry.queue;
    this.limit = entry.limit;
  }
}

/**
 * The broker answered a reliable-port command with ERROR: `reason` is its code
 * (`unknown-queue`, `bad-request`, …), `command` the command it refused, `queue` the queue.
 */
export class BrokerError extends ZmqMqError {
  readonly reason: string;
  readonly command: string | undefined;
  readonly queue: string | undefined;

  constructor(body: { code: string; message: string; command?: string; queue?: string }) {
    super(ClientErrorCode.Broker, `broker refused ${body.command ?? 'a command'}: ${body.message}`);
    this.name = 'BrokerError';
    this.reason = body.code;
    this.command = body.command;
    this.queue = body.queue;
  }
}

/** True when `err` is an error from zeromq with this errno `code` (`EAGAIN`, `EBUSY`, `ETERM`…). */
export { isZmqError as isZmqErrorCode } from '@zmq-mq/protocol';
