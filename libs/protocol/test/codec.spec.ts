import fc from 'fast-check';
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

describe('codecs', () => {
  it('json and msgpack round-trip JSON values', () => {
    for (const codec of [json, msgpack]) {
      fc.assert(
        fc.property(fc.jsonValue(), (value) => {
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
