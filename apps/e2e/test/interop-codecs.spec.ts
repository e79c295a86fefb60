// Our msgpack and JSON codecs against Python's own msgpack and json (fixtures/codec_peer.py):
// what one side writes, the other reads as the same typed value, in both directions.
import {
  decodeEnvelope,
  decodeMeta,
  encodeEnvelope,
  encodeMeta,
  json,
  msgpack,
} from '@zmq-mq/protocol';
import { D, describeJson, doubleHex, pythonCodec, type Desc } from '../src/interop-codec';

interface MsgpackCase {
  name: string;
  /** What JavaScript encodes, and reads back from Python's bytes unless `decoded` says otherwise. */
  value: unknown;
  /** What Python reads from our bytes, and encodes for the reverse direction. */
  desc: Desc;
  /** What our codec decodes from Python's bytes, when not `value`. */
  decoded?: unknown;
  /** The msgpack type byte that each side must write: proves which width is exercised. */
  ours?: number;
  python?: number;
  /** Cases that only hold one way (Python has no -0 integer, JavaScript writes no float 32). */
  only?: 'js-to-python' | 'python-to-js';
}

const bytes256 = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
const bytes70k = Buffer.from(Array.from({ length: 70000 }, (_, i) => (i * 7919) % 256));
const manyKeys = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`key${i}`, i]));

