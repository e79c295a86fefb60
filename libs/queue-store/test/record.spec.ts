import { StoreErrorCode } from '../src';
import {
  chunkRecord,
  decodeDead,
  decodeIds,
  decodeRecord,
  encodeChunk,
  encodeDead,
  encodeIds,
  encodeRecord,
  readChunkHeader,
} from '../src/record';

const message = {
  frames: [Buffer.from('orders.x hello'), Buffer.from([0x82, 0, 255])],
  topic: 'orders.x',
  id: 'id-1',
  publishedAt: 1_700_000_000_123,
};

const corrupt = expect.objectContaining({ code: StoreErrorCode.Corrupt });

describe('records', () => {
  it('round-trips a message through a chunk', () => {
    const other = { ...message, id: 'id-2', frames: [Buffer.alloc(0)] };
    const chunk = encodeChunk(
      [encodeRecord(message), encodeRecord(other)],
      [17, 0],
      [message.publishedAt, 5],
    );
    expect(readChunkHeader(chunk, 'c')).toEqual({
      bytes: [17, 0],
      publishedAt: [message.publishedAt, 5],
    });
    const a = chunkRecord(chunk, 0, 'c');
    expect(decodeRecord(a.record, a.publishedAt, 'c')).toEqual(message);
    const b = chunkRecord(chunk, 1, 'c');
    expect(decodeRecord(b.record, b.publishedAt, 'c')).toEqual({ ...other, publishedAt: 5 });
    expect(() => chunkRecord(chunk, 2, 'c')).toThrow(corrupt);
  });

  it('tells truncated and foreign chunks apart, never crashing', () => {
    const chunk = encodeChunk([encodeRecord(message)], [17], [1]);
    for (let n = 0; n < 24; n++)
      expect(() => readChunkHeader(chunk.subarray(0, n), 'c')).toThrow(/truncated/);
    const foreign = Buffer.from(chunk);
    foreign[0] = 0;
    expect(() => readChunkHeader(foreign, 'c')).toThrow(/not a chunk/);
  });

  it('refuses corrupt or truncated records with StoreCorruptError', () => {
    const rec = encodeRecord(message);
    for (let n = 0; n < rec.length; n++)
      expect(() => decodeRecord(rec.subarray(0, n), 0, 'r')).toThrow(corrupt);
    expect(() => decodeRecord(encodeIds(['a', 'b', 'c']), 0, 'r')).toThrow(/\[id, topic, frames\]/);
  });

  it('round-trips dead letters and dedup ids', () => {
    const dead = {
      reason: 'term: x',
      attempts: 3,
      deadAt: 9,
      publishedAt: 8,
      bytes: 17,
      record: encodeRecord(message),
    };
    expect(decodeDead(encodeDead(dead), 'd')).toEqual(dead);
    expect(() => decodeDead(encodeIds(['x']), 'd')).toThrow(corrupt);
    expect(decodeIds(encodeIds(['a', 'é']), 'i')).toEqual(['a', 'é']);
    expect(() => decodeIds(encodeDead(dead), 'i')).toThrow(corrupt);
  });
});
