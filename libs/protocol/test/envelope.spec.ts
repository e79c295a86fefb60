import fc from 'fast-check';
import {
  CodecError,
  decodeEnvelope,
  decodeMeta,
  decodeWorkItem,
  encodeEnvelope,
  encodeMeta,
  FrameError,
  json,
  MetaError,
  msgpack,
  payloadOf,
  raw,
} from '../src';
import { arbJsonBody, arbTopic } from '../src/testing';

describe('envelope', () => {
  it('encodes frame 0 plus a metadata frame and decodes both back', () => {
    const frames = encodeEnvelope('orders.created', { id: 7 }, msgpack, {
      id: 'm-1',
      timestamp: 1700000000000,
      headers: { trace: 'abc' },
    });
    expect(frames).toHaveLength(2);
    expect(frames[0]!.subarray(0, 15).toString()).toBe('orders.created ');
    const env = decodeEnvelope(frames, { codec: json });
    expect(env).toEqual({
      topic: 'orders.created',
      body: { id: 7 },
      meta: {
        id: 'm-1',
        timestamp: 1700000000000,
        contentType: 'application/msgpack',
        topic: 'orders.created',
        headers: { trace: 'abc' },
        bare: false,
      },
    });
  });

  it('fills in a unique id and the time', () => {
    const before = Date.now();
    const a = decodeEnvelope(encodeEnvelope('t', 1, json), { codec: json });
    const b = decodeEnvelope(encodeEnvelope('t', 1, json), { codec: json });
    expect(a.meta.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.meta.id).not.toBe(b.meta.id);
    expect(a.meta.timestamp).toBeGreaterThanOrEqual(before);
    expect(a.meta.timestamp).toBeLessThanOrEqual(Date.now());
  });

  it('decodes a bare single frame (what a plain ZeroMQ client sends) with defaults', () => {
    const env = decodeEnvelope([Buffer.from('abc hello1700000000.5')], { codec: raw });
    expect(env.topic).toBe('abc');
    expect(Buffer.from(env.body as Uint8Array).toString()).toBe('hello1700000000.5');
    expect(env.meta).toMatchObject({ id: '', contentType: 'application/octet-stream', bare: true });
    const bareJson = decodeEnvelope([Buffer.from('abc {"a":1}')], { codec: json });
    expect(bareJson.body).toEqual({ a: 1 });
  });

  it('round-trips arbitrary envelopes for every codec', () => {
    fc.assert(
      fc.property(arbTopic, arbJsonBody, fc.boolean(), (topic, body, withMeta) => {
        for (const codec of [json, msgpack]) {
          const frames = encodeEnvelope(topic, body, codec, {}, withMeta);
          const env = decodeEnvelope(frames, { codec });
          expect(env.topic).toBe(topic);
          expect(JSON.stringify(env.body)).toBe(JSON.stringify(body));
          expect(env.meta.bare).toBe(!withMeta);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('lets the content type pick the codec', () => {
    const frames = encodeEnvelope('t', { x: 1 }, msgpack);
    expect(decodeEnvelope(frames, { codec: json }).body).toEqual({ x: 1 });
    expect(() => decodeEnvelope(frames, { codec: json, useContentType: false })).toThrow(
      CodecError,
    );
  });

  it('decodes a work item whose topic the broker stripped', () => {
    const frames = encodeEnvelope('jobs.resize', { w: 100 }, json);
    const pushed = [payloadOf(frames[0]!), frames[1]!];
    const env = decodeWorkItem(pushed, { codec: raw });
    expect(env.topic).toBe('jobs.resize');
    expect(env.body).toEqual({ w: 100 });
    const bare = decodeWorkItem([Buffer.from('hello')], { codec: raw });
    expect(bare.topic).toBe('');
    expect(Buffer.from(bare.body as Uint8Array).toString()).toBe('hello');
  });

  it('rejects malformed frames and metadata with precise errors', () => {
    expect(() => decodeEnvelope([], { codec: json })).toThrow(FrameError);
    expect(() => decodeWorkItem([], { codec: json })).toThrow(FrameError);
    expect(() => decodeEnvelope([Buffer.from('nospace')], { codec: json })).toThrow(/no space/);
    expect(() =>
      decodeEnvelope([Buffer.from('t 1'), Buffer.from([0xc1, 0x00])], { codec: json }),
    ).toThrow(MetaError);
    expect(() => decodeMeta(msgpack.encode([1, 2]))).toThrow(/not a msgpack map/);
    expect(() => decodeMeta(msgpack.encode({ v: 1, id: 5, ts: 1, ct: 'x' }))).toThrow(/`id`/);
    expect(() => decodeMeta(msgpack.encode({ v: 1, id: 'a', ts: 'x', ct: 'x' }))).toThrow(/`ts`/);
    expect(() => decodeMeta(msgpack.encode({ v: 1, id: 'a', ts: 1 }))).toThrow(/`ct`/);
    expect(() => decodeMeta(msgpack.encode({ id: 'a', ts: 1, ct: 'x' }))).toThrow(/version/);
    expect(() =>
      decodeMeta(msgpack.encode({ v: 1, id: 'a', ts: 1, ct: 'x', h: { a: 1 } })),
    ).toThrow(/header/);
    expect(() => decodeEnvelope([Buffer.from('t {bad')], { codec: json })).toThrow(CodecError);
  });

  it('refuses to send metadata that every receiver would refuse', () => {
    const meta = { id: 'x', contentType: 'application/json', timestamp: 5 };
    const sent = (m: Record<string, unknown>) => () =>
      encodeEnvelope('t', 1, json, m as Parameters<typeof encodeEnvelope>[3]);
    for (const timestamp of [NaN, Infinity, -Infinity, '5']) {
      expect(sent({ timestamp })).toThrow(MetaError);
      expect(sent({ timestamp })).toThrow(/cannot send metadata: `timestamp` must be a finite/);
    }
    expect(sent({ id: 7 })).toThrow(/`id` must be a string, got number/);
    expect(sent({ headers: { a: 1 } })).toThrow(/header "a" must be a string/);
    expect(sent({ headers: ['a'] })).toThrow(/`headers` must be an object/);
    expect(() => encodeMeta({ ...meta, topic: 5 as unknown as string })).toThrow(/`topic`/);
    expect(() => encodeMeta({ ...meta, contentType: 1 as unknown as string })).toThrow(
      /`contentType`/,
    );
    // What it accepts, a receiver reads back.
    const ok = encodeEnvelope('t', 1, json, { id: 'i', timestamp: -1.5, headers: { a: 'b' } });
    expect(decodeEnvelope(ok, { codec: json }).meta).toMatchObject({ id: 'i', timestamp: -1.5 });
  });

  it('writes a whole-millisecond ts as an integer and reads ts of any numeric type', () => {
    const meta = { id: 'x', contentType: 'application/json' };
    const ms = Buffer.from(encodeMeta({ ...meta, timestamp: 1_700_000_000_123 }));
    expect(ms.toString('hex')).toContain(
      `a27473d3${(1_700_000_000_123).toString(16).padStart(16, '0')}`,
    );
    expect(decodeMeta(ms).timestamp).toBe(1_700_000_000_123);
    const frac = Buffer.from(encodeMeta({ ...meta, timestamp: 1.5 }));
    expect(frac.toString('hex')).toContain('a27473cb3ff8000000000000');
    expect(decodeMeta(frac).timestamp).toBe(1.5);
    // Other writers: uint64 (Python's msgpack for big ints), int 32 and float 64.
    const frame = (ts: Buffer) =>
      Buffer.concat([Buffer.from('84a17601a26964a178a26374a0a27473', 'hex'), ts]);
    const uint64 = Buffer.alloc(9, 0xcf);
    uint64.writeBigUInt64BE(1_700_000_000_123n, 1);
    const float64 = Buffer.alloc(9, 0xcb);
    float64.writeDoubleBE(1_700_000_000_123.5, 1);
    expect(decodeMeta(frame(uint64)).timestamp).toBe(1_700_000_000_123);
    expect(decodeMeta(frame(Buffer.from('d2ffffffff', 'hex'))).timestamp).toBe(-1);
    expect(decodeMeta(frame(float64)).timestamp).toBe(1_700_000_000_123.5);
  });

  it('carries a schema version as `sv`, absent for version 1', () => {
    const meta = { id: 'x', timestamp: 5, contentType: 'application/json' };
    expect(msgpack.decode(encodeMeta({ ...meta, schemaVersion: 3 }))).toEqual({
      v: 1,
      id: 'x',
      ts: 5,
      ct: 'application/json',
      sv: 3,
    });
    expect(decodeMeta(encodeMeta({ ...meta, schemaVersion: 3 })).schemaVersion).toBe(3);
    // Version 1 is written as before: the frame is byte for byte the one without a version.
    expect(encodeMeta({ ...meta, schemaVersion: 1 })).toEqual(encodeMeta(meta));
    expect(decodeMeta(encodeMeta(meta))).not.toHaveProperty('schemaVersion');
    const frames = encodeEnvelope('t', 1, json, { schemaVersion: 2 });
    expect(decodeEnvelope(frames, { codec: json }).meta.schemaVersion).toBe(2);
    for (const sv of [0, -1, 1.5, '2', 2 ** 53]) {
      const bad = msgpack.encode({ v: 1, id: 'a', ts: 1, ct: 'x', sv });
      expect(() => decodeMeta(bad)).toThrow(/`sv` must be an integer from 1/);
      expect(() => encodeMeta({ ...meta, schemaVersion: sv as number })).toThrow(
        /`schemaVersion` must be an integer from 1/,
      );
    }
  });

  it('keeps the metadata frame standard msgpack with short keys', () => {
    const bytes = encodeMeta({
      id: 'x',
      timestamp: 5,
      contentType: 'application/json',
      topic: 't',
    });
    expect(msgpack.decode(bytes)).toEqual({ v: 1, id: 'x', ts: 5, ct: 'application/json', t: 't' });
  });
});
