/**
 * `--queue NAME=PREFIX[,PREFIX…][;key=value…]`: a durable queue declared on the command line.
 *
 *   --queue orders=orders.
 *   --queue 'audit=audit.,billing.;max-messages=100000;max-bytes=256MiB;overflow=drop-oldest'
 *
 * Keys: `max-messages`, `max-bytes` (a size), `max-age` (a duration), `overflow`
 * (`reject` | `drop-oldest`), `max-dead` (dead letters kept). An empty prefix list (`all=`)
 * takes every topic. A prefix holding `,` `;` or `=` cannot be written here: declare such a
 * queue with DECLARE on the reliable port.
 */
import { OptionError } from '@zmq-mq/protocol';
import {
  parseQueueDefinition,
  QueueDefinitionError,
  type QueueDefinition,
  type QueueDefinitionInput,
} from '@zmq-mq/queue-store';

/** How the broker's options read a size and a duration (passed in: they live in options.ts). */
export interface UnitParsers {
  bytes(value: unknown, name: string): number;
  duration(value: unknown, name: string): number;
}

/** The keys after the prefixes, and the definition field each sets. */
const KEYS = {
  'max-messages': 'maxMessages',
  'max-bytes': 'maxBytes',
  'max-age': 'maxAgeMs',
  overflow: 'overflow',
  'max-dead': 'maxDeadMessages',
} as const;
type SpecKey = keyof typeof KEYS;

/** A queue definition as a `--queue` value that declares it again (every setting written). */
export function formatQueueSpec(def: QueueDefinition): string {
  return (
    `${def.name}=${def.prefixes.join(',')};max-messages=${def.maxMessages}` +
    `;max-bytes=${def.maxBytes};max-age=${def.maxAgeMs}ms;overflow=${def.overflow}` +
    `;max-dead=${def.maxDeadMessages}`
  );
}

/** One `--queue` value as a queue definition (defaults filled in); throws `OptionError`. */
export function parseQueueSpec(spec: string, option: string, units: UnitParsers): QueueDefinition {
  const eq = spec.indexOf('=');
  if (eq <= 0) {
    throw new OptionError(option, spec, 'must be NAME=PREFIX[,PREFIX...][;key=value...]');
  }
  const name = spec.slice(0, eq);
  const [prefixPart = '', ...settings] = spec.slice(eq + 1).split(';');
  const input: Record<string, unknown> = { name, prefixes: prefixPart.split(',') };
  for (const setting of settings) {
    if (setting === '') continue;
    const at = setting.indexOf('=');
    const key = (at < 0 ? setting : setting.slice(0, at)) as SpecKey;
    const value = at < 0 ? '' : setting.slice(at + 1);
    const field = KEYS[key];
    if (field === undefined) {
      throw new OptionError(
        option,
        spec,
        `has an unknown setting ${JSON.stringify(key)}: use ${Object.keys(KEYS).join(', ')}`,
      );
    }
    const what = `${option} ${name} ${key}`;
    if (field === 'maxBytes') input[field] = units.bytes(value, what);
    else if (field === 'maxAgeMs') input[field] = units.duration(value, what);
    else if (field === 'overflow') input[field] = value;
    else input[field] = /^\d+$/.test(value) ? Number(value) : value;
  }
  try {
    return parseQueueDefinition(input as QueueDefinitionInput);
  } catch (err) {
    if (err instanceof QueueDefinitionError) {
      throw new OptionError(option, spec, `is not a valid queue: ${err.message}`);
    }
    throw err;
  }
}

/**
 * The queues of `--queue` (repeatable) or its environment variable (several specs separated by
 * spaces: a prefix never holds one). Already-parsed definitions are checked again. Two queues
 * of one name are refused.
 */
export function parseQueueSpecs(
  value: unknown,
  option: string,
  units: UnitParsers,
): QueueDefinition[] {
  if (value === undefined || value === null) return [];
  const items: unknown[] =
    typeof value === 'string'
      ? value.split(/\s+/).filter((s) => s !== '')
      : Array.isArray(value)
        ? value.flatMap((v: unknown) =>
            typeof v === 'string' ? v.split(/\s+/).filter((s) => s !== '') : [v],
          )
        : [value];
  const out: QueueDefinition[] = [];
  for (const item of items) {
    let def: QueueDefinition;
    if (typeof item === 'string') {
      def = parseQueueSpec(item, option, units);
    } else {
      try {
        def = parseQueueDefinition(item);
      } catch (err) {
        if (!(err instanceof QueueDefinitionError)) throw err;
        throw new OptionError(option, item, `is not a valid queue: ${err.message}`);
      }
    }
    if (out.some((d) => d.name === def.name)) {
      throw new OptionError(option, item, `declares queue ${def.name} a second time`);
    }
    out.push(def);
  }
  return out;
}
