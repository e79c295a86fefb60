// Fuzzing the wire contract's decoders with generated input: frame 0, topics, the metadata
// frame and whole envelopes, and the ZMTP frame reader the broker's work path runs on. Any
// input is decoded or refused with a coded error (ZMQMQ_ERR_…), never another exception; what
// is valid round-trips. Seeded and counted (fuzzParameters); `npm run fuzz -- --runs N` runs
// the same properties N times each with a fresh seed.
import { inspect, isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import {
  decodeEnvelope,
  decodeWorkItem,
  encodeEnvelope,
  encodeFrame,
  encodeZmtpFrame,
  isValidTopic,
  jsonCodec,
  matchesSubscription,
  msgpackCodec,
  parseFrame,
  payloadOf,
  prefixSubscription,
  splitFrame,
  topicProblem,
  zmtpGreeting,
  zmtpReady,
  ZmqMqError,
  ZmtpFrameReader,
  ZmtpProtocolError,
  type Codec,
} from '../src';
import {
  arbPayload,
  arbTopic,
  countGenerated,
  fuzzParameters,
  fuzzReport,
  pythonSplit,
} from '../src/testing';

afterAll(() => console.log(fuzzReport()));

/**
 * Runs `check` on batches of 20 to 40 generated values under the fuzzing settings of `name`
 * (a batch per run: fast-check's cost is per run, and a shrunk failure is still one value),
 * counting each value as one generated message.
 */
function fuzz<T>(
  name: string,
  defaultRuns: number,
  arb: fc.Arbitrary<T>,
  check: (value: T) => void,
): void {
  fc.assert(
    fc.property(fc.array(arb, { minLength: 20, maxLength: 40 }), (values) => {
      countGenerated(name, values.length);
      for (const value of values) check(value);
    }),
    fuzzParameters(name, defaultRuns),
  );
}

/** Throws with `what` unless `holds`: cheaper than expect() at this many checks. */
function ok(holds: boolean, what: string): void {
  if (!holds) throw new Error(what);
}

function same(a: unknown, b: unknown, what: string): void {
  if (!isDeepStrictEqual(a, b)) throw new Error(`${what}: ${inspect(a)} !== ${inspect(b)}`);
}

/** Runs `decode`; returns nothing if it decoded, and fails on anything but a coded error. */
function decodedOrCoded(decode: () => unknown): ZmqMqError | undefined {
  try {
    decode();
    return undefined;
  } catch (err) {
    if (err instanceof ZmqMqError && /^ZMQMQ_ERR_[A-Z_]+$/.test(err.code)) return err;
    throw err;
  }
}

/** Bytes with many spaces, NULs, 0xFF and UTF-8 lead bytes among them. */
const arbBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  arbPayload,
  fc
    .array(fc.constantFrom(0x20, 0x00, 0xff, 0xc2, 0x80, 0x2e, 0x61, 0x7f, 0xe6), { maxLength: 64 })
    .map((b) => Uint8Array.from(b)),
);

const codecs: Array<Codec<unknown>> = [jsonCodec(), msgpackCodec()];

/**
 * JSON bodies two levels deep at most, cheap to make by the thousand, without a `__proto__` key
 * (msgpack renames it: see arbJsonBody).
 */
const arbSmallBody = fc
  .jsonValue({ maxDepth: 2 })
  .filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const json = codecs[0] as Codec<unknown>;

