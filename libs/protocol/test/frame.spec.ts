import fc from 'fast-check';
import { FrameError, encodeFrame, parseFrame, payloadOf, splitFrame, TopicError } from '../src';
import { arbPayload, arbTopic, pythonPayload, pythonSplit } from '../src/testing';

describe('frame', () => {
  it('encodes topic, one space, payload', () => {
    expect(encodeFrame('abc', 'hello world')).toEqual(Buffer.from('abc hello world'));
    expect(encodeFrame('é', Buffer.from([0, 32, 255]))).toEqual(
      Buffer.from([0xc3, 0xa9, 0x20, 0, 32, 255]),
    );
  });

  it('rejects an invalid topic when encoding', () => {
    expect(() => encodeFrame('a b', 'x')).toThrow(TopicError);
    expect(() => encodeFrame('', 'x')).toThrow(TopicError);
  });

  it('round-trips arbitrary topics and payloads', () => {
    fc.assert(
      fc.property(arbTopic, arbPayload, (topic, payload) => {
        const frame = encodeFrame(topic, payload);
        const split = splitFrame(frame);
        expect(split.hasSeparator).toBe(true);
        expect(split.topic.toString('utf8')).toBe(topic);
        expect(Buffer.compare(split.payload, Buffer.from(payload))).toBe(0);
        expect(parseFrame(frame).topic).toBe(topic);
      }),
    );
  });

  it("agrees with Python's split(b' ', 1) on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const model = pythonSplit(bytes);
        const split = splitFrame(bytes);
        expect(Buffer.from(payloadOf(bytes))).toEqual(Buffer.from(pythonPayload(bytes)));
        expect(split.hasSeparator).toBe(model.length === 2);
        expect(Buffer.from(split.topic)).toEqual(Buffer.from(model[0] as Uint8Array));
        expect(Buffer.from(split.payload)).toEqual(
          Buffer.from(model[model.length - 1] as Uint8Array),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps a topic that starts with U+FEFF (a byte-order mark) as it was sent', () => {
    for (const topic of ['\ufefforders.created', '\ufeff', 'a\ufeff', '\u00a0x']) {
      expect(parseFrame(encodeFrame(topic, 'x')).topic).toBe(topic);
    }
  });

  it('splits at the first space only and handles edge cases', () => {
    expect(payloadOf(Buffer.from('a b c')).toString()).toBe('b c');
    expect(payloadOf(Buffer.from('nospace')).toString()).toBe('nospace');
    expect(payloadOf(Buffer.from(' lead')).toString()).toBe('lead');
    expect(payloadOf(Buffer.from('trail ')).byteLength).toBe(0);
    expect(payloadOf(Buffer.alloc(0)).byteLength).toBe(0);
  });

  it('splits without copying', () => {
    const frame = Buffer.from('topic payload');
    const { topic, payload } = splitFrame(frame);
    expect(topic.buffer).toBe(frame.buffer);
    expect(payload.buffer).toBe(frame.buffer);
    expect(payload.byteOffset).toBe(frame.byteOffset + 6);
    const u8 = new Uint8Array(Buffer.from('x y'));
    expect(payloadOf(u8).buffer).toBe(u8.buffer);
  });

  it('parseFrame names each defect', () => {
    const kind = (f: Uint8Array | undefined) => {
      try {
        parseFrame(f);
      } catch (err) {
        expect(err).toBeInstanceOf(FrameError);
        return (err as FrameError).kind;
      }
      return 'ok';
    };
    expect(kind(undefined)).toBe('no-frames');
    expect(kind(Buffer.alloc(0))).toBe('empty');
    expect(kind(Buffer.from('abc'))).toBe('no-separator');
    expect(kind(Buffer.from([0xff, 0xfe, 0x20, 0x41]))).toBe('bad-topic');
    expect(kind(Buffer.from(' payload'))).toBe('bad-topic');
    expect(kind(Buffer.from('a\tb x'))).toBe('bad-topic');
    expect(kind(Buffer.from('abc hello'))).toBe('ok');
  });
});
