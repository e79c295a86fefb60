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

  it('refuses a stream that is not ZMTP 3', () => {
    expect(() => new ZmtpFrameReader(() => undefined).push(Buffer.from('GET / HTTP/1.1'))).toThrow(
      ZmtpProtocolError,
    );
    const old = zmtpGreeting();
    old[10] = 2;
    expect(() => new ZmtpFrameReader(() => undefined).push(old)).toThrow(/version 2/);
  });
});
