// Fuzzing the broker's message handling: generated messages (valid, empty, without a space,
// with an invalid topic, too large, of too many frames, any bytes) from a producer over real
// loopback TCP, against a model of what the README promises: the subscriber gets every message
// unchanged, the worker gets each pushable one with its topic stripped, in order, and the
// counters say what happened to each. The peers speak ZMTP from Node's `net` (RawPeer and
// ZmtpFrameReader), so a generated batch costs the broker's work, not zeromq.js's. Seeded and
// counted (fuzzParameters); `npm run fuzz -- --runs N` runs it N batches with a fresh seed.
import { isUtf8 } from 'node:buffer';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { encodeZmtpFrame, isValidTopic, MAX_TOPIC_BYTES, ZmtpFrameReader } from '@zmq-mq/protocol';
import {
  countGenerated,
  fuzzParameters,
  fuzzReport,
  RawPeer,
  zmtpHandshake,
  zmtpSubscription,
} from '@zmq-mq/protocol/testing';
import type { Broker, BrokerEndpoints, BrokerStatsSnapshot } from '../src';
import { startBroker, waitFor } from './helpers';

/** The largest frame and message the fuzzed broker takes (its --max-message-bytes). */
const MAX_BYTES = 4096;
/** Most frames a message may have for the work path (MAX_MESSAGE_FRAMES). */
const MAX_FRAMES = 16;

/** A ZMTP peer of the broker: what it receives, message by message, as it comes. */
class Peer {
  readonly messages: Buffer[][] = [];
  private waiting: { count: number; resolve: () => void } | undefined;

