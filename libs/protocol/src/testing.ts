/**
 * Test helpers, `@zmq-mq/protocol/testing`: bounded waits and free loopback ports for every
 * package's tests; for packages that speak the wire format, a reference model of Python's
 * `bytes.split(b' ', 1)`, fast-check arbitraries for topics and payloads, and the README's
 * reliable-port examples.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { OptionError } from './errors';
import { MAX_TOPIC_BYTES } from './topics';

export {
  DEFAULT_WAIT_MS,
  waitFor,
  withTimeout,
  probeUntil,
  nextEvent,
  take,
  Closer,
} from './testing/wait';
export { freePort, freeEndpoint } from './testing/ports';
export { httpGet } from './testing/http';
export { childEnv } from './testing/child-env';
export { FUZZ_DEFAULT_SEED, fuzzParameters, countGenerated, fuzzReport } from './testing/fuzz';
export { NOT_ZMTP3_PROBES, RawPeer, zmtpHandshake, zmtpSubscription } from './testing/raw-peers';

export type { WaitSubject, EventSource } from './testing/wait';

/** The message of the OptionError that `fn` throws; throws if it throws nothing or another error. */
export function optionProblem(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof OptionError) return err.message;
    throw new Error(`expected an OptionError, got ${String(err)}`, { cause: err });
  }
  throw new Error('expected an OptionError, nothing was thrown');
}

/** Python's `frame.split(b' ', 1)`, written naively byte by byte as a reference model. */
export function pythonSplit(frame: Uint8Array): Uint8Array[] {
  for (let i = 0; i < frame.length; i++) {
    if (frame[i] === 0x20) return [frame.slice(0, i), frame.slice(i + 1)];
  }
  return [frame.slice()];
}

/** `frame.split(b' ', 1)[-1]`: what the original design pushes to workers. */
export function pythonPayload(frame: Uint8Array): Uint8Array {
  const parts = pythonSplit(frame);
  return parts[parts.length - 1] as Uint8Array;
}

const topicChar = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 1 })
  // eslint-disable-next-line no-control-regex
  .filter((c) => !/[ \u0000-\u001f\u007f-\u009f]/.test(c));

/** Valid topics: 1..255 UTF-8 bytes, no space or control character, often dotted. */
export const arbTopic: fc.Arbitrary<string> = fc
  .array(
    fc.oneof(fc.constantFrom('.', 'a', 'orders', 'é', '日本', '🚀', '\ufeff', '\u00a0'), topicChar),
    {
      minLength: 1,
      maxLength: 40,
    },
  )
  .map((parts) => parts.join(''))
  .filter((t) => Buffer.byteLength(t, 'utf8') <= MAX_TOPIC_BYTES);

/** Arbitrary payload bytes, spaces and NULs included. */
export const arbPayload: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.uint8Array({ maxLength: 40 }).map((b) => b.map((x) => [0x20, 0x00, x][x % 3] as number)),
);

function hasProtoKey(v: unknown): boolean {
  if (v === null || typeof v !== 'object') return false;
  return Object.keys(v).includes('__proto__') || Object.values(v).some(hasProtoKey);
}

/**
 * JSON values that every codec round-trips: fc.jsonValue() without a `__proto__` key, which
 * msgpack decoding renames to `__proto_` (msgpackr's guard against prototype pollution).
 */
export const arbJsonBody: fc.Arbitrary<fc.JsonValue> = fc
  .jsonValue()
  .filter((v) => !hasProtoKey(v));

/** One example of the README's "Reliable port" section. */
export interface ReliableExample {
  command: string;
  /** The body as a Python literal, as the README shows it. */
  python: string;
  /** The same body as a JavaScript value. */
  value: unknown;
  /** The body's bytes, hex without spaces. */
  hex: string;
  /** The frames after the body (message frames), as text. */
  extraFrames: string[];
}

/** The examples between the README's `reliable-examples` markers. */
export function readmeExamples(): ReliableExample[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const block = /<!-- reliable-examples: start -->([\s\S]*?)<!-- reliable-examples: end -->/.exec(
    readme,
  )?.[1];
  if (block === undefined) throw new Error('README has no reliable-examples block');
  const examples: ReliableExample[] = [];
  const lines = block.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const head = /^([A-Z]+)\s+frames\s+(.*)$/.exec(lines[i] as string);
    if (head === null) continue;
    const python = /^\s+body\s+(.*)$/.exec(lines[i + 1] ?? '')?.[1];
    const hex = /^\s+hex\s+(.*)$/.exec(lines[i + 2] ?? '')?.[1];
    if (python === undefined || hex === undefined) throw new Error(`incomplete example ${head[1]}`);
    const json = python.replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false');
    examples.push({
      command: head[1] as string,
      python,
      value: JSON.parse(json.replace(/\bNone\b/g, 'null')),
      hex: hex.replace(/ /g, ''),
      extraFrames: (head[2] as string)
        .split(', ')
        .slice(2)
        .map((f) => f.replace(/^b(['"])(.*)\1$/, '$2')),
    });
  }
  return examples;
}
