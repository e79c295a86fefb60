import {
  CLIENT_COMMANDS,
  ERROR_CODES,
  NACK_CODES,
  type ClientCommandName,
  type ErrorReplyCode,
  type NackCode,
  type ProtocolErrorKind,
} from '@zmq-mq/protocol';

/** Why a send on the reliable port did not go out. */
export type SendFailure =
  /** The client's pipe is at the ROUTER's high-water mark: it does not read. */
  | 'peer-full'
  /** The client is gone (ROUTER mandatory: EHOSTUNREACH). */
  | 'unroutable'
  /** Any other error of the socket (closed while stopping, ...). */
  | 'other';

export const SEND_FAILURES: readonly SendFailure[] = ['peer-full', 'unroutable', 'other'];

export const PROTOCOL_ERROR_KINDS: readonly ProtocolErrorKind[] = [
  'unknown-command',
  'bad-frame-count',
  'bad-body',
  'bad-field',
  'too-large',
];

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

/**
 * Counters of the reliable port and of the plain-ingress tap into the durable queues: plain
 * numbers on the hot path, read by `/metrics` and `/stats`.
 */
export class ReliableStats {
  /** Commands decoded, by name. */
  readonly commands = zeroes<ClientCommandName>(CLIENT_COMMANDS);
  /** Commands that broke the protocol, by kind (each answered by ERROR or counted suppressed). */
  readonly badCommands = zeroes<ProtocolErrorKind>(PROTOCOL_ERROR_KINDS);
  /** ERROR replies sent, by code. */
  readonly errorsSent = zeroes<ErrorReplyCode>(ERROR_CODES);
  /** ERROR replies not sent: the client passed its rate of errors (a counted drop). */
  errorsSuppressed = 0;
  /** Messages in PUBLISH commands. */
  published = 0;
  /** Ids answered CONFIRM (stored, a duplicate, or matching no queue). */
  confirmed = 0;
  /** Of those, duplicates of an id stored within the dedup window (stored once). */
  duplicates = 0;
  /** Ids answered NACK, by code. */
  readonly nacked = zeroes<NackCode>(NACK_CODES);
  /** Messages handed out in DELIVER commands. */
  delivered = 0;
  acked = 0;
  naked = 0;
  termed = 0;
  progressed = 0;
  /** Tags in ACK, NAK, TERM or PROGRESS that the session did not hold (answered unknown-tag). */
  unknownTags = 0;
  /** Leases whose ack wait ran out while a session held them (the store delivers them again). */
  leasesExpired = 0;
  /** Leases given back to their queue because the session ended (BYE, silence, replaced). */
  leasesReturned = 0;
  /** Deliveries that could not be sent (the DELIVER failed): given back to their queue. */
  deliveriesReturned = 0;
  /** Sessions opened (HELLO, or a first command without one) and ended, by how. */
  sessionsOpened = 0;
  sessionsResumed = 0;
  sessionsSilent = 0;
  sessionsClosed = 0;
  /** Sends on the ROUTER that failed, by reason (their content is counted where it matters). */
  readonly sendFailures = zeroes<SendFailure>(SEND_FAILURES);
  /** Store operations that failed (logged). */
  storeErrors = 0;
  /** Confirmed messages handed to the fan-out, and those it refused (its hop full). */
  fanOutPublished = 0;
  fanOutDropped = 0;
  /** Plain-ingress messages appended to durable queues, refused by a full queue, lost to a store error. */
  ingressAppended = 0;
  ingressRejected = 0;
  ingressStoreErrors = 0;
  /** Times the work path waited for the store (backpressure to producers). */
  ingressWaits = 0;
}
