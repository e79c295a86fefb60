import fc from 'fast-check';
import { Packr } from 'msgpackr';
import {
  BROKER_COMMANDS,
  CLIENT_COMMANDS,
  decodeBrokerCommand,
  decodeClientCommand,
  encodeAck,
  encodeBye,
  encodeCancel,
  encodeCancelled,
  encodeConfirm,
  encodeConsume,
  encodeConsuming,
  encodeDeclare,
  encodeDeclared,
  encodeDeliver,
  encodeError,
  encodeHeartbeat,
  encodeHello,
  encodeNack,
  encodeNak,
  encodeProgress,
  encodePublish,
  encodeTerm,
  encodeWelcome,
  errorReplyFor,
  ErrorCode,
  MAX_ENTRIES,
  MAX_MESSAGE_FRAMES,
  ProtocolError,
} from '../src';
import type { BrokerCommand, ClientCommand, ProtocolErrorKind } from '../src';
import { arbPayload, arbTopic } from '../src/testing';

const frame = (s: string): Buffer => Buffer.from(s);
const m1 = [frame('orders.created {"n":1}'), frame('meta-1')];
const m2 = [frame('orders.paid x')];
const TAG = 1_760_000_000_000_000; // Date.now() * 1000: beyond 32 bits

interface Fixture {
  name: string;
  frames: Buffer[];
  decoded: ClientCommand | BrokerCommand;
  side: 'client' | 'broker';
}