const msgpackCases: MsgpackCase[] = [
  { name: 'nil', value: null, desc: D.nil, ours: 0xc0, python: 0xc0 },
  { name: 'true', value: true, desc: D.bool(true), ours: 0xc3, python: 0xc3 },
  { name: 'false', value: false, desc: D.bool(false), ours: 0xc2, python: 0xc2 },
  { name: 'positive fixint 0', value: 0, desc: D.int(0), ours: 0x00, python: 0x00 },
  { name: 'positive fixint 127', value: 127, desc: D.int(127), ours: 0x7f, python: 0x7f },
  { name: 'negative fixint -1', value: -1, desc: D.int(-1), ours: 0xff, python: 0xff },
  { name: 'negative fixint -32', value: -32, desc: D.int(-32), ours: 0xe0, python: 0xe0 },
  { name: 'uint8 128', value: 128, desc: D.int(128), ours: 0xcc, python: 0xcc },
  { name: 'uint8 255', value: 255, desc: D.int(255), ours: 0xcc, python: 0xcc },
  { name: 'uint16 256', value: 256, desc: D.int(256), ours: 0xcd, python: 0xcd },
  { name: 'uint16 65535', value: 65535, desc: D.int(65535), ours: 0xcd, python: 0xcd },
  { name: 'uint32 65536', value: 65536, desc: D.int(65536), ours: 0xce, python: 0xce },
  { name: 'uint32 2^32-1', value: 2 ** 32 - 1, desc: D.int(2 ** 32 - 1), ours: 0xce, python: 0xce },
  { name: 'int8 -33', value: -33, desc: D.int(-33), ours: 0xd0, python: 0xd0 },
  { name: 'int8 -128', value: -128, desc: D.int(-128), ours: 0xd0, python: 0xd0 },
  { name: 'int16 -129', value: -129, desc: D.int(-129), ours: 0xd1, python: 0xd1 },
  { name: 'int16 -32768', value: -32768, desc: D.int(-32768), ours: 0xd1, python: 0xd1 },
  { name: 'int32 -32769', value: -32769, desc: D.int(-32769), ours: 0xd2, python: 0xd2 },
  { name: 'int32 -2^31', value: -(2 ** 31), desc: D.int(-(2 ** 31)), ours: 0xd2, python: 0xd2 },
  {
    name: 'int64 -2^31-1 (a bigint in JavaScript; a safe number when read back)',
    value: -(2n ** 31n) - 1n,
    desc: D.int(-(2n ** 31n) - 1n),
    decoded: -(2 ** 31) - 1,
    ours: 0xd3,
    python: 0xd3,
  },
  {
    name: 'uint64 2^40 (a bigint in JavaScript; a safe number when read back)',
    value: 2n ** 40n,
    desc: D.int(2n ** 40n),
    decoded: 2 ** 40,
    ours: 0xd3,
    python: 0xcf,
  },
  {
    name: 'int64 2^53+1 (beyond 2^53: a bigint both ways)',
    value: 2n ** 53n + 1n,
    desc: D.int(2n ** 53n + 1n),
    ours: 0xd3,
    python: 0xcf,
  },
  {
    name: 'int64 2^63-1',
    value: 2n ** 63n - 1n,
    desc: D.int(2n ** 63n - 1n),
    ours: 0xd3,
    python: 0xcf,
  },
  { name: 'int64 -2^63', value: -(2n ** 63n), desc: D.int(-(2n ** 63n)), ours: 0xd3, python: 0xd3 },
  {
    name: 'uint64 2^64-1',
    value: 2n ** 64n - 1n,
    desc: D.int(2n ** 64n - 1n),
    ours: 0xcf,
    python: 0xcf,
  },
  {
    name: 'a JavaScript number beyond 32 bits is an int64: 5000000000',
    value: 5_000_000_000,
    desc: D.int(5_000_000_000),
    ours: 0xd3,
    python: 0xcf,
  },
  {
    name: 'a JavaScript number beyond 32 bits is an int64: -2147483649',
    value: -2_147_483_649,
    desc: D.int(-2_147_483_649),
    ours: 0xd3,
    python: 0xd3,
  },
  {
    name: 'a JavaScript number beyond 32 bits is an int64: 2^53-1',
    value: Number.MAX_SAFE_INTEGER,
    desc: D.int(Number.MAX_SAFE_INTEGER),
    ours: 0xd3,
    python: 0xcf,
  },
  {
    name: 'a JavaScript number beyond 32 bits is an int64: -(2^53-1)',
    value: Number.MIN_SAFE_INTEGER,
    desc: D.int(Number.MIN_SAFE_INTEGER),
    ours: 0xd3,
    python: 0xd3,
  },
  {
    name: 'a JavaScript number 2^53 is no safe integer and stays a float 64 (send a bigint for an int)',
    value: 2 ** 53,
    desc: D.float(2 ** 53),
    ours: 0xcb,
    only: 'js-to-python',
  },
  {
    name: 'JavaScript -0 is written as the integer 0',
    value: -0,
    desc: D.int(0),
    ours: 0x00,
    only: 'js-to-python',
  },
  { name: 'float 64 1.5', value: 1.5, desc: D.float(1.5), ours: 0xcb, python: 0xcb },
  { name: 'float 64 0.1', value: 0.1, desc: D.float(0.1), ours: 0xcb, python: 0xcb },
  { name: 'float 64 -2.5e-300', value: -2.5e-300, desc: D.float(-2.5e-300), ours: 0xcb },
  { name: 'float 64 max', value: Number.MAX_VALUE, desc: D.float(Number.MAX_VALUE), ours: 0xcb },
  { name: 'float 64 NaN', value: NaN, desc: D.float(NaN), ours: 0xcb, python: 0xcb },
  { name: 'float 64 Infinity', value: Infinity, desc: D.float(Infinity), ours: 0xcb },
  { name: 'float 64 -Infinity', value: -Infinity, desc: D.float(-Infinity), ours: 0xcb },
  { name: 'float 64 -0.0', value: -0, desc: D.float(-0), python: 0xcb, only: 'python-to-js' },
  {
    name: 'float 32 1.5',
    value: 1.5,
    desc: D.float32(1.5),
    python: 0xca,
    only: 'python-to-js',
  },
  {
    name: 'float 32 0.1 (read as the float 32 nearest 0.1)',
    value: Math.fround(0.1),
    desc: D.float32(0.1),
    python: 0xca,
    only: 'python-to-js',
  },
  {
    name: 'float 32 max',
    value: 3.4028234663852886e38,
    desc: D.float32(3.4028234663852886e38),
    python: 0xca,
    only: 'python-to-js',
  },
  {
    name: 'float 32 -Infinity',
    value: -Infinity,
    desc: D.float32(-Infinity),
    python: 0xca,
    only: 'python-to-js',
  },
  { name: 'empty string', value: '', desc: D.str(''), ours: 0xa0, python: 0xa0 },
  { name: 'fixstr', value: 'hello', desc: D.str('hello'), ours: 0xa5, python: 0xa5 },
  { name: 'non-ASCII string', value: 'héllo wörld', desc: D.str('héllo wörld') },
  { name: 'CJK and emoji', value: '日本語 ✓ 🚀', desc: D.str('日本語 ✓ 🚀') },
  {
    name: 'control characters, quotes and NUL',
    value: 'a\u0000b\n\t"\\\u007f\u2028',
    desc: D.str('a\u0000b\n\t"\\\u007f\u2028'),
  },
  { name: 'str 8', value: 'x'.repeat(32), desc: D.str('x'.repeat(32)), ours: 0xd9, python: 0xd9 },
  {
    name: 'str 16',
    value: 'é'.repeat(200),
    desc: D.str('é'.repeat(200)),
    ours: 0xda,
    python: 0xda,
  },
  {
    name: 'str 32',
    value: 'ab'.repeat(35000),
    desc: D.str('ab'.repeat(35000)),
    ours: 0xdb,
    python: 0xdb,
  },
  {
    name: 'empty binary',
    value: Buffer.alloc(0),
    desc: D.bin(Buffer.alloc(0)),
    ours: 0xc4,
    python: 0xc4,
  },
  {
    name: 'bin 8',
    value: Buffer.from([0, 0x20, 0xc1, 0xff]),
    desc: D.bin(Buffer.from([0, 0x20, 0xc1, 0xff])),
    ours: 0xc4,
    python: 0xc4,
  },
  {
    name: 'bin 16 (every byte value)',
    value: bytes256,
    desc: D.bin(bytes256),
    ours: 0xc5,
    python: 0xc5,
  },
  { name: 'bin 32', value: bytes70k, desc: D.bin(bytes70k), ours: 0xc6, python: 0xc6 },
  {
    name: 'a Uint8Array is binary too',
    value: new Uint8Array([1, 2, 3]),
    desc: D.bin(Buffer.from([1, 2, 3])),
    decoded: Buffer.from([1, 2, 3]),
    ours: 0xc4,
    only: 'js-to-python',
  },
  { name: 'empty array', value: [], desc: D.array([]), ours: 0x90, python: 0x90 },
  {
    name: 'mixed array',
    value: [1, 'a', null, true, 1.5],
    desc: D.array([D.int(1), D.str('a'), D.nil, D.bool(true), D.float(1.5)]),
    ours: 0x95,
    python: 0x95,
  },
  {
    name: 'array 16',
    value: Array.from({ length: 20 }, (_, i) => i),
    desc: D.array(Array.from({ length: 20 }, (_, i) => D.int(i))),
    ours: 0xdc,
    python: 0xdc,
  },
  { name: 'empty map', value: {}, desc: D.map({}), ours: 0x80, python: 0x80 },
  {
    name: 'fixmap',
    value: { a: 1, b: 'x' },
    desc: D.map({ a: D.int(1), b: D.str('x') }),
    ours: 0x82,
    python: 0x82,
  },
  {
    name: 'map 16',
    value: manyKeys,
    desc: D.map(Object.fromEntries(Object.entries(manyKeys).map(([k, v]) => [k, D.int(v)]))),
    ours: 0xde,
    python: 0xde,
  },
  {
    name: 'non-ASCII keys',
    value: { clé: 'valeur', 日本: '語', '🚀': null },
    desc: D.map({ clé: D.str('valeur'), 日本: D.str('語'), '🚀': D.nil }),
  },
  {
    name: 'JavaScript numbers beyond 32 bits nested in arrays and maps are ints',
    value: {
      amount: 5_000_000_000,
      refunds: [-2_147_483_649, 1, [2 ** 40]],
      ts: 1_700_000_000_123,
    },
    desc: D.map({
      amount: D.int(5_000_000_000),
      refunds: D.array([D.int(-2_147_483_649), D.int(1), D.array([D.int(2 ** 40)])]),
      ts: D.int(1_700_000_000_123),
    }),
    ours: 0x83,
    python: 0x83,
  },
  {
    name: 'nested structure',
    value: {
      orderId: 'o-1',
      amount: 12.5,
      items: [
        { sku: 'a', qty: 2, tags: ['x', 'y'] },
        { sku: 'b', qty: 300, tags: [] },
      ],
      flags: { paid: true, note: null, raw: Buffer.from([0xde, 0xad]) },
      big: 2n ** 63n - 1n,
      deep: [[[[{ level: 4 }]]]],
    },
    desc: D.map({
      orderId: D.str('o-1'),
      amount: D.float(12.5),
      items: D.array([
        D.map({ sku: D.str('a'), qty: D.int(2), tags: D.array([D.str('x'), D.str('y')]) }),
        D.map({ sku: D.str('b'), qty: D.int(300), tags: D.array([]) }),
      ]),
      flags: D.map({ paid: D.bool(true), note: D.nil, raw: D.bin(Buffer.from([0xde, 0xad])) }),
      big: D.int(2n ** 63n - 1n),
      deep: D.array([D.array([D.array([D.array([D.map({ level: D.int(4) })])])])]),
    }),
  },
];

