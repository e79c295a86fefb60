import { encodeEnvelope, msgpack, json, type DeadLetterView } from '@zmq-mq/protocol';
import type { DeadLetter } from '@zmq-mq/queue-store';
import { deadLetterView } from '../src/reliable/queue-api';

function dead(frames: Buffer[], topic: string, id: string): DeadLetter {
  return {
    queue: 'orders',
    seq: 7,
    message: { frames, topic, id, publishedAt: 1_000 },
    reason: 'term: total missing',
    attempts: 2,
    deadAt: 2_000,
  };
}

describe('a dead letter as the /queues API shows it', () => {
  it('gives a UTF-8 payload as text, and the metadata frame decoded', () => {
    const frames = encodeEnvelope('orders.created', { order: 7 }, json, {
      id: 'o-7',
      timestamp: 900,
      headers: { tenant: 'acme' },
    });
    expect(deadLetterView(dead(frames, 'orders.created', 'o-7'))).toEqual({
      seq: 7,
      id: 'o-7',
      topic: 'orders.created',
      reason: 'term: total missing',
      attempts: 2,
      deadAt: 2_000,
      publishedAt: 1_000,
      payload: '{"order":7}',
      encoding: 'utf8',
      payloadBytes: 11,
      meta: {
        id: 'o-7',
        timestamp: 900,
        contentType: 'application/json',
        topic: 'orders.created',
        headers: { tenant: 'acme' },
      },
    } satisfies DeadLetterView);
  });

  it('gives any other payload as base64, its length in bytes', () => {
    const frames = encodeEnvelope('orders.created', { order: 8 }, msgpack, { id: 'o-8' });
    const view = deadLetterView(dead(frames, 'orders.created', 'o-8'));
    expect(view).toMatchObject({ encoding: 'base64', payloadBytes: 8 });
    expect(Buffer.from(view.payload, 'base64')).toEqual(
      Buffer.from([0x81, 0xa5, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x08]),
    );
    expect(view.meta).toMatchObject({ contentType: 'application/msgpack' });
  });

  it('leaves out a metadata frame that is none, and takes a bare frame as it came', () => {
    const view = deadLetterView(
      dead([Buffer.from('plain.topic hello'), Buffer.from('not msgpack')], 'plain.topic', ''),
    );
    expect(view).toMatchObject({ payload: 'hello', encoding: 'utf8', payloadBytes: 5, id: '' });
    expect(view).not.toHaveProperty('meta');
    expect(deadLetterView(dead([Buffer.from('no-separator')], 'no-separator', ''))).toMatchObject({
      payload: 'no-separator',
      payloadBytes: 12,
    });
  });
});