// One fixture per command and direction, with what it decodes to.
const fixtures: Fixture[] = [
  {
    name: 'HELLO',
    side: 'client',
    frames: encodeHello({ session: 's-1', heartbeat: 500, name: 'billing' }),
    decoded: { type: 'HELLO', v: 1, session: 's-1', heartbeat: 500, name: 'billing' },
  },
  {
    name: 'HELLO (bare)',
    side: 'client',
    frames: encodeHello(),
    decoded: { type: 'HELLO', v: 1 },
  },
  {
    name: 'PUBLISH',
    side: 'client',
    frames: encodePublish(['id-1', 'id-2'], [m1, m2], true),
    decoded: {
      type: 'PUBLISH',
      ids: ['id-1', 'id-2'],
      messages: [m1, m2],
      mandatory: true,
    },
  },
  {
    name: 'DECLARE',
    side: 'client',
    frames: encodeDeclare({ queue: 'orders', prefixes: ['orders.'], maxMessages: 10 }),
    decoded: { type: 'DECLARE', queue: 'orders', prefixes: ['orders.'], maxMessages: 10 },
  },
  {
    name: 'CONSUME',
    side: 'client',
    frames: encodeConsume({ queue: 'orders', credit: 100, ackWaitMs: 30000 }),
    decoded: { type: 'CONSUME', queue: 'orders', credit: 100, ackWaitMs: 30000 },
  },
  {
    name: 'CANCEL',
    side: 'client',
    frames: encodeCancel('orders'),
    decoded: { type: 'CANCEL', queue: 'orders' },
  },
  {
    name: 'ACK',
    side: 'client',
    frames: encodeAck([TAG, TAG + 1]),
    decoded: { type: 'ACK', tags: [TAG, TAG + 1] },
  },
  {
    name: 'NAK',
    side: 'client',
    frames: encodeNak([{ tag: TAG, delayMs: 2000 }, { tag: 7 }]),
    decoded: { type: 'NAK', entries: [{ tag: TAG, delayMs: 2000 }, { tag: 7 }] },
  },
  {
    name: 'TERM',
    side: 'client',
    frames: encodeTerm([{ tag: TAG, reason: 'bad order' }, { tag: 8 }]),
    decoded: { type: 'TERM', entries: [{ tag: TAG, reason: 'bad order' }, { tag: 8 }] },
  },
  {
    name: 'PROGRESS',
    side: 'client',
    frames: encodeProgress([TAG]),
    decoded: { type: 'PROGRESS', tags: [TAG] },
  },
  {
    name: 'HEARTBEAT (client)',
    side: 'client',
    frames: encodeHeartbeat(),
    decoded: { type: 'HEARTBEAT' },
  },
  { name: 'BYE', side: 'client', frames: encodeBye(), decoded: { type: 'BYE' } },
  {
    name: 'WELCOME',
    side: 'broker',
    frames: encodeWelcome({
      v: 1,
      session: 's-1',
      heartbeat: 1000,
      epoch: 'e-1',
      maxMessageBytes: 1048576,
      resumed: false,
    }),
    decoded: {
      type: 'WELCOME',
      v: 1,
      session: 's-1',
      heartbeat: 1000,
      epoch: 'e-1',
      maxMessageBytes: 1048576,
      resumed: false,
    },
  },
  {
    name: 'CONFIRM',
    side: 'broker',
    frames: encodeConfirm(['id-1', 'id-2']),
    decoded: { type: 'CONFIRM', ids: ['id-1', 'id-2'] },
  },
  {
    name: 'NACK',
    side: 'broker',
    frames: encodeNack([
      {
        id: 'id-1',
        code: 'queue-full',
        message: 'queue orders is full',
        queue: 'orders',
        limit: 10,
      },
      { id: 'id-2', code: 'invalid-topic', message: 'no space in frame 0' },
    ]),
    decoded: {
      type: 'NACK',
      entries: [
        {
          id: 'id-1',
          code: 'queue-full',
          message: 'queue orders is full',
          queue: 'orders',
          limit: 10,
        },
        { id: 'id-2', code: 'invalid-topic', message: 'no space in frame 0' },
      ],
    },
  },
  {
    name: 'DELIVER',
    side: 'broker',
    frames: encodeDeliver('orders', [
      { tag: TAG, attempt: 1, frames: m1 },
      { tag: TAG + 1, attempt: 3, frames: m2 },
    ]),
    decoded: {
      type: 'DELIVER',
      queue: 'orders',
      tags: [TAG, TAG + 1],
      attempts: [1, 3],
      messages: [m1, m2],
    },
  },
  {
    name: 'DECLARED',
    side: 'broker',
    frames: encodeDeclared({
      queue: 'orders',
      prefixes: ['orders.', 'refunds.'],
      maxMessages: 1_000_000,
      maxBytes: 2 ** 30,
      maxAgeMs: 0,
      overflow: 'reject',
      maxDeadMessages: 10_000,
    }),
    decoded: {
      type: 'DECLARED',
      queue: 'orders',
      prefixes: ['orders.', 'refunds.'],
      maxMessages: 1_000_000,
      maxBytes: 2 ** 30,
      maxAgeMs: 0,
      overflow: 'reject',
      maxDeadMessages: 10_000,
    },
  },
  {
    name: 'CONSUMING',
    side: 'broker',
    frames: encodeConsuming({ queue: 'orders', credit: 100, ackWaitMs: 30000 }),
    decoded: { type: 'CONSUMING', queue: 'orders', credit: 100, ackWaitMs: 30000 },
  },
  {
    name: 'CANCELLED',
    side: 'broker',
    frames: encodeCancelled('orders'),
    decoded: { type: 'CANCELLED', queue: 'orders' },
  },
  {
    name: 'HEARTBEAT (broker)',
    side: 'broker',
    frames: encodeHeartbeat(),
    decoded: { type: 'HEARTBEAT' },
  },
  {
    name: 'ERROR',
    side: 'broker',
    frames: encodeError({ code: 'unknown-tag', message: 'not held', command: 'ACK', tags: [TAG] }),
    decoded: {
      type: 'ERROR',
      code: 'unknown-tag',
      message: 'not held',
      command: 'ACK',
      tags: [TAG],
    },
  },
];

function decode(
  side: Fixture['side'],
  frames: Buffer[],
  offset = 0,
): ClientCommand | BrokerCommand {
  return side === 'client'
    ? decodeClientCommand(frames, offset)
    : decodeBrokerCommand(frames, offset);
}

/** The ProtocolError that `fn` throws (fails the test when it throws anything else, or nothing). */
function protocolError(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProtocolError) return err;
    throw new Error(`expected a ProtocolError, got ${String(err)}`);
  }
  throw new Error('expected a ProtocolError, nothing was thrown');
}

