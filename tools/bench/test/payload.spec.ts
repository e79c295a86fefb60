import {
  HEADER_BYTES,
  MAGIC,
  frameTemplate,
  headerOffset,
  readStamp,
  stampFrame,
  stampHeader,
} from '../src/payload';

describe('benchmark payload', () => {
  it('pads the payload to the requested size after the topic', () => {
    const t = frameTemplate(100);
    expect(t.length).toBe('bench '.length + 100);
    expect(t.subarray(0, 6).toString()).toBe('bench ');
  });

  it('reads the stamp back with the topic kept or stripped', () => {
    const frame = stampFrame(frameTemplate(64), 3, 123_456, 987_654_321.5);
    const expected = { producer: 3, seq: 123_456, sentNs: 987_654_321.5 };
    expect(readStamp(frame)).toEqual(expected);
    expect(readStamp(frame.subarray(6))).toEqual(expected);
  });

  it('finds the header of a frame that is a range of a larger buffer (the ZMTP meter)', () => {
    const frame = stampFrame(frameTemplate(64), 1, 2, 3);
    const chunk = Buffer.concat([Buffer.from('xx'), frame, frame.subarray(6), Buffer.from('y')]);
    expect(headerOffset(chunk, 2, 2 + frame.length)).toBe(2 + 6);
    const stripped = 2 + frame.length;
    expect(headerOffset(chunk, stripped, stripped + frame.length - 6)).toBe(stripped);
    expect(headerOffset(chunk, 0, 2)).toBe(-1);
    expect(headerOffset(chunk, stripped, stripped + HEADER_BYTES - 1)).toBe(-1);
  });

  it('restamps a frame that holds the template already: only its header changes', () => {
    const t = frameTemplate(4096);
    const frame = Buffer.from(t);
    stampHeader(frame, 0, 7, 1, 10);
    stampHeader(frame, 0, 8, 2, 20);
    expect(readStamp(frame)).toEqual({ producer: 8, seq: 2, sentNs: 20 });
    expect(frame.subarray(6 + 17)).toEqual(t.subarray(6 + 17));
  });

  it('does not change the template', () => {
    const t = frameTemplate(HEADER_BYTES);
    const before = Buffer.from(t);
    stampFrame(t, 1, 2, 3);
    expect(t.equals(before)).toBe(true);
  });

  it('rejects foreign frames and payloads too small for the header', () => {
    expect(readStamp(Buffer.from('orders.created {"id":7}'))).toBeNull();
    expect(readStamp(Buffer.from([MAGIC, 1, 2]))).toBeNull();
    expect(() => frameTemplate(HEADER_BYTES - 1)).toThrow(RangeError);
  });
});
