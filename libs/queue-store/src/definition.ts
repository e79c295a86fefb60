/**
 * Queue definitions: what a queue takes (topic prefixes) and how much it keeps (limits).
 */
import { QueueDefinitionError } from './errors';

/** What happens to an append when a queue is at a limit. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/** A durable queue. Every field is set; `parseQueueDefinition` fills the defaults. */
export interface QueueDefinition {
  /** 1..64 characters of `[A-Za-z0-9._-]`. */
  name: string;
  /** Topic prefixes, as subscriptions: a message goes to the queue when its topic starts with one ('' takes every topic). */
  prefixes: string[];
  /** Live messages kept (ready + unacked + delayed; dead letters not counted). */
  maxMessages: number;
  /** Bytes of stored frames kept (live messages). */
  maxBytes: number;
  /** Messages older than this (by `publishedAt`, in ms) are dead-lettered with reason 'expired'; 0 = no limit. */
  maxAgeMs: number;
  /** At a limit: refuse the append ('reject') or drop the oldest ready messages to make room ('drop-oldest'). */
  overflow: OverflowPolicy;
  /** Dead letters kept; past it the oldest dead letter is dropped (counted as deadDropped). 0 keeps none. */
  maxDeadMessages: number;
}

/** A definition as a caller writes it: a name and prefixes, the limits optional. */
export type QueueDefinitionInput = Pick<QueueDefinition, 'name' | 'prefixes'> &
  Partial<Omit<QueueDefinition, 'name' | 'prefixes'>>;

/** The limit an append ran into. */
export type QueueLimit = 'maxMessages' | 'maxBytes';

export const DEFAULT_MAX_MESSAGES = 1_000_000;
/** 1 GiB, in bytes. */
export const DEFAULT_MAX_BYTES = 1024 * 1024 * 1024;
/** In ms; 0 = no limit. */
export const DEFAULT_MAX_AGE_MS = 0;
export const DEFAULT_OVERFLOW: OverflowPolicy = 'reject';
export const DEFAULT_MAX_DEAD_MESSAGES = 10_000;

export const MAX_QUEUE_NAME_LENGTH = 64;
export const MAX_PREFIXES = 64;
/** A prefix is at most as long as a topic, in UTF-8 bytes. */
export const MAX_PREFIX_BYTES = 255;

const NAME_RE = /^[A-Za-z0-9._-]+$/;
// eslint-disable-next-line no-control-regex
const BAD_PREFIX_CHAR_RE = /[ \u0000-\u001f\u007f-\u009f]/;
const FIELDS = new Set([
  'name',
  'prefixes',
  'maxMessages',
  'maxBytes',
  'maxAgeMs',
  'overflow',
  'maxDeadMessages',
]);

/** Why `name` is not a valid queue name, or undefined when it is. */
export function queueNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length < 1 || name.length > MAX_QUEUE_NAME_LENGTH) {
    return `must be 1..${MAX_QUEUE_NAME_LENGTH} characters`;
  }
  if (!NAME_RE.test(name)) return 'may only contain A-Z a-z 0-9 . _ -';
  return undefined;
}

function integerField(
  input: Record<string, unknown>,
  field: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = input[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new QueueDefinitionError(
      typeof input['name'] === 'string' ? input['name'] : undefined,
      field,
      value,
      `must be an integer in ${min}..${max}`,
    );
  }
  return value;
}

function parsePrefixes(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.length < 1 || value.length > MAX_PREFIXES) {
    throw new QueueDefinitionError(
      name,
      'prefixes',
      value,
      `must be an array of 1..${MAX_PREFIXES} strings`,
    );
  }
  const out: string[] = [];
  for (const p of value) {
    if (typeof p !== 'string') {
      throw new QueueDefinitionError(name, 'prefixes', p, 'must hold strings');
    }
    if (Buffer.byteLength(p, 'utf8') > MAX_PREFIX_BYTES) {
      throw new QueueDefinitionError(
        name,
        'prefixes',
        p,
        `must hold prefixes of at most ${MAX_PREFIX_BYTES} UTF-8 bytes`,
      );
    }
    if (BAD_PREFIX_CHAR_RE.test(p)) {
      throw new QueueDefinitionError(
        name,
        'prefixes',
        p,
        'must hold prefixes without a space or a control character',
      );
    }
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/**
 * Validates a definition and fills in the defaults. Throws `QueueDefinitionError` naming
 * the first bad field and its value (unknown fields included, so a misspelt limit is not
 * silently ignored). Duplicate prefixes are kept once.
 */
export function parseQueueDefinition(input: unknown): QueueDefinition {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new QueueDefinitionError(undefined, 'definition', input, 'must be an object');
  }
  const rec = input as Record<string, unknown>;
  const name = rec['name'];
  const nameProblem = queueNameProblem(name);
  if (nameProblem !== undefined) {
    throw new QueueDefinitionError(undefined, 'name', name, nameProblem);
  }
  const queue = name as string;
  for (const key of Object.keys(rec)) {
    if (!FIELDS.has(key) && rec[key] !== undefined) {
      throw new QueueDefinitionError(queue, key, rec[key], 'is not a queue definition field');
    }
  }
  const overflow = rec['overflow'] ?? DEFAULT_OVERFLOW;
  if (overflow !== 'reject' && overflow !== 'drop-oldest') {
    throw new QueueDefinitionError(
      queue,
      'overflow',
      overflow,
      "must be 'reject' or 'drop-oldest'",
    );
  }
  return {
    name: queue,
    prefixes: parsePrefixes(queue, rec['prefixes']),
    maxMessages: integerField(rec, 'maxMessages', DEFAULT_MAX_MESSAGES, 1, 2 ** 31 - 1),
    maxBytes: integerField(rec, 'maxBytes', DEFAULT_MAX_BYTES, 1, Number.MAX_SAFE_INTEGER),
    maxAgeMs: integerField(rec, 'maxAgeMs', DEFAULT_MAX_AGE_MS, 0, Number.MAX_SAFE_INTEGER),
    overflow,
    maxDeadMessages: integerField(
      rec,
      'maxDeadMessages',
      DEFAULT_MAX_DEAD_MESSAGES,
      0,
      2 ** 31 - 1,
    ),
  };
}

/** True when both definitions have the same fields (prefixes in the same order). */
export function sameDefinition(a: QueueDefinition, b: QueueDefinition): boolean {
  return (
    a.name === b.name &&
    a.maxMessages === b.maxMessages &&
    a.maxBytes === b.maxBytes &&
    a.maxAgeMs === b.maxAgeMs &&
    a.overflow === b.overflow &&
    a.maxDeadMessages === b.maxDeadMessages &&
    a.prefixes.length === b.prefixes.length &&
    a.prefixes.every((p, i) => p === b.prefixes[i])
  );
}

/** True when the topic starts with one of the queue's prefixes (a byte prefix of its UTF-8). */
export function queueTakesTopic(def: QueueDefinition, topic: string): boolean {
  for (const p of def.prefixes) if (topic.startsWith(p)) return true;
  return false;
}

/** A copy the caller may keep without reaching into the store's own object. */
export function copyDefinition(def: QueueDefinition): QueueDefinition {
  return { ...def, prefixes: [...def.prefixes] };
}
