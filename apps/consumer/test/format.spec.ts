import { bareMeta } from '@zmq-mq/protocol';
import { formatDelivery, formatEnvelope } from '../src/format';

describe('formatEnvelope', () => {
  const meta = { ...bareMeta('application/octet-stream', 't'), timestamp: 1 };

  it('prints raw bodies as base64 and says so', () => {
    const line = formatEnvelope({ topic: 't', meta, body: Buffer.from('hello world') });
    expect(JSON.parse(line)).toEqual({
      topic: 't',
      meta: {
        id: '',
        timestamp: 1,
        contentType: 'application/octet-stream',
        bare: true,
        topic: 't',
      },
      body: Buffer.from('hello world').toString('base64'),
      encoding: 'base64',
    });
  });

  it('prints bigint as a decimal string and nested bytes as base64', () => {
    const body = { n: 2n ** 63n, bin: new Uint8Array([1, 2, 3]), buf: Buffer.from([255]), s: 'x' };
    expect(JSON.parse(formatEnvelope({ topic: 't', meta, body }))).toMatchObject({
      body: { n: '9223372036854775808', bin: 'AQID', buf: '/w==', s: 'x' },
    });
    expect(formatEnvelope({ topic: 't', meta, body })).not.toContain('\n');
  });
});

describe('formatDelivery', () => {
  it('puts the queue and the attempt first', () => {
    const meta = { ...bareMeta('application/json', 'orders.new'), timestamp: 1 };
    const line = formatDelivery({
      queue: 'orders',
      attempt: 2,
      topic: 'orders.new',
      meta,
      body: { n: 1 },
    });
    expect(Object.keys(JSON.parse(line))).toEqual(['queue', 'attempt', 'topic', 'meta', 'body']);
    expect(JSON.parse(line)).toMatchObject({ queue: 'orders', attempt: 2, body: { n: 1 } });
  });
});
