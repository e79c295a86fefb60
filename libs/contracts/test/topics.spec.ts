import {
  decodeTyped,
  defineTopics,
  encodeTyped,
  jsonCodec,
  SchemaVersionError,
  topic,
  ValidationError,
} from '@zmq-mq/protocol';
import type { TopicOf } from '@zmq-mq/protocol';
import { examples, fields, topics } from '../src';
import type { OrderCreatedV1, Topics } from '../src';

const names = Object.keys(topics) as TopicOf<Topics>[];

describe('the team contract', () => {
  it('has an example of every topic, which survives the wire and its validator', () => {
    expect(Object.keys(examples).sort()).toEqual([...names].sort());
    for (const name of names) {
      const env = decodeTyped(topics, encodeTyped(topics, name, examples[name]));
      expect(env).toMatchObject({ topic: name, body: examples[name] });
    }
  });

  it('refuses bodies that break a topic, naming the field', () => {
    const forged = encodeTyped(
      defineTopics({ 'payments.settled': topic(topics['payments.settled'].codec) }),
      'payments.settled',
      { ...examples['payments.settled'], amount: Number.NaN },
    );
    expect(() => decodeTyped(topics, forged)).toThrow(ValidationError);
    expect(() => decodeTyped(topics, forged)).toThrow(/field amount must be a number, got NaN/);
  });

  // orders.created as services built before version 2 declare it.
  const before = defineTopics({ 'orders.created': topic(jsonCodec<OrderCreatedV1>()) });

  it('reads orders.created of version 1 as version 2, in euros', () => {
    const old = encodeTyped(before, 'orders.created', { orderId: 'o-0', amount: 7 });
    expect(decodeTyped(topics, old)).toMatchObject({
      body: { orderId: 'o-0', amount: 7, currency: 'EUR' },
      meta: { contentType: 'application/json' },
    });
    expect(decodeTyped(topics, old).meta).not.toHaveProperty('schemaVersion');
  });

  it('is refused with a coded error by a service still on version 1', () => {
    const current = encodeTyped(topics, 'orders.created', examples['orders.created']);
    expect(() => decodeTyped(before, current)).toThrow(SchemaVersionError);
    expect(() => decodeTyped(before, current)).toThrow(
      'topic "orders.created" carries schema version 2, which this receiver does not read ' +
        '(it reads 1): the sender has a newer contract; update this receiver',
    );
  });
});

describe('fields', () => {
  const check = fields<{ name: string; n: number; ok: boolean }>({
    name: 'string',
    n: 'number',
    ok: 'boolean',
  });

  it('returns a body that has every field, extra fields kept', () => {
    const body = { name: 'a', n: 1, ok: false, extra: [1] };
    expect(check(body)).toBe(body);
  });

  it('throws naming what is wrong', () => {
    expect(() => check(null)).toThrow('expected an object, got null');
    expect(() => check([1])).toThrow('expected an object, got object');
    expect(() => check('x')).toThrow('expected an object, got string');
    expect(() => check({ n: 1, ok: true })).toThrow('field name must be a string, got nothing');
    expect(() => check({ name: 'a', n: Infinity, ok: true })).toThrow(
      'field n must be a number, got Infinity',
    );
    expect(() => check({ name: 'a', n: 1, ok: 'yes' })).toThrow(
      'field ok must be a boolean, got string',
    );
  });

  it('checks the shape against the type at compile time', () => {
    // @ts-expect-error n is a number, not a string
    const wrongKind = () => fields<{ n: number }>({ n: 'string' });
    // @ts-expect-error the field n is missing
    const missing = () => fields<{ n: number }>({});
    expect([wrongKind, missing]).toHaveLength(2);
  });
});
