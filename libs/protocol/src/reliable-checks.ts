/**
 * The reliable port's field and body rules, shared by its encoders (a sender hears of a bad
 * value) and its decoders (a receiver refuses it). Each check returns the value typed or throws
 * a `ProtocolError` naming the command and the field; field names are built only on failure.
 */
import { formatValue, ProtocolError } from './errors';
import type { ProtocolErrorKind } from './errors';
import { OVERFLOW_POLICIES } from './reliable';
import type {
  ConsumeBody,
  ErrorBody,
  HelloBody,
  NackEntry,
  OverflowPolicy,
  QueueDeclaration,
  WelcomeBody,
} from './reliable';
import { MAX_TOPIC_BYTES } from './topics';

/** Entries in one list body or batch: messages of a PUBLISH or DELIVER, tags of an ACK… */
export const MAX_ENTRIES = 65_535;
/** Frames of one message in a PUBLISH or DELIVER: frame 0, the metadata frame, reserved frames. */
export const MAX_MESSAGE_FRAMES = 16;
/** UTF-8 bytes of a message id or session id. */
export const MAX_ID_BYTES = 255;
/** Credit of one consumer (deliveries it may hold unacknowledged). */
export const MAX_CREDIT = 65_535;
/** Topic prefixes of one queue. */
export const MAX_PREFIXES = 64;
/** UTF-8 bytes of a free text: a reason, an error message, a client name, an epoch. */
export const MAX_TEXT_BYTES = 4096;

const QUEUE_NAME = /^[A-Za-z0-9._-]{1,64}$/;

/** A field's name inside a list: `msgs[2].nframes`, `tags[0]`. */
export type FieldName = string | readonly [list: string, index: number, member?: string];

function fieldName(field: FieldName): string {
  if (typeof field === 'string') return field;
  const [list, index, member] = field;
  return member === undefined ? `${list}[${index}]` : `${list}[${index}].${member}`;
}

function shown(value: unknown): string {
  if (Buffer.isBuffer(value)) return `${value.byteLength} bytes of binary`;
  const text = formatValue(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Throws a ProtocolError of kind `bad-field` (or `too-large`) for `field` of `command`. */
export function badField(
  command: string,
  field: FieldName,
  problem: string,
  value: unknown,
  kind: ProtocolErrorKind = 'bad-field',
): never {
  const name = fieldName(field);
  throw new ProtocolError(kind, command, `field ${name} ${problem} (got ${shown(value)})`, {
    field: name,
  });
}

export function checkString(
  command: string,
  field: FieldName,
  value: unknown,
  maxBytes = MAX_TEXT_BYTES,
): string {
  if (typeof value !== 'string') return badField(command, field, 'must be a string', value);
  // A UTF-16 unit is at most 3 UTF-8 bytes: short strings need no count.
  if (value.length * 3 > maxBytes && Buffer.byteLength(value, 'utf8') > maxBytes) {
    return badField(command, field, `must be at most ${maxBytes} UTF-8 bytes`, value, 'too-large');
  }
  return value;
}

/**
 * True for a message or session id: 1..255 UTF-8 bytes, no lone surrogate (which has no UTF-8
 * form: written as U+FFFD, it would come back as another id).
 */
export function isId(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    value.length > 0 &&
    (value.length * 3 <= MAX_ID_BYTES || Buffer.byteLength(value, 'utf8') <= MAX_ID_BYTES) &&
    value.isWellFormed()
  );
}

/** True for a delivery tag: an integer 0..2^53-1. */
export function isTag(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** True for an integer in [min, max]. */
export function isIntIn(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

// The checks below return the value when it is good and throw otherwise. Hot loops test with
// the predicates above first and call a check only to throw: a field name such as
// ['msgs', 2, 'id'] is then built only for a bad value.

/** A message id or session id: 1..255 UTF-8 bytes. */
export function checkId(command: string, field: FieldName, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    return badField(command, field, 'must be a non-empty string', value);
  }
  if (!value.isWellFormed()) return badField(command, field, 'has a lone surrogate', value);
  return checkString(command, field, value, MAX_ID_BYTES);
}

/** An integer in [min, max] (a safe integer). */
export function checkInt(
  command: string,
  field: FieldName,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `${min}..${max}`;
    return badField(command, field, `must be an integer ${range}`, value);
  }
  return value;
}

/** Frames of message `index` of a PUBLISH or DELIVER: 1..16 (more is `too-large`). */
export function checkFrameCount(command: string, index: number, value: unknown): number {
  if (isIntIn(value, 1, MAX_MESSAGE_FRAMES)) return value;
  const field = ['msgs', index, 'nframes'] as const;
  if (isIntIn(value, MAX_MESSAGE_FRAMES + 1, Number.MAX_SAFE_INTEGER)) {
    return badField(command, field, `must be at most ${MAX_MESSAGE_FRAMES}`, value, 'too-large');
  }
  return badField(command, field, `must be an integer 1..${MAX_MESSAGE_FRAMES}`, value);
}

/** A delivery tag: an integer 0..2^53-1. */
export function checkTag(command: string, field: FieldName, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return badField(command, field, 'must be an integer 0..2^53-1', value);
  }
  return value;
}

