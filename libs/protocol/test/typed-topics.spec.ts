import {
  CodecError,
  decodeTyped,
  defineTopics,
  encodeEnvelope,
  encodeTyped,
  jsonCodec,
  msgpackCodec,
  payloadOf,
  rawCodec,
  topic,
  TopicError,
  UnknownTopicError,
  ValidationError,
  type EnvelopeOf,
} from '../src';

interface OrderCreated {
  orderId: string;
  amount: number;
}

function isOrder(body: unknown): OrderCreated {
  const b = body as Partial<OrderCreated>;
  if (typeof b?.orderId !== 'string' || typeof b.amount !== 'number') {
    throw new Error('expected { orderId: string, amount: number }');
  }
  return b as OrderCreated;
}

const topics = defineTopics({
  'orders.created': topic(msgpackCodec<OrderCreated>(), isOrder),
  'audit.line': topic(jsonCodec<string>()),
  'blobs.put': topic(rawCodec()),
});

describe('typed topics', () => {
  it('sends and receives with each topic type and codec', () => {
    const frames = encodeTyped(topics, 'orders.created', { orderId: 'o1', amount: 3 });
    const env = decodeTyped(topics, frames);
    expect(env.topic).toBe('orders.created');
    if (env.topic === 'orders.created') {
      // Narrowed by topic: body is OrderCreated here.
      const amount: number = env.body.amount;
      expect(amount).toBe(3);
    }
    const line = decodeTyped(topics, encodeTyped(topics, 'audit.line', 'hello'));
    expect(line.body).toBe('hello');
    const blob = decodeTyped(topics, encodeTyped(topics, 'blobs.put', new Uint8Array([1, 2])));
    expect(Buffer.from(blob.body as Uint8Array)).toEqual(Buffer.from([1, 2]));
  });

  it('makes a wrong body a compile error', () => {
    // The lines below must not compile; `npm test` runs tsc over this file.
    const wrongBody = { orderId: 'o', amount: 'x' };
    // @ts-expect-error amount must be a number
    const sendWrongBody = () => encodeTyped(topics, 'orders.created', wrongBody);
    expect(sendWrongBody).not.toThrow();
    // @ts-expect-error topic not in the map
    const sendUnknown = () => encodeTyped(topics, 'orders.deleted', {});
    expect(sendUnknown).toThrow(UnknownTopicError);
    const check = (e: EnvelopeOf<typeof topics>): string =>
      e.topic === 'audit.line' ? e.body : e.topic;
    expect(check(decodeTyped(topics, encodeTyped(topics, 'audit.line', 'x')))).toBe('x');
  });

  it("gives a bare frame its topic's codec as content type", () => {
    const env = decodeTyped(topics, encodeTyped(topics, 'audit.line', 'plain', {}, false));
    expect(env.meta).toMatchObject({ bare: true, contentType: 'application/json' });
    expect(env.body).toBe('plain');
  });

  it('decodes work items from the push side by the topic in the metadata', () => {
    const frames = encodeTyped(topics, 'orders.created', { orderId: 'o2', amount: 1 });
    const env = decodeTyped(topics, [payloadOf(frames[0]!), frames[1]!], 'push-payload');
    expect(env).toMatchObject({ topic: 'orders.created', body: { orderId: 'o2', amount: 1 } });
  });

  it('runs the validation hook on untrusted input', () => {
    const forged = encodeEnvelope('orders.created', { orderId: 5 }, msgpackCodec());
    expect(() => decodeTyped(topics, forged)).toThrow(ValidationError);
    expect(() => decodeTyped(topics, forged)).toThrow(/orderId: string/);
  });

  it('rejects unknown topics and mismatched content types', () => {
    expect(() => decodeTyped(topics, encodeEnvelope('other', 1, jsonCodec()))).toThrow(
      UnknownTopicError,
    );
    expect(() => decodeTyped(topics, encodeEnvelope('audit.line', 'x', msgpackCodec()))).toThrow(
      CodecError,
    );
    expect(() => decodeTyped(topics, [Buffer.from('toString x')])).toThrow(UnknownTopicError);
    // Sending: a name on Object.prototype is not a topic of the map either.
    for (const name of ['toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      expect(() => encodeTyped(topics, name as 'audit.line', 'x')).toThrow(
        `topic ${JSON.stringify(name)} is not in the topic map`,
      );
    }
  });

  it('says why a typed Worker cannot decode a bare work item', () => {
    const [frame0] = encodeTyped(topics, 'audit.line', 'x', {}, false);
    const bare = () => decodeTyped(topics, [payloadOf(frame0!)], 'push-payload');
    expect(bare).toThrow(UnknownTopicError);
    expect(bare).toThrow(/without a metadata frame has no topic.*--push-format full/);
  });

  it('validates topic names at definition', () => {
    expect(() => defineTopics({ 'bad topic': topic(jsonCodec()) })).toThrow(TopicError);
  });
});
