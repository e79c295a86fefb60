import { C1, Packr } from 'msgpackr';
import { CodecError, UnknownCodecError } from './errors';
import { asBuffer } from './frame';

/** Names of the built-in codecs. */
export type CodecName = 'json' | 'msgpack' | 'raw';

/**
 * Turns bodies into payload bytes and back. `decode` throws `CodecError` (reason `truncated`
 * or `corrupt`) on bad input and never hangs; `encode` throws `CodecError` (`unencodable`).
 */
export interface Codec<T> {
  readonly name: string;
  /** MIME type carried in the metadata frame (`ct`). */
  readonly contentType: string;
  encode(value: T): Uint8Array;
  decode(bytes: Uint8Array): T;
}

export const CONTENT_TYPE_JSON = 'application/json';
export const CONTENT_TYPE_MSGPACK = 'application/msgpack';
export const CONTENT_TYPE_RAW = 'application/octet-stream';

const utf8 = new TextDecoder('utf-8', { fatal: true });

// JSON that stops early: V8 says "Unexpected end of JSON input", or reports the error at the
// position just past the last byte ("Unterminated string in JSON at position 4" for `"abc`).
// An error anywhere else means the text is corrupt.
function jsonStopsEarly(message: string, length: number): boolean {
  if (message.includes('end of JSON input')) return true;
  const at = /at position (\d+)/.exec(message);
  return at !== null && Number(at[1]) >= length;
}