  private constructor(readonly raw: RawPeer) {
    const reader = new ZmtpFrameReader((frames) => {
      this.messages.push(frames.map((f) => Buffer.from(f)));
      if (this.waiting !== undefined && this.messages.length >= this.waiting.count) {
        this.waiting.resolve();
        this.waiting = undefined;
      }
    });
    raw.socket.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  static async open(endpoint: string, type: 'PUB' | 'SUB' | 'PULL'): Promise<Peer> {
    const raw = await RawPeer.open(endpoint);
    await raw.write(zmtpHandshake(type));
    return new Peer(raw);
  }

  /** Resolves once `count` messages have come in all; rejects after 10 s. */
  until(count: number): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.messages.length} of ${count} messages came`)),
        10_000,
      );
      this.waiting = {
        count,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
    });
  }

  /** Resolves once a message whose frame 0 is `first` has come; rejects after 10 s without one. */
  async untilFirstFrame(first: Buffer): Promise<void> {
    for (let n = 0; !this.messages.some((m) => m[0]?.equals(first)); n++) {
      if (n === 1000) throw new Error(`no message ${first.toString()} in 1,000`);
      await this.until(this.messages.length + 1);
    }
  }

  send(messages: readonly Buffer[][]): Promise<void> {
    return this.raw.write(
      Buffer.concat(
        messages.flatMap((frames) =>
          frames.map((f, i) => encodeZmtpFrame(f, i < frames.length - 1 ? 1 : 0)),
        ),
      ),
    );
  }
}

/** What the broker does with one message, as libs/broker/README.md ("Bad input") says. */
type Outcome =
  | { kind: 'too-large' | 'empty' }
  | { kind: 'pushed'; malformed?: 'no-separator' | 'invalid-topic'; work: Buffer[] };

function model(frames: Buffer[]): Outcome {
  const size = frames.reduce((n, f) => n + f.length, 0);
  if (size > MAX_BYTES || frames.length > MAX_FRAMES) return { kind: 'too-large' };
  const first = frames[0] as Buffer;
  if (first.length === 0) return { kind: 'empty' };
  const at = first.indexOf(0x20);
  if (at < 0) return { kind: 'pushed', malformed: 'no-separator', work: frames };
  const topic = first.subarray(0, at);
  const valid = isUtf8(topic) && isValidTopic(topic.toString('utf8'));
  const work = [first.subarray(at + 1), ...frames.slice(1)];
  return valid ? { kind: 'pushed', work } : { kind: 'pushed', malformed: 'invalid-topic', work };
}

const bytes = (max: number): fc.Arbitrary<Buffer> =>
  fc
    .oneof(
      fc.uint8Array({ maxLength: max }),
      fc
        .array(fc.constantFrom(0x20, 0x00, 0x0a, 0x7f, 0xc2, 0x85, 0xff, 0x2e, 0x61), {
          maxLength: 40,
        })
        .map((b) => Uint8Array.from(b)),
    )
    .map((b) => Buffer.from(b));

const arbTopicBytes: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom('orders.created', 'a', 'é.日本', '\ufefftopic').map((t) => Buffer.from(t)),
  fc.constant(Buffer.alloc(MAX_TOPIC_BYTES, 0x61)),
  fc.constant(Buffer.alloc(MAX_TOPIC_BYTES + 1, 0x61)), // one byte too long
  fc.constant(Buffer.from([0x61, 0xc2, 0x85])), // a C1 control (NEL)
  fc.constant(Buffer.from([0x61, 0xff])), // not UTF-8
  bytes(20).map((b) => Buffer.from(b.filter((x) => x !== 0x20))),
);

/** Frame 0 of every kind the README names, and any bytes. */
const arbFirstFrame: fc.Arbitrary<Buffer> = fc
  .oneof(
    { weight: 4, arbitrary: fc.tuple(arbTopicBytes, bytes(300)) },
    { weight: 1, arbitrary: fc.tuple(fc.constant(null), bytes(300)) },
  )
  .map(([topic, payload]) =>
    topic === null ? payload : Buffer.concat([topic, Buffer.from(' '), payload]),
  );

/** A message: frame 0, then up to 19 frames of up to 1,500 bytes (so some pass the limits). */
const arbMessage: fc.Arbitrary<Buffer[]> = fc
  .tuple(
    arbFirstFrame,
    fc.oneof(
      { weight: 6, arbitrary: fc.array(bytes(100), { maxLength: 2 }) },
      { weight: 1, arbitrary: fc.array(bytes(1500), { maxLength: 19 }) },
    ),
  )
  .map(([first, rest]) => [first, ...rest]);

describe('fuzzing the broker with generated messages', () => {
  let broker: Broker | undefined;
  const peers: Peer[] = [];
  afterAll(async () => {
    for (const p of peers) p.raw.destroy();
    await broker?.stop();
    console.log(fuzzReport());
  });

  it('publishes every message unchanged, pushes each pushable one stripped, in order, and counts every outcome', async () => {
    const b = await startBroker({ maxMessageBytes: MAX_BYTES });
    broker = b;
    const ep = b.endpoints as BrokerEndpoints;
    const subscriber = await Peer.open(ep.publish, 'SUB');
    const worker = await Peer.open(ep.push, 'PULL');
    const producer = await Peer.open(ep.ingress, 'PUB');
    peers.push(subscriber, worker, producer);
    await waitFor(
      () =>
        isDeepStrictEqual(b.stats().peers, {
          producers: 1,
          subscribers: 1,
          workers: 1,
          clients: 0,
        }),
      5000,
      'the three peers',
    );
    // Subscribed to everything once its handshake is done; a probe proves the subscription.
    await subscriber.raw.write(zmtpSubscription(Buffer.alloc(0)));
    for (let n = 0; subscriber.messages.length === 0 && n < 500; n++) {
      await producer.send([[Buffer.from(`probe ${n}`)]]);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Probes sent before the first one arrived are still on their way; a last message behind
    // them (order holds on each path) keeps them out of the first batch and its counters.
    await producer.send([[Buffer.from('fuzz.ready probes sent')]]);
    await subscriber.untilFirstFrame(Buffer.from('fuzz.ready probes sent'));
    await worker.untilFirstFrame(Buffer.from('probes sent'));
    let seen = { sub: subscriber.messages.length, work: worker.messages.length };
    let before: BrokerStatsSnapshot = b.stats();
    let batch = 0;

    const name = 'broker message';
    await fc.assert(
      fc.asyncProperty(fc.array(arbMessage, { minLength: 20, maxLength: 40 }), async (messages) => {
        countGenerated(name, messages.length);
        // A last, valid message marks the batch's end on both paths.
        const end = [Buffer.from(`fuzz.end ${batch++}`)];
        const outcomes = [...messages, end].map(model);
        const pushed = outcomes.flatMap((o) => (o.kind === 'pushed' ? [o.work] : []));
        await producer.send([...messages, end]);
        await subscriber.until(seen.sub + messages.length + 1);
        await worker.until(seen.work + pushed.length);
        const published = subscriber.messages.slice(seen.sub);
        const work = worker.messages.slice(seen.work);
        seen = { sub: subscriber.messages.length, work: worker.messages.length };
        if (!isDeepStrictEqual(published, [...messages, end])) {
          throw new Error('the subscriber did not get every message unchanged and in order');
        }
        if (!isDeepStrictEqual(work, pushed)) {
          throw new Error('the worker did not get every pushable message, stripped, in order');
        }
        const after = b.stats();
        const count = (kind: string): number =>
          outcomes.filter((o) => o.kind === kind || (o.kind === 'pushed' && o.malformed === kind))
            .length;
        const delta = {
          received: after.received.messages - before.received.messages,
          pushed: after.pushed.messages - before.pushed.messages,
          tooLarge: after.malformed['too-large'] - before.malformed['too-large'],
          empty: after.dropped.empty - before.dropped.empty,
          noSeparator: after.malformed['no-separator'] - before.malformed['no-separator'],
          invalidTopic: after.malformed['invalid-topic'] - before.malformed['invalid-topic'],
          droppedTooLarge: after.dropped['too-large'] - before.dropped['too-large'],
        };
        const expected = {
          received: outcomes.length,
          pushed: pushed.length,
          tooLarge: count('too-large'),
          empty: count('empty'),
          noSeparator: count('no-separator'),
          invalidTopic: count('invalid-topic'),
          droppedTooLarge: count('too-large'),
        };
        if (!isDeepStrictEqual(delta, expected)) {
          throw new Error(
            `counters ${JSON.stringify(delta)}, expected ${JSON.stringify(expected)}`,
          );
        }
        before = after;
      }),
      fuzzParameters(name, 600),
    );
    // Nothing went anywhere else: no drop but those the model names, the peers still there.
    const s = b.stats();
    expect(s.dropped.total).toBe(s.dropped['too-large'] + s.dropped.empty);
    expect(s.peers).toEqual({ producers: 1, subscribers: 1, workers: 1, clients: 0 });
    expect(s.connections.producers.disconnected).toBe(0);
  });
});