/** Normalises what our codec decodes so that Jest compares bytes as bytes and -0 apart from 0. */
function comparable(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : v;
  if (Array.isArray(v)) return v.map(comparable);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, comparable(x)]));
  }
  return v;
}

describe('msgpack across languages', () => {
  const toPython = msgpackCases.filter((c) => c.only !== 'python-to-js');
  const fromPython = msgpackCases.filter((c) => c.only !== 'js-to-python');
  let ours: Buffer[];
  let pythonRead: Desc[];
  let pythonWrote: Buffer[];

  beforeAll(() => {
    ours = toPython.map((c) => Buffer.from(msgpack.encode(c.value)));
    pythonRead = pythonCodec('msgpack-decode', ours);
    pythonWrote = pythonCodec(
      'msgpack-encode',
      fromPython.map((c) => c.desc),
    );
  });

  it.each(toPython.map((c, i) => [c.name, i] as const))(
    'Python msgpack reads what our codec writes: %s',
    (_, i) => {
      const c = toPython[i] as MsgpackCase;
      if (c.ours !== undefined) expect(ours[i]?.[0]).toBe(c.ours);
      expect(pythonRead[i]).toEqual(c.desc);
    },
  );

  it.each(fromPython.map((c, i) => [c.name, i] as const))(
    'our codec reads what Python msgpack writes: %s',
    (_, i) => {
      const c = fromPython[i] as MsgpackCase;
      const bytes = pythonWrote[i] as Buffer;
      if (c.python !== undefined) expect(bytes[0]).toBe(c.python);
      const expected = 'decoded' in c ? c.decoded : c.value;
      expect(comparable(msgpack.decode(bytes))).toEqual(comparable(expected));
    },
  );

  it('Python reads our metadata frame as the documented map', () => {
    const frame = encodeMeta({
      id: 'c0ffee00-0000-4000-8000-000000000001',
      timestamp: 1_700_000_000_123,
      contentType: 'application/json',
      topic: 'orders.created',
      headers: { tenant: 'acme', 'trace-id': 'é🚀' },
    });
    const [desc] = pythonCodec('msgpack-decode', [frame]);
    expect(desc).toEqual(
      D.map({
        v: D.int(1),
        id: D.str('c0ffee00-0000-4000-8000-000000000001'),
        // Our clients write ts as an integer (int64); the README lets other writers use a float.
        ts: D.int(1_700_000_000_123),
        ct: D.str('application/json'),
        t: D.str('orders.created'),
        h: D.map({ tenant: D.str('acme'), 'trace-id': D.str('é🚀') }),
      }),
    );
  });

  it('a whole envelope written by Python (body and metadata) decodes with our protocol', () => {
    const body = D.map({ orderId: D.str('o-7'), amount: D.float(9.75), qty: D.int(3) });
    const meta = D.map({
      v: D.int(1),
      id: D.str('py-1'),
      ts: D.int(1_700_000_000_123),
      ct: D.str('application/msgpack'),
      t: D.str('orders.created'),
      h: D.map({ from: D.str('python') }),
      future: D.str('unknown keys are ignored'),
    });
    const [payload, metaFrame] = pythonCodec('msgpack-encode', [body, meta]) as [Buffer, Buffer];
    const frames = [Buffer.concat([Buffer.from('orders.created '), payload]), metaFrame];
    const env = decodeEnvelope(frames, { codec: msgpack });
    expect(env.topic).toBe('orders.created');
    expect(env.body).toEqual({ orderId: 'o-7', amount: 9.75, qty: 3 });
    expect(env.meta).toMatchObject({
      id: 'py-1',
      timestamp: 1_700_000_000_123,
      contentType: 'application/msgpack',
      topic: 'orders.created',
      headers: { from: 'python' },
      bare: false,
    });
    expect(decodeMeta(metaFrame).timestamp).toBe(1_700_000_000_123);
  });

  it('Python reads the body of an envelope our protocol encodes', () => {
    const body = { id: 7, name: 'café', amount: 5_000_000_000 };
    const [frame0] = encodeEnvelope('orders.created', body, msgpack);
    const payload = (frame0 as Buffer).subarray('orders.created '.length);
    expect(pythonCodec('msgpack-decode', [payload])).toEqual([
      D.map({ id: D.int(7), name: D.str('café'), amount: D.int(5_000_000_000) }),
    ]);
  });
});

