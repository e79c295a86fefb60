/**
 * Cross-language codec checks: a typed description of values that Python and JavaScript
 * both write and compare exactly (see fixtures/codec_peer.py), and a call into Python's own
 * msgpack and json.
 */
import { join } from 'node:path';
import { FIXTURES } from './paths';
import { runPython } from './python';

/** A value tagged with its type as Python sees it; floats as the hex of their IEEE-754 double. */
export type Desc =
  | readonly ['nil']
  | readonly ['bool', boolean]
  | readonly ['int', string]
  | readonly ['float' | 'float32', string]
  | readonly ['str', string]
  | readonly ['bin', string]
  | readonly ['array', readonly Desc[]]
  | readonly ['map', ReadonlyArray<readonly [Desc, Desc]>];

/** The hex of a number's IEEE-754 double (big-endian), as Python's struct.pack('>d', x).hex(). */
export function doubleHex(x: number): string {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b.toString('hex');
}

/** Builders for descriptions. */
export const D = {
  nil: ['nil'] as const,
  bool: (b: boolean): Desc => ['bool', b],
  int: (n: number | bigint): Desc => ['int', String(n)],
  float: (x: number): Desc => ['float', doubleHex(x)],
  float32: (x: number): Desc => ['float32', doubleHex(Math.fround(x))],
  str: (s: string): Desc => ['str', s],
  bin: (b: Uint8Array): Desc => ['bin', Buffer.from(b).toString('hex')],
  array: (items: readonly Desc[]): Desc => ['array', items],
  map: (entries: Record<string, Desc>): Desc => [
    'map',
    Object.entries(entries).map(([k, v]) => [['str', k], v] as const),
  ],
};

/**
 * The description of a JSON value as Python's json.loads returns it: a JS number is an int
 * when JSON.stringify writes it without a fraction or exponent, a float otherwise.
 */
export function describeJson(v: unknown): Desc {
  if (v === null) return D.nil;
  if (typeof v === 'boolean') return D.bool(v);
  if (typeof v === 'number') {
    return /^-?\d+$/.test(JSON.stringify(v)) ? D.int(BigInt(v)) : D.float(v);
  }
  if (typeof v === 'string') return D.str(v);
  if (Array.isArray(v)) return D.array(v.map(describeJson));
  if (typeof v === 'object') {
    return D.map(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, describeJson(x)])));
  }
  throw new TypeError(`no JSON description for ${typeof v}`);
}

/** One request to fixtures/codec_peer.py: Python's msgpack/json on each item, in one process. */
export function pythonCodec(op: 'msgpack-decode', items: readonly Uint8Array[]): Desc[];
export function pythonCodec(op: 'msgpack-encode', items: readonly Desc[]): Buffer[];
export function pythonCodec(op: 'json-decode', items: readonly Uint8Array[]): Desc[];
export function pythonCodec(
  op: 'json-encode',
  items: ReadonlyArray<readonly [Desc, boolean]>,
): Buffer[];
export function pythonCodec(op: string, items: readonly unknown[]): unknown[] {
  const wire = items.map((i) => (i instanceof Uint8Array ? Buffer.from(i).toString('hex') : i));
  const program = `import runpy; runpy.run_path(${JSON.stringify(join(FIXTURES, 'codec_peer.py'))}, run_name='__main__')`;
  const out = JSON.parse(runPython(program, JSON.stringify({ op, items: wire })).toString());
  if (!Array.isArray(out)) throw new Error(`codec_peer.py answered ${String(out)}`);
  return op.endsWith('-encode') ? out.map((h: string) => Buffer.from(h, 'hex')) : out;
}
