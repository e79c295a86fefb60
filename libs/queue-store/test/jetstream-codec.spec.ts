// The JetStream store's encodings and names, in memory: what it writes into JetStream and reads
// back, and the parts of JetStream's wire it parses.
import fc from 'fast-check';
import {
  decodeDead,
  decodeMessage,
  encodeDead,
  encodeMessage,
  encodeMsgIdHeader,
  msgIdHeaderBytes,
} from '../src/jetstream/codec';
import { parseAckSubject } from '../src/jetstream/link';
import {
  decodeQueueName,
  encodeQueueName,
  queueNames,
  seqOfDeadSubject,
} from '../src/jetstream/names';
import { StoreErrorCode } from '../src';

const arbMessage = fc.record({
  frames: fc.array(
    fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a)),
    { minLength: 1, maxLength: 4 },
  ),
  topic: fc.string({ maxLength: 20 }),
  id: fc.string({ maxLength: 20 }),
  publishedAt: fc.integer({ min: 0, max: 2 ** 45 }),
});

describe('JetStream store encodings', () => {
  it('reads back every message and dead letter as written', () => {
    fc.assert(
      fc.property(arbMessage, fc.string(), fc.nat(250), (m, reason, attempts) => {
        expect(decodeMessage(encodeMessage(m), 'test')).toEqual(m);
        const dead = { reason, attempts, deadAt: 1_700_000_000_000, message: m };
        expect(decodeDead(encodeDead(dead), 'test')).toEqual(dead);
      }),
    );
  });

  it('tells corrupt and truncated records apart from good ones', () => {
    const good = encodeMessage({
      frames: [Buffer.from('a b')],
      topic: 'a',
      id: 'x',
      publishedAt: 1,
    });
    for (const bad of [good.subarray(0, good.length - 1), Buffer.from([0xc1]), Buffer.from('{}')]) {
      expect(() => decodeMessage(bad, 'test')).toThrow(
        expect.objectContaining({ code: StoreErrorCode.Corrupt }),
      );
    }
  });

  it('counts the Nats-Msg-Id header it writes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 255 }), (id) => {
        expect(msgIdHeaderBytes(id)).toBe(encodeMsgIdHeader(id).length);
      }),
    );
    expect(msgIdHeaderBytes(undefined)).toBe(0);
  });

  it('maps every queue name to JetStream names one to one', () => {
    const names = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
    fc.assert(
      fc.property(names, names, (a, b) => {
        expect(decodeQueueName(encodeQueueName(a))).toBe(a);
        if (a !== b) expect(encodeQueueName(a)).not.toBe(encodeQueueName(b));
        expect(queueNames('zmqmq', a).stream).toMatch(/^[A-Za-z0-9_-]+$/);
      }),
    );
    expect(queueNames('zmqmq', 'orders.eu_1')).toMatchObject({
      stream: 'zmqmq_q_orders_deu__1',
      subject: 'zmqmq.q.orders_deu__1',
    });
    expect(seqOfDeadSubject(queueNames('ns', 'q').deadSubject(42))).toBe(42);
  });

  it('reads the stream seq and delivery count of both ack subject layouts', () => {
    expect(parseAckSubject('$JS.ACK.S.C.3.17.40.1796561473519777676.5')).toEqual({
      seq: 17,
      deliveries: 3,
    });
    expect(parseAckSubject('$JS.ACK.dom.acchash.S.C.2.9.12.1796561473519777676.0.rnd')).toEqual({
      seq: 9,
      deliveries: 2,
    });
    expect(parseAckSubject('_INBOX.x.y')).toBeUndefined();
    expect(parseAckSubject('$JS.ACK.S.C.x.y')).toBeUndefined();
  });
});