function expectProtocolError(
  fn: () => unknown,
  expected: { kind?: ProtocolErrorKind; command?: string; field?: string; truncated?: boolean },
): ProtocolError {
  const err = protocolError(fn);
  expect(err.code).toBe(ErrorCode.Protocol);
  expect(err).toMatchObject(expected);
  return err;
}

describe('reliable protocol: fixtures', () => {
  it('covers every command of both directions', () => {
    const names = (side: Fixture['side']) =>
      new Set(fixtures.filter((f) => f.side === side).map((f) => f.frames[0]!.toString()));
    expect([...names('client')].sort()).toEqual([...CLIENT_COMMANDS].sort());
    expect([...names('broker')].sort()).toEqual([...BROKER_COMMANDS].sort());
  });

  it.each(fixtures)('decodes $name', ({ side, frames, decoded }) => {
    expect(decode(side, frames)).toEqual(decoded);
  });

  it.each(fixtures)(
    'decodes $name behind a routing identity (offset 1)',
    ({ side, frames, decoded }) => {
      expect(decode(side, [Buffer.from([0, 1, 2, 3, 4]), ...frames], 1)).toEqual(decoded);
    },
  );

  it('hands the received message frames over without copying them', () => {
    const frames = encodePublish(['a', 'b'], [m1, m2]);
    const cmd = decodeClientCommand(frames);
    if (cmd.type !== 'PUBLISH') throw new Error(cmd.type);
    expect(cmd.messages[0]![0]).toBe(frames[2]);
    expect(cmd.messages[0]![1]).toBe(frames[3]);
    expect(cmd.messages[1]![0]).toBe(frames[4]);
    expect(frames[2]).toBe(m1[0]); // the encoder does not copy either
  });

  it('refuses a command of the other direction as unknown', () => {
    expectProtocolError(() => decodeClientCommand(encodeConfirm(['x'])), {
      kind: 'unknown-command',
      command: 'CONFIRM',
    });
    expectProtocolError(() => decodeBrokerCommand(encodeAck([1])), {
      kind: 'unknown-command',
      command: 'ACK',
    });
    const err = expectProtocolError(() => decodeClientCommand([Buffer.from([0xff, 0])]), {
      kind: 'unknown-command',
      command: undefined,
    });
    expect(err.message).toMatch(/frame 0 of 2 bytes/);
    expectProtocolError(() => decodeClientCommand([]), { kind: 'unknown-command' });
    expectProtocolError(() => decodeClientCommand([frame('hello'), Buffer.from([0x80])]), {
      kind: 'unknown-command',
      command: undefined,
    });
  });
});

