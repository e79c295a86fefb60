import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  codecByName,
  codecForContentType,
  CodecError,
  json,
  msgpack,
  raw,
  UnknownCodecError,
  type Codec,
} from '../src';
import { arbJsonBody } from '../src/testing';

function codecErrorOf(codec: Codec<unknown>, bytes: Uint8Array): CodecError {
  try {
    codec.decode(bytes);
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return err as CodecError;
  }
  throw new Error(`decoded without error: ${Buffer.from(bytes).toString('hex')}`);
}

const fixtures: unknown[] = [
  { id: 1, items: ['a', 'b'], nested: { ok: true, none: null } },
  [1, -1, 255, 65536, -2147483648, 2 ** 40, 1.5, 'text with spaces', false],
  'plain string é 日本',
  { empty: {}, list: [] },
];

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// msgpack's integer type bytes: fixints, uint 8..64 (0xcc-0xcf), int 8..64 (0xd0-0xd3).
function isIntegerTypeByte(b: number): boolean {
  return b <= 0x7f || b >= 0xe0 || (b >= 0xcc && b <= 0xd3);
}

// The msgpack codec's options without its integer widening: what msgpackr alone writes.
const plainPackr = new Packr({
  useRecords: false,
  encodeUndefinedAsNil: true,
  mapsAsObjects: true,
  variableMapSize: true,
  moreTypes: false,
});

// True when some number in a JSON value is a safe integer beyond 32 bits.
function hasWideInteger(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v) && (v < -(2 ** 31) || v > 2 ** 32 - 1);
  if (v === null || typeof v !== 'object') return false;
  return Object.values(v).some(hasWideInteger);
}

const int32Edges = [-(2 ** 31), -(2 ** 31) - 1, 2 ** 32 - 1, 2 ** 32, 2 ** 31, 2 ** 31 - 1];
const arbSafeInteger = fc.oneof(
  fc.maxSafeInteger(),
  fc.constantFrom(...int32Edges, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 5_000_000_000),
  fc.integer({ min: -(2 ** 31) - 1000, max: -(2 ** 31) + 1000 }),
  fc.integer({ min: 2 ** 32 - 1000, max: 2 ** 32 + 1000 }),
);

