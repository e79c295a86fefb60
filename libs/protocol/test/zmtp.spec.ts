// The ZMTP 3.0 frame reader against every way a stream can be cut into chunks. Its encoder and
// reader against real libzmq peers are checked in tools/bench/test/zmtp.spec.ts.
import {
  ZmtpFrameReader,
  ZmtpProtocolError,
  encodeZmtpFrame,
  zmtpGreeting,
  zmtpReady,
} from '../src';

describe('ZmtpFrameReader', () => {
  const stream = Buffer.concat([
    zmtpGreeting(),
    zmtpReady('PUB'),
    encodeZmtpFrame(Buffer.from('one')),
    encodeZmtpFrame(Buffer.from('a'), 1),
    encodeZmtpFrame(Buffer.from('b')),
    encodeZmtpFrame(Buffer.alloc(1000, 9)),
    encodeZmtpFrame(Buffer.alloc(0)),
  ]);
  const expected = [['one'], ['a', 'b'], [Buffer.alloc(1000, 9).toString()], ['']];

  it('gives the same messages however the stream is cut', () => {
    for (let cut = 1; cut <= stream.length; cut += cut < 80 ? 1 : 37) {
      const got: string[][] = [];
      const reader = new ZmtpFrameReader((f) => got.push(f.map((b) => b.toString())));
      for (let at = 0; at < stream.length; at += cut) reader.push(stream.subarray(at, at + cut));
      expect(got).toEqual(expected);
      expect(reader.commands).toBe(1);
    }
  });

  it('joins a frame that spans many chunks once, whatever the chunk size', () => {
    const big = Buffer.alloc(3 * 65536 + 17);
    for (let i = 0; i < big.length; i++) big[i] = i % 251;
    const framed = Buffer.concat([
      zmtpGreeting(),
      zmtpReady('PUB'),
      encodeZmtpFrame(big, 1),
      encodeZmtpFrame(Buffer.from('tail')),
    ]);
    for (const cut of [1000, 4096, 65536, framed.length]) {
      const got: Buffer[][] = [];
      const reader = new ZmtpFrameReader((f) => got.push(f.map((b) => Buffer.from(b))));
      for (let at = 0; at < framed.length; at += cut) reader.push(framed.subarray(at, at + cut));
      expect(got).toHaveLength(1);
      expect(got[0]![0]!.equals(big)).toBe(true);
      expect(got[0]![1]!.toString()).toBe('tail');
    }
  });

  it('scans a stream that grows in one buffer, whatever each read brings', () => {
    for (let cut = 1; cut <= stream.length; cut += cut < 80 ? 1 : 37) {
      const got: string[][] = [];
      const reader = new ZmtpFrameReader((f) => got.push(f.map((b) => b.toString())));
      const buf = Buffer.alloc(stream.length);
      let parsed = 0;
      for (let filled = 0; filled < stream.length;) {
        const n = Math.min(cut, stream.length - filled);
        stream.copy(buf, filled, filled, filled + n);
        filled += n;
        parsed = reader.scan(buf, parsed, filled);
        expect(parsed).toBeLessThanOrEqual(filled);
        // What is left is one incomplete frame (or greeting), whose length is known once its
        // header is: never more than it needs.
        if (reader.needs > 0) expect(filled - parsed).toBeLessThan(reader.needs);
      }
      expect(parsed).toBe(stream.length);
      expect(got).toEqual(expected);
    }
  });

  it('tells how many bytes the frame it stopped in needs, header included', () => {
    const reader = new ZmtpFrameReader(() => undefined);
    const head = Buffer.concat([zmtpGreeting(), zmtpReady('PUB')]);
    const long = encodeZmtpFrame(Buffer.alloc(70_000));
    const buf = Buffer.concat([head, long.subarray(0, 5)]);
    expect(reader.scan(buf, 0, 10)).toBe(0);
    expect(reader.needs).toBe(64); // the greeting
    expect(reader.scan(buf, 0, head.length + 5)).toBe(head.length);
    expect(reader.needs).toBe(0); // an 8-byte size not yet read
    const more = Buffer.concat([head, long.subarray(0, 100)]);
    expect(reader.scan(more, head.length, more.length)).toBe(head.length);
    expect(reader.needs).toBe(9 + 70_000);
  });

  it('measures but does not keep a message past its limits, and goes on after it', () => {
    const frames = (sizes: number[]): Buffer[] =>
      sizes.map((n, i) => encodeZmtpFrame(Buffer.alloc(n, 7), i < sizes.length - 1 ? 1 : 0));
    const limited = Buffer.concat([
      zmtpGreeting(),
      zmtpReady('PUB'),
      ...frames([10]), // kept
      ...frames([6, 6]), // 12 bytes: past 11
      ...frames([1, 1, 1, 1]), // 4 frames: past 3
      ...frames([11]), // exactly the byte limit: kept
      ...frames([0, 0, 0]), // exactly the frame limit: kept
    ]);
    for (let cut = 1; cut <= limited.length; cut++) {
      const kept: number[][] = [];
      const over: Array<[number, number]> = [];
      const reader = new ZmtpFrameReader(
        (f) => kept.push(f.map((b) => b.length)),
        undefined,
        { maxBytes: 11, maxFrames: 3 },
        (bytes, n) => over.push([bytes, n]),
      );
      for (let at = 0; at < limited.length; at += cut) reader.push(limited.subarray(at, at + cut));
      expect(kept).toEqual([[10], [11], [0, 0, 0]]);
      expect(over).toEqual([
        [12, 2],
        [4, 4],
      ]);
    }
  });

  it('refuses a stream that is not ZMTP 3', () => {
    expect(() => new ZmtpFrameReader(() => undefined).push(Buffer.from('GET / HTTP/1.1'))).toThrow(
      ZmtpProtocolError,
    );
    const old = zmtpGreeting();
    old[10] = 2;
    expect(() => new ZmtpFrameReader(() => undefined).push(old)).toThrow(/version 2/);
  });
});