/** True for a queue name: 1..64 characters of [A-Za-z0-9._-]. */
export function isQueueName(value: unknown): value is string {
  return typeof value === 'string' && QUEUE_NAME.test(value);
}

/** A queue name: 1..64 characters of [A-Za-z0-9._-]. */
export function checkQueue(command: string, field: FieldName, value: unknown): string {
  if (!isQueueName(value)) {
    return badField(command, field, 'must be a queue name of 1..64 [A-Za-z0-9._-]', value);
  }
  return value;
}

/** A list of 1..`max` entries. */
export function checkList(
  command: string,
  field: string,
  value: unknown,
  max = MAX_ENTRIES,
): unknown[] {
  if (!Array.isArray(value)) return badField(command, field, 'must be an array', value);
  if (value.length === 0) return badField(command, field, 'must not be empty', value);
  if (value.length > max) {
    const problem = `must hold at most ${max} entries, has ${value.length}`;
    return badField(command, field, problem, '[...]', 'too-large');
  }
  return value;
}

/** One entry of a list of tuples: an array of at least `min` elements (more are ignored). */
export function checkTuple(
  command: string,
  list: string,
  index: number,
  value: unknown,
  min: number,
): unknown[] {
  if (!Array.isArray(value) || value.length < min) {
    return badField(command, [list, index], `must be an array of at least ${min} elements`, value);
  }
  return value;
}

/** A msgpack map (decoded as a plain object). */
export function checkMap(command: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || isBytes(value)) {
    throw new ProtocolError(
      'bad-body',
      command,
      `body must be a msgpack map (got ${shown(value)})`,
    );
  }
  return value as Record<string, unknown>;
}

function isBytes(value: object): boolean {
  return ArrayBuffer.isView(value) || value instanceof Date;
}

/** `undefined` for nil or an absent key, else `check(value)`. */
export function optional<T>(value: unknown, check: (value: unknown) => T): T | undefined {
  return value === undefined || value === null ? undefined : check(value);
}

// Bodies

export function checkHello(body: Partial<Record<keyof HelloBody, unknown>>): HelloBody {
  const C = 'HELLO';
  const hello: HelloBody = { v: checkInt(C, 'v', body.v, 1) };
  const session = optional(body.session, (v) => checkId(C, 'session', v));
  if (session !== undefined) hello.session = session;
  const heartbeat = optional(body.heartbeat, (v) => checkInt(C, 'heartbeat', v, 1));
  if (heartbeat !== undefined) hello.heartbeat = heartbeat;
  const name = optional(body.name, (v) => checkString(C, 'name', v, 255));
  if (name !== undefined) hello.name = name;
  return hello;
}