describe('fuzzing the decoders', () => {
  it('frame 0: any bytes split as Python splits them; parseFrame refuses with a coded error', () => {
    fuzz('frame', 1000, arbBytes, (bytes) => {
      const split = splitFrame(bytes);
      const model = pythonSplit(bytes);
      ok(split.hasSeparator === (model.length === 2), 'a separator where Python splits');
      ok(Buffer.compare(split.payload, model[model.length - 1] as Uint8Array) === 0, 'payload');
      ok(Buffer.compare(payloadOf(bytes), split.payload) === 0, 'payloadOf');
      let parsed: ReturnType<typeof parseFrame> | undefined;
      const refused = decodedOrCoded(() => (parsed = parseFrame(bytes)));
      if (refused === undefined) {
        ok(isValidTopic(parsed!.topic), 'a parsed topic is valid');
        ok(Buffer.compare(parsed!.payload, split.payload) === 0, 'the parsed payload');
      }
    });
  });

  it('topics: any string is judged without throwing; a valid one frames, parses and matches its prefixes', () => {
    const arbText = fc.oneof(arbTopic, fc.string({ unit: 'binary', maxLength: 300 }));
    fuzz('topic', 800, fc.tuple(arbText, arbPayload), ([topic, payload]) => {
      const problem = topicProblem(topic);
      ok(isValidTopic(topic) === (problem === undefined), 'isValidTopic agrees with topicProblem');
      if (problem !== undefined) {
        ok(decodedOrCoded(() => encodeFrame(topic, payload)) !== undefined, 'refused to frame');
        return;
      }
      const frame = encodeFrame(topic, payload);
      ok(parseFrame(frame).topic === topic, 'the topic parses back');
      const bytes = Buffer.from(topic, 'utf8');
      for (const cut of [0, 1, bytes.length >> 1, bytes.length]) {
        const prefix = bytes.subarray(0, cut);
        ok(matchesSubscription(frame, prefix), 'a byte prefix matches');
        const text = prefix.toString('utf8');
        if (Buffer.from(text, 'utf8').equals(prefix)) {
          ok(matchesSubscription(frame, prefixSubscription(text)), 'a prefix subscription matches');
        }
      }
      ok(
        !matchesSubscription(frame, Buffer.concat([bytes, Buffer.from('~')])),
        'no overlong match',
      );
    });
  });

  const arbEnvelope = fc.record({
    topic: arbTopic,
    body: arbSmallBody,
    codec: fc.constantFrom(...codecs),
    headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), {
      nil: undefined,
    }),
    schemaVersion: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  });

  it('envelopes: what is encoded decodes, from the publish side and as a work item', () => {
    fuzz('envelope', 500, arbEnvelope, (e) => {
      const frames = encodeEnvelope(e.topic, e.body, e.codec, {
        ...(e.headers !== undefined ? { headers: e.headers } : {}),
        ...(e.schemaVersion !== undefined ? { schemaVersion: e.schemaVersion } : {}),
      });
      const env = decodeEnvelope(frames, { codec: json });
      same(env.topic, e.topic, 'topic');
      same(env.body, e.codec.decode(e.codec.encode(e.body)), 'body');
      const plain = (h?: Record<string, string>): object | undefined => h && { ...h };
      same(plain(env.meta.headers), plain(e.headers), 'headers');
      same(env.meta.schemaVersion ?? 1, e.schemaVersion ?? 1, 'schema version (absent is 1)');
      const work = decodeWorkItem([payloadOf(frames[0] as Buffer), frames[1] as Buffer], {
        codec: json,
      });
      same(work.topic, e.topic, 'work item topic');
      same(work.body, env.body, 'work item body');
    });
  });

  it('envelopes cut short or corrupted decode or are refused with a coded error', () => {
    const arbDamage = fc.record({
      envelope: arbEnvelope,
      which: fc.constantFrom(0, 1),
      how: fc.constantFrom('truncate', 'flip', 'replace'),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      noise: arbBytes,
    });
    fuzz('damaged envelope', 500, arbDamage, (d) => {
      const frames = encodeEnvelope(d.envelope.topic, d.envelope.body, d.envelope.codec);
      const frame = Buffer.from(frames[d.which] as Buffer);
      const at = frame.length === 0 ? 0 : d.at % frame.length;
      const damaged =
        d.how === 'truncate'
          ? frame.subarray(0, at)
          : d.how === 'flip'
            ? Buffer.concat([frame.subarray(0, at), Buffer.from([d.byte]), frame.subarray(at + 1)])
            : Buffer.from(d.noise);
      frames[d.which] = damaged;
      decodedOrCoded(() => decodeEnvelope(frames, { codec: d.envelope.codec }));
      decodedOrCoded(() => decodeWorkItem(frames, { codec: d.envelope.codec }));
    });
  });

  const arbMessage = fc.array(fc.uint8Array({ maxLength: 400 }), { minLength: 1, maxLength: 5 });

  it('the ZMTP reader gives the same messages however a stream is cut, and measures what is past its limits', () => {
    const arbStream = fc.record({
      messages: fc.array(arbMessage, { minLength: 1, maxLength: 30 }),
      cuts: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 20 }),
      maxBytes: fc.integer({ min: 0, max: 1200 }),
      maxFrames: fc.integer({ min: 1, max: 5 }),
    });
    const name = 'zmtp message';
    fc.assert(
      fc.property(arbStream, (s) => {
        countGenerated(name, s.messages.length);
        const wire = Buffer.concat([
          zmtpGreeting(),
          zmtpReady('PUB'),
          ...s.messages.flatMap((frames) =>
            frames.map((f, i) => encodeZmtpFrame(f, i < frames.length - 1 ? 1 : 0)),
          ),
        ]);
        const kept: Buffer[][] = [];
        const oversized: Array<[number, number]> = [];
        const reader = new ZmtpFrameReader(
          (frames) => kept.push(frames.map((f) => Buffer.from(f))),
          undefined,
          { maxBytes: s.maxBytes, maxFrames: s.maxFrames },
          (bytes, frames) => oversized.push([bytes, frames]),
        );
        for (let at = 0, i = 0; at < wire.length; i++) {
          const size = s.cuts[i % s.cuts.length] as number;
          reader.push(wire.subarray(at, at + size));
          at += size;
        }
        const expectKept = s.messages.filter(
          (m) => m.length <= s.maxFrames && m.reduce((n, f) => n + f.length, 0) <= s.maxBytes,
        );
        same(
          kept.map((m) => m.map((f) => f.toString('hex'))),
          expectKept.map((m) => m.map((f) => Buffer.from(f).toString('hex'))),
          'the messages kept',
        );
        same(
          oversized,
          s.messages
            .filter((m) => !expectKept.includes(m))
            .map((m) => [m.reduce((n, f) => n + f.length, 0), m.length]),
          'the messages measured',
        );
      }),
      fuzzParameters(name, 1500),
    );
  });

  it('the ZMTP reader takes any bytes, in a greeting or after one, as frames or a ZmtpProtocolError', () => {
    fuzz('zmtp bytes', 600, fc.tuple(fc.boolean(), arbBytes), ([greeted, bytes]) => {
      const reader = new ZmtpFrameReader(() => undefined, undefined, { maxBytes: 1024 });
      try {
        if (greeted) reader.push(Buffer.concat([zmtpGreeting(), zmtpReady('PUB')]));
        reader.push(Buffer.from(bytes));
      } catch (err) {
        if (!(err instanceof ZmtpProtocolError)) throw err;
        ok(!greeted, 'after a greeting, frames are only measured');
      }
    });
  });
});
