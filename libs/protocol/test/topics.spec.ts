import fc from 'fast-check';
import {
  assertTopic,
  exactSubscription,
  isValidTopic,
  matchesSubscription,
  MAX_TOPIC_BYTES,
  prefixSubscription,
  TopicError,
  topicProblem,
  topicSegments,
} from '../src';
import { arbTopic } from '../src/testing';

describe('topics', () => {
  it.each(['abc', 'orders.created', 'a', 'é.日本', '🚀', 'x'.repeat(MAX_TOPIC_BYTES), 'a-b_c:d/e'])(
    'accepts %j',
    (topic) => {
      expect(topicProblem(topic)).toBeUndefined();
      expect(() => assertTopic(topic)).not.toThrow();
    },
  );

  it.each([
    ['', /empty/],
    ['a b', /space/],
    ['x'.repeat(MAX_TOPIC_BYTES + 1), /256 UTF-8 bytes/],
    ['é'.repeat(128), /256 UTF-8 bytes/],
    ['a\nb', /U\+000A/],
    ['a\u0000', /U\+0000/],
    ['a\u007f', /U\+007F/],
    ['a\u0085', /U\+0085/],
    ['a\ud800', /surrogate/],
  ])('rejects %j', (topic, reason) => {
    expect(isValidTopic(topic)).toBe(false);
    expect(() => assertTopic(topic)).toThrow(TopicError);
    expect(() => assertTopic(topic)).toThrow(reason);
  });

  it('accepts every generated valid topic', () => {
    fc.assert(fc.property(arbTopic, (t) => isValidTopic(t)));
  });

  it('rejects any string with a space or control character', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom(' ', '\u0000', '\u001f', '\u007f', '\u009f'),
        fc.string(),
        (a, bad, b) => !isValidTopic(a + bad + b),
      ),
    );
  });

  it('splits dotted segments', () => {
    expect(topicSegments('orders.created.eu')).toEqual(['orders', 'created', 'eu']);
  });

  it('makes ZeroMQ prefix semantics explicit', () => {
    const frame = Buffer.from('orders.created {"id":1}');
    expect(matchesSubscription(frame, prefixSubscription(''))).toBe(true);
    expect(matchesSubscription(frame, prefixSubscription('orders.'))).toBe(true);
    expect(matchesSubscription(frame, prefixSubscription('ord'))).toBe(true);
    expect(matchesSubscription(frame, prefixSubscription('orders.deleted'))).toBe(false);
    expect(matchesSubscription(frame, exactSubscription('orders.created'))).toBe(true);
    expect(matchesSubscription(frame, exactSubscription('orders'))).toBe(false);
    expect(matchesSubscription(Buffer.from('orders'), exactSubscription('orders'))).toBe(false);
    expect(() => prefixSubscription('a b')).toThrow(TopicError);
  });
});