describe('codecs', () => {
  it('json and msgpack round-trip JSON values', () => {
    for (const codec of [json, msgpack]) {
      fc.assert(
        fc.property(arbJsonBody, (value) => {
          const back = codec.decode(codec.encode(value));
          // JSON turns -0 into 0; compare through JSON for both.
          expect(JSON.stringify(back)).toBe(JSON.stringify(value));
        }),
      );
    }
  });

  it('msgpack round-trips binary and 64-bit integers', () => {
    const value = { bin: new Uint8Array([0, 1, 2, 255]), big: 2n ** 63n - 1n, small: 42 };
    const back = msgpack.decode(msgpack.encode(value)) as typeof value;
    expect(Buffer.from(back.bin)).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(back.big).toBe(2n ** 63n - 1n);
    expect(back.small).toBe(42);
  });

  it('msgpack writes every safe integer with an integer type and reads it back as a number', () => {
    fc.assert(
      fc.property(arbSafeInteger, (n) => {
        const bytes = Buffer.from(msgpack.encode(n));
        expect(isIntegerTypeByte(bytes[0] as number)).toBe(true);
        if (n < -(2 ** 31) || n > 2 ** 32 - 1) {
          expect(bytes.toString('hex')).toBe(
            `d3${BigInt.asUintN(64, BigInt(n)).toString(16).padStart(16, '0')}`,
          );
        }
        const back = msgpack.decode(bytes);
        expect(typeof back).toBe('number');
        expect(back).toBe(n === 0 ? 0 : n);
      }),
      { numRuns: 2000 },
    );
    expect(Buffer.from(msgpack.encode(5_000_000_000)).toString('hex')).toBe('d3000000012a05f200');
    expect(Buffer.from(msgpack.encode(-2_147_483_649)).toString('hex')).toBe('d3ffffffff7fffffff');
    // Fractions, non-integers beyond 2^53 and -0 are written as msgpackr writes them.
    expect(Buffer.from(msgpack.encode(2 ** 53)).toString('hex')).toBe('cb4340000000000000');
    expect(Buffer.from(msgpack.encode(5e9 + 0.5)).toString('hex')).toBe('cb41f2a05f20080000');
    expect(Buffer.from(msgpack.encode(-0)).toString('hex')).toBe('00');
  });

  it('msgpack widens big integers anywhere in a structure without touching the input', () => {
    const when = new Date(1_700_000_000_123);
    const bin = Buffer.from([0xcb, 0x41, 0xf2]);
    const value = {
      amount: 5_000_000_000,
      small: 7,
      items: [{ qty: 2, total: -2_147_483_649 }, [2 ** 40, [Number.MAX_SAFE_INTEGER]], 'x'],
      map: new Map<string, unknown>([
        ['ts', 1_700_000_000_123],
        ['n', 1],
      ]),
      set: new Set([2 ** 33, 3]),
      bin,
      when,
      frac: 1.5,
    };
    const bytes = Buffer.from(msgpack.encode(value));
    expect(bytes.subarray(0, 1 + 7 + 9).toString('hex')).toBe('88a6616d6f756e74d3000000012a05f200');
    expect(msgpack.decode(bytes)).toEqual({
      amount: 5_000_000_000,
      small: 7,
      items: [{ qty: 2, total: -2_147_483_649 }, [2 ** 40, [Number.MAX_SAFE_INTEGER]], 'x'],
      map: { ts: 1_700_000_000_123, n: 1 },
      set: [2 ** 33, 3],
      bin,
      when,
      frac: 1.5,
    });
    // Same bytes as msgpackr writes for the structure with bigints in place of those numbers.
    const widened = {
      ...value,
      amount: 5_000_000_000n,
      items: [
        { qty: 2, total: -2_147_483_649n },
        [2n ** 40n, [BigInt(Number.MAX_SAFE_INTEGER)]],
        'x',
      ],
      map: new Map<string, unknown>([
        ['ts', 1_700_000_000_123n],
        ['n', 1],
      ]),
      set: [2n ** 33n, 3],
    };
    expect(hex(bytes)).toBe(hex(plainPackr.pack(widened)));
    // The caller's value is unchanged.
    expect(value.amount).toBe(5_000_000_000);
    expect((value.items[1] as unknown[])[0]).toBe(2 ** 40);
    expect(value.map.get('ts')).toBe(1_700_000_000_123);
    expect([...value.set]).toEqual([2 ** 33, 3]);
  });

  it('msgpack without big integers writes exactly what msgpackr writes', () => {
    fc.assert(
      fc.property(
        fc.jsonValue().filter((v) => !hasWideInteger(v)),
        (value) => {
          expect(hex(msgpack.encode(value))).toBe(hex(plainPackr.pack(value)));
        },
      ),
      { numRuns: 500 },
    );
    const value = {
      a: [1, 2 ** 32 - 1, -(2 ** 31)],
      b: new Map([['c', 1.5]]),
      d: Buffer.from([1]),
    };
    expect(hex(msgpack.encode(value))).toBe(hex(plainPackr.pack(value)));
  });

  it('msgpack reads a `__proto__` key as `__proto_` (msgpackr guards against prototype pollution)', () => {
    const value = JSON.parse('{"__proto__":{"polluted":1}}') as unknown;
    const bytes = msgpack.encode(value);
    expect(hex(bytes)).toBe(hex(plainPackr.pack(value)));
    const back = msgpack.decode(bytes) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto_']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    // Widening copies such a key as an own property, not through the prototype setter.
    const wide = JSON.parse('{"__proto__":5000000000}') as unknown;
    expect(hex(msgpack.encode(wide))).toBe('81a95f5f70726f746f5f5fd3000000012a05f200');
  });

  it('msgpack emits standard msgpack (no records extension)', () => {
    const bytes = Buffer.from(msgpack.encode({ a: 1 }));
    expect(bytes.toString('hex')).toBe('81a16101');
    // A repeated structure must not switch to msgpackr records.
    const again = Buffer.from(msgpack.encode([{ a: 1 }, { a: 2 }]));
    expect(again.toString('hex')).toBe('9281a1610181a16102');
    expect(Buffer.from(msgpack.encode(undefined)).toString('hex')).toBe('c0');
  });

  it('raw passes bytes through without copying', () => {
    const bytes = Buffer.from([1, 2, 3]);
    expect(raw.decode(bytes)).toBe(bytes);
    expect(raw.encode(bytes)).toBe(bytes);
    expect(() => raw.encode('text' as unknown as Uint8Array)).toThrow(CodecError);
  });

  it('tells truncated from corrupt input on every fixture', () => {
    for (const codec of [json, msgpack]) {
      for (const value of fixtures) {
        const bytes = Buffer.from(codec.encode(value));
        for (let n = 0; n < bytes.length; n++) {
          const err = codecErrorOf(codec, bytes.subarray(0, n));
          expect(err.reason).toBe('truncated');
          expect(err.code).toBe('ZMQMQ_ERR_CODEC_TRUNCATED');
        }
        const corrupt = Buffer.concat([bytes, Buffer.from([0xc1, 0xff])]);
        expect(codecErrorOf(codec, corrupt).reason).toBe('corrupt');
      }
    }
  });

  it('says what is wrong with corrupt input', () => {
    expect(codecErrorOf(json, Buffer.from('{"a":}')).message).toMatch(
      /json codec: corrupt input \(6 bytes\)/,
    );
    expect(codecErrorOf(json, Buffer.from([0x22, 0xff, 0x22])).message).toMatch(/not valid UTF-8/);
    expect(codecErrorOf(json, Buffer.from('{"a":')).reason).toBe('truncated');
    expect(codecErrorOf(json, Buffer.from('"abc')).reason).toBe('truncated');
    expect(codecErrorOf(msgpack, Buffer.from([0xc1])).reason).toBe('corrupt');
    expect(codecErrorOf(msgpack, Buffer.from([0x92, 0xc1, 0x01])).reason).toBe('corrupt');
    expect(codecErrorOf(msgpack, Buffer.from([0xd4, 0x05, 0x00])).reason).toBe('corrupt');
    expect(codecErrorOf(msgpack, Buffer.from([0x92, 0x01])).reason).toBe('truncated');
    expect(codecErrorOf(msgpack, Buffer.alloc(0)).code).toBe('ZMQMQ_ERR_CODEC_TRUNCATED');
  });

  it('never throws anything but CodecError on arbitrary bytes', () => {
    for (const codec of [json, msgpack]) {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
          try {
            codec.decode(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(CodecError);
          }
        }),
        { numRuns: 3000 },
      );
    }
  });

  it('reports values it cannot encode', () => {
    expect(() => json.encode(undefined)).toThrow(CodecError);
    expect(() => json.encode(1n)).toThrow(/ZMQMQ|BigInt/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => json.encode(cyclic)).toThrow(CodecError);
    expect(() => msgpack.encode(2n ** 70n)).toThrow(CodecError);
    const loop: unknown[] = [1, 2];
    loop.push({ again: loop, other: loop });
    expect(() => msgpack.encode(loop)).toThrow(/cyclic structure/);
    expect(() => msgpack.encode(cyclic)).toThrow(CodecError);
  });

  it('finds codecs by name and content type', () => {
    expect(codecByName('json')).toBe(json);
    expect(codecByName('msgpack')).toBe(msgpack);
    expect(codecByName('raw')).toBe(raw);
    expect(() => codecByName('xml')).toThrow(UnknownCodecError);
    expect(codecForContentType('application/msgpack')).toBe(msgpack);
    expect(codecForContentType('text/xml')).toBeUndefined();
  });
});
