/**
 * The reliable port's protocol, version 1 (libs/protocol/README.md, "Reliable port"): encoders
 * and decoders of every command in both directions, as pure functions on frames. A command is
 * one ZeroMQ multipart message: frame 0 its name in ASCII capitals, frame 1 a msgpack body,
 * then, for PUBLISH and DELIVER, the messages' frames.
 *
 * This file is the definition (names, codes, bodies); reliable-encode.ts and
 * reliable-decode.ts turn commands into frames and back, with the rules of reliable-checks.ts.
 */
/** The protocol version this code speaks (HELLO `v`, WELCOME `v`). */
export const RELIABLE_VERSION = 1;
/** Heartbeat interval (ms) when neither side says otherwise. */
export const DEFAULT_HEARTBEAT_MS = 1000;
/** A peer silent for this many heartbeat intervals is dead. */
export const HEARTBEAT_LIVENESS = 3;

/** Commands a client sends to the broker. */
export const CLIENT_COMMANDS = [
  'HELLO',
  'PUBLISH',
  'DECLARE',
  'CONSUME',
  'CANCEL',
  'ACK',
  'NAK',
  'TERM',
  'PROGRESS',
  'HEARTBEAT',
  'BYE',
] as const;
/** Commands the broker sends to a client. */
export const BROKER_COMMANDS = [
  'WELCOME',
  'CONFIRM',
  'NACK',
  'DELIVER',
  'DECLARED',
  'CONSUMING',
  'CANCELLED',
  'HEARTBEAT',
  'ERROR',
] as const;
export type ClientCommandName = (typeof CLIENT_COMMANDS)[number];
export type BrokerCommandName = (typeof BROKER_COMMANDS)[number];

/** Why the broker refused a published message (NACK); readers accept codes they do not know. */
export const NACK_CODES = [
  'too-large',
  'queue-full',
  'no-queue',
  'invalid-topic',
  'bad-request',
  'store-error',
  'shutting-down',
] as const;
export type NackCode = (typeof NACK_CODES)[number];

/** Codes of an ERROR reply; readers accept codes they do not know. */
export const ERROR_CODES = [
  'unknown-command',
  'bad-request',
  'bad-credit',
  'unknown-queue',
  'unknown-tag',
  'unsupported-version',
  'too-large',
  'store-error',
] as const;
export type ErrorReplyCode = (typeof ERROR_CODES)[number];

export const OVERFLOW_POLICIES = ['reject', 'drop-oldest'] as const;
export type OverflowPolicy = (typeof OVERFLOW_POLICIES)[number];

export interface HelloBody {
  /** Highest protocol version the client speaks. */
  v: number;
  /** A session to resume (WELCOME's `session` of an earlier connection). */
  session?: string;
  /** Heartbeat interval the client proposes, ms. */
  heartbeat?: number;
  /** For the broker's monitor and logs. */
  name?: string;
}

export interface WelcomeBody {
  /** Version both speak: 1. */
  v: number;
  /** The session of this connection: the one asked for when resumed, else a new one. */
  session: string;
  /** Heartbeat interval both sides use, ms. */
  heartbeat: number;
  /** Changes at every broker start; a new epoch voids every tag the client holds. */
  epoch: string;
  /** Largest message (the sum of its frames' bytes) the broker stores. */
  maxMessageBytes: number;
  /** True when HELLO's session was known and kept its leases: held tags stay valid. */
  resumed: boolean;
}

/** DECLARE's body: a queue and its limits; absent limits take the broker's defaults. */
export interface QueueDeclaration {
  queue: string;
  prefixes: string[];
  maxMessages?: number;
  maxBytes?: number;
  maxAgeMs?: number;
  overflow?: OverflowPolicy;
  maxDeadMessages?: number;
}

/** DECLARED's body: the queue's definition as stored, every field present. */
export type DeclaredQueue = Required<QueueDeclaration>;

export interface ConsumeBody {
  queue: string;
  /** Deliveries of this queue the session may hold unacknowledged: 1..65535. */
  credit: number;
  /** How long a delivery stays leased without ACK, NAK, TERM or PROGRESS, ms. */
  ackWaitMs?: number;
}

export interface ConsumingBody {
  queue: string;
  credit: number;
  ackWaitMs: number;
}

export interface NakEntry {
  tag: number;
  /** Redeliver after this long (ms); none: at once. */
  delayMs?: number;
}

export interface TermEntry {
  tag: number;
  reason?: string;
}

export interface NackEntry {
  id: string;
  code: NackCode | (string & {});
  message: string;
  /** The queue that refused it (`queue-full`). */
  queue?: string;
  /** The limit that was hit: the queue's maxMessages or maxBytes, or maxMessageBytes. */
  limit?: number;
}

/** One message of a DELIVER being encoded. */
export interface DeliverItem {
  tag: number;
  attempt: number;
  frames: readonly Buffer[];
}

export interface ErrorBody {
  code: ErrorReplyCode | (string & {});
  message: string;
  /** The command that caused it. */
  command?: string;
  /** The queue it concerns (DECLARE, CONSUME, CANCEL). */
  queue?: string;
  /** The tags it concerns (unknown-tag). */
  tags?: number[];
}

/** A decoded client command (what the broker reads). */
export type ClientCommand =
  | ({ readonly type: 'HELLO' } & HelloBody)
  | {
      readonly type: 'PUBLISH';
      /** Message ids, in order. */
      readonly ids: string[];
      /** Each message's frames (received Buffers, not copies), parallel to `ids`. */
      readonly messages: Buffer[][];
      readonly mandatory: boolean;
    }
  | ({ readonly type: 'DECLARE' } & QueueDeclaration)
  | ({ readonly type: 'CONSUME' } & ConsumeBody)
  | { readonly type: 'CANCEL'; readonly queue: string }
  | { readonly type: 'ACK'; readonly tags: number[] }
  | { readonly type: 'NAK'; readonly entries: NakEntry[] }
  | { readonly type: 'TERM'; readonly entries: TermEntry[] }
  | { readonly type: 'PROGRESS'; readonly tags: number[] }
  | { readonly type: 'HEARTBEAT' }
  | { readonly type: 'BYE' };

/** A decoded broker command (what a client reads). */
export type BrokerCommand =
  | ({ readonly type: 'WELCOME' } & WelcomeBody)
  | { readonly type: 'CONFIRM'; readonly ids: string[] }
  | { readonly type: 'NACK'; readonly entries: NackEntry[] }
  | {
      readonly type: 'DELIVER';
      readonly queue: string;
      /** Parallel arrays, one entry per message. */
      readonly tags: number[];
      readonly attempts: number[];
      /** Each message's frames (received Buffers, not copies). */
      readonly messages: Buffer[][];
    }
  | ({ readonly type: 'DECLARED' } & DeclaredQueue)
  | ({ readonly type: 'CONSUMING' } & ConsumingBody)
  | { readonly type: 'CANCELLED'; readonly queue: string }
  | { readonly type: 'HEARTBEAT' }
  | ({ readonly type: 'ERROR' } & ErrorBody);
