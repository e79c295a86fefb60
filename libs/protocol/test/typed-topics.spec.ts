import {
  CodecError,
  decodeTyped,
  defineTopics,
  encodeEnvelope,
  encodeTyped,
  jsonCodec,
  msgpackCodec,
  payloadOf,
  OptionError,
  rawCodec,
  SchemaVersionError,
  topic,
  topicsWithPrefix,
  TopicError,
  UnknownTopicError,
  ValidationError,
  type EnvelopeOf,
  type TopicOf,
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

describe('schema versions', () => {
  interface OrderV2 extends OrderCreated {
    currency: string;
  }
  const isOrderV2 = (body: unknown): OrderV2 => {
    const order = isOrder(body) as Partial<OrderV2>;
    if (typeof order.currency !== 'string') throw new Error('expected currency: string');
    return order as OrderV2;
  };
  // The same topic as three contracts see it: version 1, version 2 that still reads 1, and 3.
  const v1 = defineTopics({ 'orders.created': topic(msgpackCodec<OrderCreated>(), isOrder) });
  const v2 = defineTopics({
    'orders.created': topic(msgpackCodec<OrderV2>(), {
      version: 2,
      validate: isOrderV2,
      upgrade: { 1: (old) => ({ ...isOrder(old), currency: 'EUR' }) },
    }),
  });
  const v3 = defineTopics({
    'orders.created': topic(msgpackCodec<OrderV2 & { note: string }>(), { version: 3 }),
  });

  it('writes the version of the sender and reads its own version', () => {
    const frames = encodeTyped(v2, 'orders.created', { orderId: 'o', amount: 1, currency: 'USD' });
    const env = decodeTyped(v2, frames);
    expect(env.meta.schemaVersion).toBe(2);
    expect(env.body).toEqual({ orderId: 'o', amount: 1, currency: 'USD' });
    // Version 1 is not written: old receivers see the frames they always saw.
    expect(
      decodeTyped(v1, encodeTyped(v1, 'orders.created', { orderId: 'o', amount: 1 })).meta,
    ).not.toHaveProperty('schemaVersion');
  });

  it('upgrades an older version it knows, then validates it', () => {
    const old = encodeTyped(v1, 'orders.created', { orderId: 'o', amount: 1 });
    expect(decodeTyped(v2, old).body).toEqual({ orderId: 'o', amount: 1, currency: 'EUR' });
    const bare = encodeTyped(v1, 'orders.created', { orderId: 'o', amount: 1 }, {}, false);
    expect(decodeTyped(v2, bare).body).toMatchObject({ currency: 'EUR' }); // no frame 1: version 1
    const forged = encodeEnvelope('orders.created', { orderId: 5 }, msgpackCodec());
    expect(() => decodeTyped(v2, forged)).toThrow(ValidationError);
    expect(() => decodeTyped(v2, forged)).toThrow(/upgrade from schema version 1: expected/);
  });

  it('refuses a version it does not know with a coded error, before decoding the body', () => {
    const newer = encodeTyped(v2, 'orders.created', { orderId: 'o', amount: 1, currency: 'X' });
    let error: unknown;
    try {
      decodeTyped(v1, newer);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SchemaVersionError);
    expect(error).toMatchObject({
      code: 'ZMQMQ_ERR_SCHEMA_VERSION',
      topic: 'orders.created',
      version: 2,
      known: [1],
      message: expect.stringMatching(/carries schema version 2.*reads 1\): .*newer contract/),
    });
    const third = encodeTyped(v3, 'orders.created', {
      orderId: 'o',
      amount: 1,
      currency: 'X',
      note: 'n',
    });
    expect(() => decodeTyped(v2, third)).toThrow(/version 3.*reads 2, 1\)/);
    // A body that is not even msgpack: the version is checked first, so the error says so.
    const garbage = [newer[0]!.subarray(0, 16), newer[1]!];
    expect(() => decodeTyped(v1, garbage)).toThrow(SchemaVersionError);
    // An older version with no upgrade is refused too, without the "newer" advice.
    const older = encodeTyped(v2, 'orders.created', { orderId: 'o', amount: 1, currency: 'X' });
    expect(() => decodeTyped(v3, older)).toThrow(
      /version 2, which this receiver does not read \(it reads 3\)$/,
    );
  });

  it('checks versions and upgrades where the topic is declared', () => {
    const codec = msgpackCodec<OrderCreated>();
    for (const version of [0, 1.5, -2, Number.NaN]) {
      expect(() => topic(codec, { version })).toThrow(OptionError);
    }
    expect(() => topic(codec, { version: 2, upgrade: { 2: isOrder } })).toThrow(
      /upgrade\[2\]: must be a version older than the topic's \(2\)/,
    );
    expect(() => topic(codec, { upgrade: { 0: isOrder } })).toThrow(/upgrade\[0\]/);
  });

  it('takes the part of a map under a prefix, typed', () => {
    const orders = topicsWithPrefix(topics, 'orders.');
    expect(Object.keys(orders)).toEqual(['orders.created']);
    const name: TopicOf<typeof orders> = 'orders.created';
    // @ts-expect-error audit.line is not under orders.
    const outside: TopicOf<typeof orders> = 'audit.line';
    expect([name, outside]).toHaveLength(2);
    expect(Object.keys(topicsWithPrefix(topics, ''))).toHaveLength(3);
    expect(() => topicsWithPrefix(topics, 'billing.')).toThrow(UnknownTopicError);
  });
});
