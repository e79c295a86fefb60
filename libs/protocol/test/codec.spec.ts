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

  it('refuses msgpackr references: 19 bytes cannot expand into a structure no one can walk', () => {
    // An array holding itself twice (id 0x69 around a reference 0x70): walking it never ended.
    const selfTwice = Buffer.from('d6690000000192d67000000001d67000000001', 'hex');
    const started = Date.now();
    const err = codecErrorOf(msgpack, selfTwice);
    expect(err.reason).toBe('corrupt');
    expect(err.message).toMatch(/Structured clone extension is disabled/);
    expect(Date.now() - started).toBeLessThan(1000);
    // Without a cycle: each level holds the one below twice (2^22 paths from 22 levels).
    const full = new Packr({ moreTypes: true, structuredClone: true });
    let shared: unknown = 1;
    for (let i = 0; i < 22; i++) shared = [shared, shared];
    expect(codecErrorOf(msgpack, full.pack(shared)).reason).toBe('corrupt');
  });

  it("refuses msgpackr's own extension types and depth beyond 512, and says so", () => {
    // As msgpackr writes them with moreTypes (bytes: jest's realm hides typed arrays from it).
    for (const [hexBytes, name] of [
      ['d47300920102', 'Set'],
      ['d4780092a3612b62a167', 'RegExp'],
      ['d4650093a9547970654572726f72a4626f6f6dd40000', 'TypeError'],
      ['c7117408000000000000f03f0000000000000040', 'Float64Array'],
    ] as const) {
      const err = codecErrorOf(msgpack, Buffer.from(`91de0001a6696e73696465${hexBytes}`, 'hex'));
      expect(err.reason).toBe('corrupt');
      expect(err.message).toContain(`extension type (${name}) is not standard msgpack`);
    }
    // A map's own key named "constructor" (or "__proto__"-like names) is data, not a type.
    const team = { constructor: 'Ferrari', nested: { constructor: 'McLaren', hasOwnProperty: 1 } };
    expect(msgpack.decode(msgpack.encode(team))).toEqual(team);
    // Standard types still decode: timestamps, bin, nil, nested containers at the limit.
    const full = new Packr({ moreTypes: true, useRecords: false });
    expect(msgpack.decode(full.pack(new Date(5)))).toEqual(new Date(5));
    expect(msgpack.decode(full.pack([Buffer.from('ab'), null]))).toEqual([Buffer.from('ab'), null]);
    const nest = (levels: number): unknown => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = [v];
      return v;
    };
    expect(msgpack.decode(msgpack.encode(nest(513)))).toEqual(nest(513));
    expect(() => msgpack.encode(nest(514))).toThrow(
      /cannot encode value: nested deeper than 512 levels/,
    );
    const tooDeep = codecErrorOf(msgpack, full.pack(nest(514)));
    expect(tooDeep.reason).toBe('corrupt');
    expect(tooDeep.message).toMatch(/nested deeper than 512 levels/);
    // Deeper than the decoder's stack: complete input, so corrupt, not truncated.
    const maps = Buffer.concat([Buffer.from('81a161'.repeat(5000), 'hex'), Buffer.from([1])]);
    expect(codecErrorOf(msgpack, maps).reason).toBe('corrupt');
  });

  it('calls UTF-8 that no continuation could mend corrupt, not truncated', () => {
    for (const tail of [[0xff], [0xc0], [0xc1], [0xf5], [0xe0, 0x80], [0xed, 0xa0], [0xf4, 0x90]]) {
      const bytes = Buffer.from([0x22, 0x61, ...tail]);
      expect([Buffer.from(bytes).toString('hex'), codecErrorOf(json, bytes).reason]).toEqual([
        Buffer.from(bytes).toString('hex'),
        'corrupt',
      ]);
    }
    for (const tail of [[0xc3], [0xe0], [0xe0, 0xa0], [0xf0], [0xf0, 0x90, 0x80], [0xf4, 0x8f]]) {
      const bytes = Buffer.from([0x22, 0x61, ...tail]);
      expect([Buffer.from(bytes).toString('hex'), codecErrorOf(json, bytes).reason]).toEqual([
        Buffer.from(bytes).toString('hex'),
        'truncated',
      ]);
    }
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