// True when the bytes are valid UTF-8 except for a multi-byte sequence cut off at the end:
// completed with the smallest continuation bytes its lead allows, the whole decodes. A lead
// byte no sequence starts with (0xc0, 0xc1, 0xf5-0xff) or an impossible second byte is corrupt.
function endsInsideUtf8Sequence(bytes: Uint8Array): boolean {
  for (let back = 1; back <= 3 && back <= bytes.length; back++) {
    const lead = bytes[bytes.length - back] as number;
    if ((lead & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (need <= back) return false;
    const completion = Buffer.alloc(need - back, 0x80);
    if (back === 1) completion[0] = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    try {
      utf8.decode(Buffer.concat([bytes, completion]));
      return true;
    } catch {
      return false;
    }
  }
  return false;
}

/** JSON text in UTF-8. `T` is whatever JSON.parse returns; pair with a validator for trust. */
export function jsonCodec<T = unknown>(): Codec<T> {
  return {
    name: 'json',
    contentType: CONTENT_TYPE_JSON,
    encode(value: T): Uint8Array {
      let text: string | undefined;
      try {
        text = JSON.stringify(value);
      } catch (cause) {
        throw new CodecError('json', 'unencodable', (cause as Error).message, { cause });
      }
      if (text === undefined) {
        throw new CodecError('json', 'unencodable', `${typeof value} has no JSON form`);
      }
      return Buffer.from(text, 'utf8');
    },
    decode(bytes: Uint8Array): T {
      const size = bytes.byteLength;
      if (size === 0) throw new CodecError('json', 'truncated', 'no bytes', { size });
      let text: string;
      try {
        text = utf8.decode(bytes);
      } catch (cause) {
        const reason = endsInsideUtf8Sequence(bytes) ? 'truncated' : 'corrupt';
        throw new CodecError('json', reason, 'not valid UTF-8', { cause, size });
      }
      try {
        return JSON.parse(text) as T;
      } catch (cause) {
        const message = (cause as Error).message;
        const reason = jsonStopsEarly(message, text.length) ? 'truncated' : 'corrupt';
        throw new CodecError('json', reason, message, { cause, size });
      }
    },
  };
}

/**
 * Standard msgpack that any language's msgpack library reads: no records extension,
 * smallest map headers, `undefined` as nil, maps decoded as plain objects. Every integer is
 * written with an integer type: a `number` beyond 32 bits (a safe integer) as int64, like a
 * `bigint`; integers beyond 2^53 are decoded as `bigint` (smaller ones as `number`).
 *
 * Decoding takes standard msgpack only: nil, booleans, numbers, strings, bin (as a Buffer),
 * arrays, maps and timestamps (as a Date). msgpackr's own extension types (structured-clone
 * references, Set, Error, RegExp, typed arrays) are refused as `corrupt`: references could
 * build a cycle or a tree of shared nodes, which the check for 0xc1 and every receiver would
 * walk without end. So is a value nested deeper than 512 levels.
 */
export function msgpackCodec<T = unknown>(): Codec<T> {
  const packr = new Packr({
    useRecords: false,
    encodeUndefinedAsNil: true,
    mapsAsObjects: true,
    variableMapSize: true,
    moreTypes: false,
    // Extension types 0x69 and 0x70 (an id and a reference to it) throw instead of decoding.
    structuredClone: false,
    // 'auto' (number when safe, bigint beyond 2^53) is supported but missing from the typings.
    int64AsType: 'auto' as 'bigint',
  });
  return {
    name: 'msgpack',
    contentType: CONTENT_TYPE_MSGPACK,
    encode(value: T): Uint8Array {
      try {
        return packr.pack(widenIntegers(value, 0, walkPath));
      } catch (cause) {
        if (cause instanceof CodecError) throw cause;
        throw new CodecError('msgpack', 'unencodable', (cause as Error).message, { cause });
      } finally {
        walkPath.length = 0;
      }
    },
    decode(bytes: Uint8Array): T {
      const size = bytes.byteLength;
      if (size === 0) throw new CodecError('msgpack', 'truncated', 'no bytes', { size });
      let value: unknown;
      try {
        value = packr.unpack(asBuffer(bytes));
      } catch (cause) {
        const err = cause as Error & { incomplete?: boolean };
        // msgpackr marks a stack overflow (a value nested too deeply) as incomplete too.
        const reason =
          err.incomplete === true && !/call stack/.test(err.message) ? 'truncated' : 'corrupt';
        throw new CodecError('msgpack', reason, err.message, { cause, size });
      }
      const problem = nonStandard(value, 0);
      if (problem !== undefined) throw new CodecError('msgpack', 'corrupt', problem, { size });
      return value as T;
    },
  };
}

const MAX_DEPTH = 512;

// The containers above the one being walked (reused across calls; encoding is synchronous).
const walkPath: object[] = [];

const hasOwn = Object.prototype.hasOwnProperty;
const INT32_MIN = -(2 ** 31);
const UINT32_MAX = 2 ** 32 - 1;

/**
 * The integer as msgpackr writes it with an integer type: msgpackr writes a `number` outside
 * [-2^31, 2^32-1] as float 64, even a safe integer, so those become `bigint` (int64, 0xd3).
 * Anything else is returned as it is (-0 is written as the integer 0, fractions as floats).
 */
export function wireInteger(n: number): number | bigint {
  return (n < INT32_MIN || n > UINT32_MAX) && Number.isSafeInteger(n) ? BigInt(n) : n;
}

// `value` with every number that wireInteger widens replaced by its bigint, walked the way
// msgpackr packs it: arrays, plain and class objects (own enumerable keys), Map values, Sets
// (written as arrays). Bytes, Dates, Errors, RegExps and objects with toJSON are left as they
// are, as are Map keys (widening could merge 2^40 and 2n ** 40n). Returns `value` itself when
// nothing changes; otherwise copies only the containers on the way to a changed number.
// A container deeper than MAX_DEPTH is refused, as the decoder refuses it; `path` holds the
// containers above the current one, to refuse a cycle (a walk through one would never end).
function widenIntegers(value: unknown, depth: number, path: object[]): unknown {
  if (typeof value === 'number') return wireInteger(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) {
    throw new CodecError('msgpack', 'unencodable', `nested deeper than ${MAX_DEPTH} levels`);
  }
  if (isOpaque(value)) return value;
  for (let i = 0; i < depth; i++) {
    if (path[i] === value) throw new CodecError('msgpack', 'unencodable', 'cyclic structure');
  }
  path[depth] = value;
  if (Array.isArray(value)) return widenArray(value, depth, path);
  if (value.constructor === Map) return widenMap(value as Map<unknown, unknown>, depth, path);
  if (value instanceof Set) return widenSet(value as Set<unknown>, depth, path);
  let copy: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  // for…in with an own-property check visits Object.keys(record) without allocating it.
  for (const key in record) {
    if (!hasOwn.call(record, key)) continue;
    const item = record[key];
    const widened = widenIntegers(item, depth + 1, path);
    if (widened === item) continue;
    copy ??= { ...record };
    copy[key] = widened;
  }
  return copy ?? value;
}

// What msgpackr writes through an extension or toJSON rather than as an array or a map.
function isOpaque(value: object): boolean {
  return (
    ArrayBuffer.isView(value) ||
    value instanceof ArrayBuffer ||
    value instanceof Date ||
    value instanceof Error ||
    value instanceof RegExp ||
    value === C1 ||
    (value.constructor !== Object &&
      !Array.isArray(value) &&
      typeof (value as { toJSON?: unknown }).toJSON === 'function')
  );
}

function widenArray(array: unknown[], depth: number, path: object[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    const widened = widenIntegers(item, depth + 1, path);
    if (widened === item) continue;
    copy ??= array.slice();
    copy[i] = widened;
  }
  return copy ?? array;
}

// msgpackr writes a Set as an array (moreTypes is off), so a changed Set becomes that array.
function widenSet(set: Set<unknown>, depth: number, path: object[]): unknown {
  let copy: unknown[] | undefined;
  let i = 0;
  for (const item of set) {
    const widened = widenIntegers(item, depth + 1, path);
    if (widened !== item) {
      copy ??= [...set];
      copy[i] = widened;
    }
    i++;
  }
  return copy ?? set;
}

function widenMap(map: Map<unknown, unknown>, depth: number, path: object[]): unknown {
  let copy: Map<unknown, unknown> | undefined;
  for (const [key, item] of map) {
    const widened = widenIntegers(item, depth + 1, path);
    if (widened === item) continue;
    copy ??= new Map(map);
    copy.set(key, widened);
  }
  return copy ?? map;
}

// What in a decoded value standard msgpack cannot have produced, or undefined. msgpackr
// returns a marker for the reserved byte 0xc1 instead of throwing, and decodes its own
// extension types into Sets, Errors, RegExps, typed arrays and ArrayBuffers. With references
// refused (structuredClone: false) no node is reached twice, so the walk is linear in the
// input's size.
function nonStandard(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (value === C1) return 'reserved byte 0xc1 in input';
  if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = nonStandard(value[i], depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  // By prototype, not `value.constructor`: a map may well have a key named "constructor".
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) {
    for (const key in value) {
      const problem = nonStandard((value as Record<string, unknown>)[key], depth + 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (proto === Buffer.prototype || proto === Uint8Array.prototype || proto === Date.prototype) {
    return undefined;
  }
  const name = (proto as { constructor?: { name?: string } }).constructor?.name ?? 'unknown';
  return `msgpackr's own extension type (${name}) is not standard msgpack`;
}

/** The payload bytes as they are; decoding returns a view, not a copy. */
export function rawCodec(): Codec<Uint8Array> {
  return {
    name: 'raw',
    contentType: CONTENT_TYPE_RAW,
    encode(value: Uint8Array): Uint8Array {
      if (!(value instanceof Uint8Array)) {
        throw new CodecError('raw', 'unencodable', `expected bytes, got ${typeof value}`);
      }
      return value;
    },
    decode(bytes: Uint8Array): Uint8Array {
      return bytes;
    },
  };
}

/** Shared instances of the built-in codecs. */
export const json: Codec<unknown> = jsonCodec();
export const msgpack: Codec<unknown> = msgpackCodec();
export const raw: Codec<Uint8Array> = rawCodec();

const byName: Record<CodecName, Codec<unknown>> = {
  json,
  msgpack,
  raw: raw as Codec<unknown>,
};

const byContentType = new Map<string, Codec<unknown>>(
  Object.values(byName).map((c) => [c.contentType, c]),
);

/** The built-in codec with this name (`json`, `msgpack`, `raw`); throws `UnknownCodecError`. */
export function codecByName(name: string): Codec<unknown> {
  const codec = (byName as Record<string, Codec<unknown> | undefined>)[name];
  if (codec === undefined) throw new UnknownCodecError(name);
  return codec;
}

/** The built-in codec for a content type, or undefined when none handles it. */
export function codecForContentType(contentType: string): Codec<unknown> | undefined {
  return byContentType.get(contentType);
}

/** Names of the built-in codecs, for option validation and help texts. */
export const CODEC_NAMES: readonly CodecName[] = ['json', 'msgpack', 'raw'];