describe('reliable protocol: truncated and corrupt input', () => {
  it.each(fixtures)('$name: every cut of the body is truncated', ({ side, frames }) => {
    const body = frames[1]!;
    for (let cut = 0; cut < body.length; cut++) {
      const cutFrames = [frames[0]!, body.subarray(0, cut), ...frames.slice(2)];
      expectProtocolError(() => decode(side, cutFrames), { kind: 'bad-body', truncated: true });
    }
  });

  it.each(fixtures)(
    '$name: missing frames are truncated, extra frames are not',
    ({ side, frames }) => {
      for (let keep = 1; keep < frames.length; keep++) {
        expectProtocolError(() => decode(side, frames.slice(0, keep)), {
          kind: 'bad-frame-count',
          truncated: true,
        });
      }
      expectProtocolError(() => decode(side, [...frames, frame('extra')]), {
        kind: 'bad-frame-count',
        truncated: false,
      });
    },
  );

  it.each(fixtures)('$name: bytes after the body are corrupt', ({ side, frames }) => {
    const body = Buffer.concat([frames[1]!, Buffer.from([0x00])]);
    expectProtocolError(() => decode(side, [frames[0]!, body, ...frames.slice(2)]), {
      kind: 'bad-body',
      truncated: false,
    });
  });

  it.each(fixtures)(
    '$name: a byte replaced anywhere is refused as corrupt or still decodes',
    ({ side, frames }) => {
      const body = frames[1]!;
      let refused = 0;
      for (let at = 0; at < body.length; at++) {
        for (const value of [0xc1, 0xff, 0x00, 0xd4]) {
          if (body[at] === value) continue;
          const bad = Buffer.from(body);
          bad[at] = value;
          try {
            decode(side, [frames[0]!, bad, ...frames.slice(2)]);
          } catch (err) {
            // A changed header may make a body end early; anything else is corrupt, never a crash.
            expect(err).toBeInstanceOf(ProtocolError);
            refused++;
          }
        }
      }
      expect(refused).toBeGreaterThan(0);
    },
  );

  it('never throws anything but a ProtocolError on random bodies and frame runs', () => {
    const names = [...CLIENT_COMMANDS, ...BROKER_COMMANDS];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.uint8Array({ maxLength: 64 }),
        fc.array(fc.uint8Array({ maxLength: 8 }), { maxLength: 4 }),
        (name, body, rest) => {
          const frames = [frame(name), Buffer.from(body), ...rest.map((r) => Buffer.from(r))];
          for (const side of ['client', 'broker'] as const) {
            try {
              decode(side, frames);
            } catch (err) {
              if (!(err instanceof ProtocolError)) throw err;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('reliable protocol: fields', () => {
  const packr = new Packr({ useRecords: false });
  const raw = (name: string, body: unknown, ...rest: Buffer[]): Buffer[] => [
    frame(name),
    packr.pack(body),
    ...rest,
  ];

  it('names the bad field and its command', () => {
    const err = expectProtocolError(
      () => decodeClientCommand(raw('CONSUME', { queue: 'orders', credit: 0 })),
      { kind: 'bad-field', command: 'CONSUME', field: 'credit' },
    );
    expect(err.message).toBe(
      'reliable protocol: CONSUME: field credit must be an integer 1..65535 (got 0)',
    );
    expect(errorReplyFor(err)).toEqual({
      code: 'bad-credit',
      message: err.message,
      command: 'CONSUME',
    });
    expectProtocolError(() => decodeClientCommand(raw('CONSUME', { queue: 'a b', credit: 1 })), {
      kind: 'bad-field',
      field: 'queue',
    });
    expectProtocolError(
      () =>
        decodeClientCommand(
          raw(
            'PUBLISH',
            {
              msgs: [
                ['a', 1],
                ['', 1],
              ],
            },
            m2[0]!,
            m2[0]!,
          ),
        ),
      {
        kind: 'bad-field',
        field: 'msgs[1].id',
      },
    );
    expectProtocolError(() => decodeClientCommand(raw('PUBLISH', { msgs: [['a', 0]] })), {
      kind: 'bad-field',
      field: 'msgs[0].nframes',
    });
    expectProtocolError(() => decodeClientCommand(raw('PUBLISH', { msgs: [['a']] }, m2[0]!)), {
      kind: 'bad-field',
      field: 'msgs[0]',
    });
    expectProtocolError(() => decodeClientCommand(raw('ACK', [1, -1])), { field: 'tags[1]' });
    expectProtocolError(() => decodeClientCommand(raw('ACK', [2n ** 60n])), { field: 'tags[0]' });
    expectProtocolError(() => decodeClientCommand(raw('ACK', [])), { field: 'tags' });
    expectProtocolError(() => decodeClientCommand(raw('NAK', [[1, -5]])), {
      field: 'entries[0].delayMs',
    });
    expectProtocolError(() => decodeClientCommand(raw('TERM', [[1, 5]])), {
      field: 'entries[0].reason',
    });
    expectProtocolError(() => decodeClientCommand(raw('DECLARE', { queue: 'q', prefixes: [] })), {
      field: 'prefixes',
    });
    expectProtocolError(
      () => decodeClientCommand(raw('DECLARE', { queue: 'q', prefixes: ['a'], overflow: 'drop' })),
      { field: 'overflow' },
    );
    expectProtocolError(
      () => decodeBrokerCommand(raw('DECLARED', { queue: 'q', prefixes: ['a'] })),
      {
        field: 'maxMessages',
      },
    );
    expectProtocolError(() => decodeBrokerCommand(raw('NACK', [['id', 'queue-full']])), {
      field: 'entries[0]',
    });
    expectProtocolError(() => decodeBrokerCommand(raw('WELCOME', { v: 1, session: 's' })), {
      field: 'heartbeat',
    });
    expectProtocolError(() => decodeClientCommand(raw('PUBLISH', [['a', 1]], m2[0]!)), {
      kind: 'bad-body',
      command: 'PUBLISH',
    });
    expectProtocolError(() => decodeClientCommand(raw('HEARTBEAT', {})), { kind: 'bad-body' });
    expectProtocolError(
      () => decodeClientCommand(raw('PUBLISH', { msgs: [['a', 1]], mandatory: 1 }, m2[0]!)),
      { field: 'mandatory' },
    );
  });

  it('maps decode failures to the ERROR reply codes', () => {
    const hello = protocolError(() => decodeClientCommand(raw('HELLO', { v: 0 })));
    expect(errorReplyFor(hello).code).toBe('unsupported-version');
    const unknown = protocolError(() => decodeClientCommand(raw('FETCH', null)));
    expect(errorReplyFor(unknown)).toEqual({ code: 'unknown-command', message: unknown.message });
    const frames = protocolError(() => decodeClientCommand([frame('ACK')]));
    expect(errorReplyFor(frames)).toMatchObject({ code: 'bad-request', command: 'ACK' });
  });

  it('refuses lists and messages past the limits as too-large', () => {
    const tags = Array.from({ length: MAX_ENTRIES + 1 }, (_, i) => i);
    const err = expectProtocolError(() => decodeClientCommand(raw('ACK', tags)), {
      kind: 'too-large',
      field: 'tags',
    });
    expect(errorReplyFor(err).code).toBe('too-large');
    expectProtocolError(() => encodeAck(tags), { kind: 'too-large', field: 'tags' });
    const many = Array.from({ length: MAX_MESSAGE_FRAMES + 1 }, () => m2[0]!);
    expectProtocolError(() => encodePublish(['a'], [many]), {
      kind: 'too-large',
      field: 'msgs[0].nframes',
    });
    expectProtocolError(
      () => decodeClientCommand(raw('PUBLISH', { msgs: [['a', MAX_MESSAGE_FRAMES + 1]] }, ...many)),
      { kind: 'too-large', field: 'msgs[0].nframes' },
    );
    expectProtocolError(() => encodePublish(['x'.repeat(256)], [m2]), {
      kind: 'too-large',
      field: 'msgs[0].id',
    });
  });

  it('checks what it encodes with the same rules', () => {
    expectProtocolError(() => encodePublish(['a', 'b'], [m1]), {
      command: 'PUBLISH',
      field: 'msgs',
    });
    expectProtocolError(() => encodePublish(['a'], [[]]), { field: 'msgs[0].nframes' });
    expectProtocolError(() => encodePublish(['\ud800'], [m2]), { field: 'msgs[0].id' });
    expectProtocolError(() => encodeConsume({ queue: 'q', credit: 70000 }), { field: 'credit' });
    expectProtocolError(() => encodeDeliver('q', [{ tag: -1, attempt: 1, frames: m2 }]), {
      field: 'msgs[0].tag',
    });
    expectProtocolError(() => encodeDeliver('q', [{ tag: 1, attempt: 0, frames: m2 }]), {
      field: 'msgs[0].attempt',
    });
    expectProtocolError(() => encodeConfirm([]), { field: 'ids' });
    expectProtocolError(() => encodeHello({ v: 0 }), { field: 'v' });
  });

  it('ignores map keys and tuple elements it does not know (newer v1 senders)', () => {
    const cmd = decodeClientCommand(
      raw('PUBLISH', { msgs: [['a', 1, 'future']], future: { x: 1 } }, m2[0]!),
    );
    expect(cmd).toEqual({ type: 'PUBLISH', ids: ['a'], messages: [m2], mandatory: false });
    expect(
      decodeBrokerCommand(raw('NACK', [['a', 'new-code', 'text', null, null, 'more']])),
    ).toEqual({
      type: 'NACK',
      entries: [{ id: 'a', code: 'new-code', message: 'text' }],
    });
    expect(decodeClientCommand(raw('HELLO', { v: 2, extra: true }))).toEqual({
      type: 'HELLO',
      v: 2,
    });
  });

  it('reads bodies written by another msgpack encoder (msgpackr, floats for integers)', () => {
    const other = new Packr({ useRecords: false, useFloat32: 0 });
    const body = other.pack({ msgs: [['a', 1.0]], mandatory: false });
    expect(decodeClientCommand([frame('PUBLISH'), body, m2[0]!])).toEqual({
      type: 'PUBLISH',
      ids: ['a'],
      messages: [m2],
      mandatory: false,
    });
    // msgpackr writes 2^50 as a float 64; Python writes uint 64: both are the same tag.
    expect(decodeClientCommand([frame('ACK'), other.pack([2 ** 50])])).toEqual({
      type: 'ACK',
      tags: [2 ** 50],
    });
    expect(decodeClientCommand([frame('ACK'), Buffer.from('91cf0004000000000000', 'hex')])).toEqual(
      {
        type: 'ACK',
        tags: [2 ** 50],
      },
    );
  });

  it('writes every integer with an integer type and the smallest headers', () => {
    // Python: msgpack.packb([0, 127, 128, 65536, 2**32, 1760000000000000]).hex()
    expect(encodeAck([0, 127, 128, 65536, 2 ** 32, TAG])[1]!.toString('hex')).toBe(
      '96007fcc80ce00010000cf0000000100000000cf000640b5eece0000',
    );
    expect(encodeHeartbeat()[1]!.toString('hex')).toBe('c0');
  });
});

describe('reliable protocol: round trips (property-based)', () => {
  const arbId = fc
    .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
    .filter((s) => Buffer.byteLength(s) <= 255);
  const arbTag = fc.maxSafeNat();
  const arbMessage = fc
    .tuple(arbTopic, arbPayload, fc.array(fc.uint8Array({ maxLength: 20 }), { maxLength: 2 }))
    .map(([topic, payload, rest]) => [
      Buffer.concat([Buffer.from(`${topic} `), payload]),
      ...rest.map((r) => Buffer.from(r)),
    ]);
  const arbQueue = fc.stringMatching(/^[A-Za-z0-9._-]{1,64}$/);
  const arbText = fc.string({ unit: 'grapheme', maxLength: 50 });

  it('PUBLISH', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(arbId, arbMessage), { minLength: 1, maxLength: 20 }),
        fc.boolean(),
        (batch, mandatory) => {
          const ids = batch.map(([id]) => id);
          const messages = batch.map(([, m]) => m);
          const cmd = decodeClientCommand(encodePublish(ids, messages, mandatory));
          expect(cmd).toEqual({ type: 'PUBLISH', ids, messages, mandatory });
        },
      ),
    );
  });

  it('DELIVER', () => {
    fc.assert(
      fc.property(
        arbQueue,
        fc.array(
          fc.record({
            tag: arbTag,
            attempt: fc.integer({ min: 1, max: 2 ** 40 }),
            frames: arbMessage,
          }),
          {
            minLength: 1,
            maxLength: 20,
          },
        ),
        (queue, items) => {
          expect(decodeBrokerCommand(encodeDeliver(queue, items))).toEqual({
            type: 'DELIVER',
            queue,
            tags: items.map((i) => i.tag),
            attempts: items.map((i) => i.attempt),
            messages: items.map((i) => i.frames),
          });
        },
      ),
    );
  });

  it('ACK, PROGRESS, CONFIRM, NAK, TERM and NACK', () => {
    fc.assert(
      fc.property(fc.array(arbTag, { minLength: 1, maxLength: 50 }), (tags) => {
        expect(decodeClientCommand(encodeAck(tags))).toEqual({ type: 'ACK', tags });
        expect(decodeClientCommand(encodeProgress(tags))).toEqual({ type: 'PROGRESS', tags });
      }),
    );
    fc.assert(
      fc.property(fc.array(arbId, { minLength: 1, maxLength: 50 }), (ids) => {
        expect(decodeBrokerCommand(encodeConfirm(ids))).toEqual({ type: 'CONFIRM', ids });
      }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.record({ tag: arbTag, delayMs: fc.maxSafeNat() }, { requiredKeys: ['tag'] }), {
          minLength: 1,
        }),
        fc.array(fc.record({ tag: arbTag, reason: arbText }, { requiredKeys: ['tag'] }), {
          minLength: 1,
        }),
        fc.array(
          fc.record(
            {
              id: arbId,
              code: fc.constantFrom('queue-full', 'too-large', 'a-future-code'),
              message: arbText,
              queue: arbQueue,
              limit: fc.maxSafeNat(),
            },
            { requiredKeys: ['id', 'code', 'message'] },
          ),
          { minLength: 1 },
        ),
        (naks, terms, nacks) => {
          expect(decodeClientCommand(encodeNak(naks))).toEqual({ type: 'NAK', entries: naks });
          expect(decodeClientCommand(encodeTerm(terms))).toEqual({ type: 'TERM', entries: terms });
          expect(decodeBrokerCommand(encodeNack(nacks))).toEqual({ type: 'NACK', entries: nacks });
        },
      ),
    );
  });

  it('HELLO, WELCOME, DECLARE, DECLARED, CONSUME, CONSUMING, ERROR', () => {
    const limits = {
      maxMessages: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      maxBytes: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      maxAgeMs: fc.maxSafeNat(),
      overflow: fc.constantFrom('reject' as const, 'drop-oldest' as const),
      maxDeadMessages: fc.maxSafeNat(),
    };
    const prefixes = fc.array(fc.oneof(fc.constant(''), arbTopic), { minLength: 1, maxLength: 5 });
    fc.assert(
      fc.property(
        fc.record(
          { session: arbId, heartbeat: fc.integer({ min: 1, max: 2 ** 31 }), name: arbText },
          { requiredKeys: [] },
        ),
        fc.record(
          { queue: arbQueue, prefixes, ...limits },
          { requiredKeys: ['queue', 'prefixes'] },
        ),
        fc.record({ queue: arbQueue, prefixes, ...limits }),
        fc.record({
          queue: arbQueue,
          credit: fc.integer({ min: 1, max: 65535 }),
          ackWaitMs: fc.integer({ min: 1, max: 2 ** 40 }),
        }),
        fc.record(
          {
            code: arbId,
            message: arbText,
            command: fc.constantFrom(...CLIENT_COMMANDS),
            queue: arbQueue,
            tags: fc.array(arbTag, { minLength: 1 }),
          },
          { requiredKeys: ['code', 'message'] },
        ),
        (hello, declare, declared, consume, error) => {
          expect(decodeClientCommand(encodeHello(hello))).toEqual({
            type: 'HELLO',
            v: 1,
            ...hello,
          });
          expect(decodeClientCommand(encodeDeclare(declare))).toEqual({
            type: 'DECLARE',
            ...declare,
          });
          expect(decodeBrokerCommand(encodeDeclared(declared))).toEqual({
            type: 'DECLARED',
            ...declared,
          });
          expect(decodeClientCommand(encodeConsume(consume))).toEqual({
            type: 'CONSUME',
            ...consume,
          });
          expect(decodeBrokerCommand(encodeConsuming(consume))).toEqual({
            type: 'CONSUMING',
            ...consume,
          });
          expect(decodeBrokerCommand(encodeError(error))).toEqual({ type: 'ERROR', ...error });
          const welcome = {
            v: 1,
            session: hello.session ?? 's',
            heartbeat: consume.credit,
            epoch: declare.queue,
            maxMessageBytes: consume.ackWaitMs,
            resumed: hello.name === undefined,
          };
          expect(decodeBrokerCommand(encodeWelcome(welcome))).toEqual({
            type: 'WELCOME',
            ...welcome,
          });
        },
      ),
    );
  });
});