const jsonCases: Array<[string, unknown]> = [
  ['null', null],
  ['booleans', [true, false]],
  ['integers', [0, -1, 42, 2 ** 53 - 1, -(2 ** 53 - 1)]],
  ['floats', [1.5, 0.1, -2.5e-300, 1e300, Number.MAX_VALUE]],
  ['empty string', ''],
  ['non-ASCII text', 'héllo wörld, 日本語, Ελληνικά, עברית'],
  ['characters beyond the BMP (surrogate pairs in escapes)', '🚀 𝄞 👩‍👩‍👧'],
  ['escapes', 'quote " backslash \\ slash / newline \n tab \t cr \r nul \u0000 bell \u0007'],
  ['line and paragraph separators', 'a\u2028b\u2029c'],
  ['empty containers', { a: [], o: {} }],
  ['non-ASCII keys', { clé: 1, 日本: 'x', '🚀': [true] }],
  [
    'nested structure',
    {
      orderId: 'o-1',
      amount: 12.5,
      items: [{ sku: 'a', qty: 2, tags: ['x', 'é'] }],
      flags: { paid: true, note: null },
    },
  ],
];

describe('JSON across languages', () => {
  let pythonRead: Desc[];
  let pythonAscii: Buffer[];
  let pythonUtf8: Buffer[];

  beforeAll(() => {
    pythonRead = pythonCodec(
      'json-decode',
      jsonCases.map(([, v]) => json.encode(v)),
    );
    pythonAscii = pythonCodec(
      'json-encode',
      jsonCases.map(([, v]) => [describeJson(v), true] as const),
    );
    pythonUtf8 = pythonCodec(
      'json-encode',
      jsonCases.map(([, v]) => [describeJson(v), false] as const),
    );
  });

  it.each(jsonCases.map(([name], i) => [name, i] as const))(
    'Python json reads what our codec writes, and we read what Python writes: %s',
    (_, i) => {
      const value = (jsonCases[i] as [string, unknown])[1];
      expect(pythonRead[i]).toEqual(describeJson(value));
      expect(json.decode(pythonAscii[i] as Buffer)).toEqual(value);
      expect(json.decode(pythonUtf8[i] as Buffer)).toEqual(value);
    },
  );

  it('Python writes non-ASCII as \\u escapes (surrogate pairs beyond the BMP) or as UTF-8, and we read both', () => {
    for (const text of pythonAscii) expect(text.every((b) => b < 0x80)).toBe(true);
    const [escaped, utf8] = pythonCodec('json-encode', [
      [D.str('é🚀'), true],
      [D.str('é🚀'), false],
    ]) as [Buffer, Buffer];
    expect(escaped.toString()).toBe('"\\u00e9\\ud83d\\ude80"');
    expect(json.decode(escaped)).toBe('é🚀');
    expect(utf8).toEqual(Buffer.from('"é🚀"', 'utf8'));
    expect(json.decode(utf8)).toBe('é🚀');
  });

  it('a float that JavaScript writes as an integer reaches Python as an int', () => {
    expect(pythonCodec('json-decode', [json.encode([1.0, 1e21, -0])])).toEqual([
      D.array([D.int(1), ['float', doubleHex(1e21)], D.int(0)]),
    ]);
  });
});
