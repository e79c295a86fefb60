/**
 * The JSON of the broker monitor's durable-queue API, one set of types for the broker that
 * serves it, the dashboard page and `npm run queues` that read it, and any other program:
 *
 *   GET  /queues                             QueuesResponse
 *   GET  /queues/NAME                        QueueSummary
 *   GET  /queues/NAME/dead?after=SEQ&limit=N DeadLettersResponse (limit 1..1000, default 100)
 *   POST /queues/NAME/replay                 ReplayResponse (body `{"seqs": [7]}`, or none or `{}`: all)
 *   POST /queues/NAME/purge                  PurgeResponse
 *
 * Any other status answers QueueApiError. Counts follow the store's: a queue holds `messages`
 * = `depth` (ready) + `unacked` + `delayed`, what `maxMessages` bounds; dead letters apart.
 * Types only: nothing here runs, so a browser bundle can take it.
 */
import type { OverflowPolicy } from './reliable';

/** Dead letters a page holds unless `limit` says otherwise. */
export const DEFAULT_DEAD_LETTER_PAGE = 100;
/** The most dead letters one page holds. */
export const MAX_DEAD_LETTER_PAGE = 1000;

/** `GET /queues`: every declared queue, in declaration order. */
export interface QueuesResponse {
  queues: QueueSummary[];
}

/** One durable queue: its definition, what it holds now, its counters and its consumers. */
export interface QueueSummary {
  name: string;
  /** Topic prefixes bound to the queue (`''` takes every topic). */
  prefixes: string[];
  /** Bound on `messages`. */
  maxMessages: number;
  /** Bound on `bytes`. */
  maxBytes: number;
  /** Older messages are dead-lettered (reason `expired`); 0: no limit. */
  maxAgeMs: number;
  /** At a bound: refuse the new message (NACK queue-full) or drop the oldest ready one. */
  overflow: OverflowPolicy;
  /** Dead letters kept; past it the oldest one is dropped (counted `deadDropped`). */
  maxDeadMessages: number;
  /** Ready to deliver now. */
  depth: number;
  /** Delivered, not yet acked. */
  unacked: number;
  /** NAKed with a delay that has not run out. */
  delayed: number;
  /** depth + unacked + delayed. */
  messages: number;
  /** Bytes of those messages' frames. */
  bytes: number;
  /** Age of the oldest message held (ms), 0 when empty. */
  oldestAgeMs: number;
  /** Dead letters kept. */
  dead: number;
  /** Since the broker started; a reader turns differences into rates. */
  counters: QueueCountersView;
  /** Sessions consuming the queue now. */
  consumers: QueueConsumerView[];
}

/** One queue's events since the broker started. */
export interface QueueCountersView {
  /** Messages stored (confirmed publishes and plain-ingress messages; replays not counted). */
  published: number;
  /** Confirmed publishes stored in this queue, or found to be duplicates of stored ids. */
  confirmed: number;
  /** Publishes whose id was stored within the dedup window: stored once. */
  duplicates: number;
  /** Messages the queue refused at a bound (overflow `reject`). */
  rejected: number;
  /** Ready messages dropped to make room (overflow `drop-oldest`). */
  droppedOldest: number;
  /** Deliveries, first ones and redeliveries. */
  delivered: number;
  acked: number;
  /** Deliveries NAKed (requeued or dead). */
  nacked: number;
  /** Deliveries of attempt 2 or more. */
  redelivered: number;
  /** Deliveries whose ack wait ran out. */
  expired: number;
  /** Messages moved to the dead letters (every reason). */
  deadLettered: number;
  /** Dead letters dropped past `maxDeadMessages`. */
  deadDropped: number;
  /** Dead letters put back in the queue. */
  replayed: number;
  /** Dead letters deleted. */
  purged: number;
}

/** A session consuming a queue. */
export interface QueueConsumerView {
  /** The session id (WELCOME's `session`). */
  session: string;
  /** The name the client gave in HELLO, when it gave one. */
  name?: string;
  /** Deliveries it may hold unacknowledged. */
  credit: number;
  /** Deliveries it holds now. */
  unacked: number;
  /** Its leases' ack wait (ms). */
  ackWaitMs: number;
}

/** `GET /queues/NAME/dead`: dead letters in seq order. */
export interface DeadLettersResponse {
  queue: string;
  deadLetters: DeadLetterView[];
  /** Pass as `after` to read the next page; null when this page was the last. */
  next: number | null;
}

/** One dead letter. */
export interface DeadLetterView {
  /** Its seq in the queue: what `replay` takes. */
  seq: number;
  /** The message id ('' for a plain-ingress message without one). */
  id: string;
  topic: string;
  /** `max-deliveries`, `term: REASON` or `expired`. */
  reason: string;
  /** Deliveries before it died. */
  attempts: number;
  /** ms since the epoch. */
  deadAt: number;
  publishedAt: number;
  /** The payload (frame 0 after the topic): the text when it is UTF-8, else base64. */
  payload: string;
  encoding: 'utf8' | 'base64';
  /** The payload's length in bytes. */
  payloadBytes: number;
  /** The metadata frame, decoded, when the message had one. */
  meta?: DeadLetterMeta;
}

/** A dead letter's metadata frame (see the metadata frame in this package's README). */
export interface DeadLetterMeta {
  id: string;
  /** ms since the epoch, as the sender wrote it. */
  timestamp: number;
  contentType: string;
  topic?: string;
  headers?: Record<string, string>;
  schemaVersion?: number;
}

/** `POST /queues/NAME/replay`: dead letters put back at the queue's tail, attempts reset. */
export interface ReplayResponse {
  queue: string;
  replayed: number;
}

/** `POST /queues/NAME/purge`: dead letters deleted. */
export interface PurgeResponse {
  queue: string;
  purged: number;
}

/** The body of every answer that is not 200 (400, 404, 405, 413, 500). */
export interface QueueApiError {
  error: string;
}