export function checkWelcome(body: Partial<Record<keyof WelcomeBody, unknown>>): WelcomeBody {
  const C = 'WELCOME';
  const resumed = body.resumed;
  return {
    v: checkInt(C, 'v', body.v, 1),
    session: checkId(C, 'session', body.session),
    heartbeat: checkInt(C, 'heartbeat', body.heartbeat, 1),
    epoch: checkId(C, 'epoch', body.epoch),
    maxMessageBytes: checkInt(C, 'maxMessageBytes', body.maxMessageBytes, 1),
    resumed:
      typeof resumed === 'boolean' ? resumed : badField(C, 'resumed', 'must be a boolean', resumed),
  };
}

export function checkDeclaration(
  C: string,
  body: Partial<Record<keyof QueueDeclaration, unknown>>,
  complete = false,
): QueueDeclaration {
  const prefixes = checkList(C, 'prefixes', body.prefixes, MAX_PREFIXES);
  for (let i = 0; i < prefixes.length; i++) {
    checkString(C, ['prefixes', i], prefixes[i], MAX_TOPIC_BYTES);
  }
  const d: QueueDeclaration = {
    queue: checkQueue(C, 'queue', body.queue),
    prefixes: prefixes as string[],
  };
  const limit = (key: 'maxMessages' | 'maxBytes' | 'maxAgeMs' | 'maxDeadMessages', min: number) => {
    const value = body[key];
    if (value === undefined || value === null) {
      if (complete) badField(C, key, 'is required', value);
      return;
    }
    d[key] = checkInt(C, key, value, min);
  };
  limit('maxMessages', 1);
  limit('maxBytes', 1);
  limit('maxAgeMs', 0);
  limit('maxDeadMessages', 0);
  const overflow = body.overflow;
  if (overflow !== undefined && overflow !== null) {
    if (!(OVERFLOW_POLICIES as readonly unknown[]).includes(overflow)) {
      badField(C, 'overflow', `must be one of ${OVERFLOW_POLICIES.join(', ')}`, overflow);
    }
    d.overflow = overflow as OverflowPolicy;
  } else if (complete) badField(C, 'overflow', 'is required', overflow);
  return d;
}

export function checkConsume(
  C: string,
  body: Partial<Record<keyof ConsumeBody, unknown>>,
  complete = false,
): ConsumeBody {
  const c: ConsumeBody = {
    queue: checkQueue(C, 'queue', body.queue),
    credit: checkInt(C, 'credit', body.credit, 1, MAX_CREDIT),
  };
  const ackWaitMs = complete
    ? checkInt(C, 'ackWaitMs', body.ackWaitMs, 1)
    : optional(body.ackWaitMs, (v) => checkInt(C, 'ackWaitMs', v, 1));
  if (ackWaitMs !== undefined) c.ackWaitMs = ackWaitMs;
  return c;
}

export function checkNackEntry(e: Partial<Record<keyof NackEntry, unknown>>, i: number): NackEntry {
  const C = 'NACK';
  const entry: NackEntry = {
    id: checkId(C, ['entries', i, 'id'], e.id),
    code: checkId(C, ['entries', i, 'code'], e.code),
    message: checkString(C, ['entries', i, 'message'], e.message),
  };
  const queue = optional(e.queue, (v) => checkQueue(C, ['entries', i, 'queue'], v));
  if (queue !== undefined) entry.queue = queue;
  const limit = optional(e.limit, (v) => checkInt(C, ['entries', i, 'limit'], v, 0));
  if (limit !== undefined) entry.limit = limit;
  return entry;
}

export function checkErrorBody(body: Partial<Record<keyof ErrorBody, unknown>>): ErrorBody {
  const C = 'ERROR';
  const e: ErrorBody = {
    code: checkId(C, 'code', body.code),
    message: checkString(C, 'message', body.message),
  };
  const command = optional(body.command, (v) => checkString(C, 'command', v, 16));
  if (command !== undefined) e.command = command;
  const queue = optional(body.queue, (v) => checkQueue(C, 'queue', v));
  if (queue !== undefined) e.queue = queue;
  const tags = optional(body.tags, (v) => checkList(C, 'tags', v));
  if (tags !== undefined) {
    for (let i = 0; i < tags.length; i++) checkTag(C, ['tags', i], tags[i]);
    e.tags = tags as number[];
  }
  return e;
}
