/**
 * On-disk encodings of the LMDB store: a message record (msgpack, made once per message),
 * a chunk (a header and the records of one queue's turn) and a dead letter.
 *
 * Chunk layout (little-endian):
 *   u32 magic 'ZQC1' | u32 count | count x (u32 offset, u32 frameBytes, f64 publishedAt) | records
 * where offset is a record's start relative to the first record; a record ends where the
 * next begins (the last at the end of the value).
 */
import { Packr, Unpackr } from 'msgpackr';
import { StoreCorruptError } from './errors';
import type { StoredMessage } from './types';

const CHUNK_MAGIC = 0x3143515a; // 'ZQC1' read as u32 LE
const HEADER_BYTES = 8;
const ENTRY_BYTES = 16;

// Standard msgpack only: arrays, strings, numbers and bin.
const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: true });

function unpack(bytes: Uint8Array, where: string, what: string): unknown {
  try {
    return unpackr.unpack(bytes);
  } catch (err) {
    throw new StoreCorruptError(where, `${what} is not msgpack`, { cause: err });
  }
}

/** The record of a message: msgpack [id, topic, frames]. publishedAt lives in the chunk header. */
export function encodeRecord(message: StoredMessage): Buffer {
  return packr.pack([message.id, message.topic, message.frames]);
}

/** Decodes a record; frames are copies (the input may be a view LMDB reuses). */
export function decodeRecord(bytes: Uint8Array, publishedAt: number, where: string): StoredMessage {
  const value = unpack(bytes, where, 'record');
  if (
    !Array.isArray(value) ||
    value.length !== 3 ||
    typeof value[0] !== 'string' ||
    typeof value[1] !== 'string' ||
    !Array.isArray(value[2]) ||
    !value[2].every((f) => f instanceof Uint8Array)
  ) {
    throw new StoreCorruptError(where, 'record is not [id, topic, frames]');
  }
  const frames = (value[2] as Uint8Array[]).map((f) =>
    Buffer.isBuffer(f) ? f : Buffer.from(f.buffer, f.byteOffset, f.length),
  );
  return { id: value[0], topic: value[1], frames, publishedAt };
}

export function encodeChunk(records: Buffer[], bytes: number[], publishedAt: number[]): Buffer {
  const n = records.length;
  let size = HEADER_BYTES + n * ENTRY_BYTES;
  for (const r of records) size += r.length;
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt32LE(CHUNK_MAGIC, 0);
  buf.writeUInt32LE(n, 4);
  let pos = HEADER_BYTES + n * ENTRY_BYTES;
  const dataStart = pos;
  for (let i = 0; i < n; i++) {
    const at = HEADER_BYTES + i * ENTRY_BYTES;
    buf.writeUInt32LE(pos - dataStart, at);
    buf.writeUInt32LE(bytes[i] ?? 0, at + 4);
    buf.writeDoubleLE(publishedAt[i] ?? 0, at + 8);
    const r = records[i] as Buffer;
    r.copy(buf, pos);
    pos += r.length;
  }
  return buf;
}

/** Count, frame bytes and publishedAt of each message of a chunk; throws on a bad layout. */
export function readChunkHeader(
  buf: Uint8Array,
  where: string,
): { bytes: number[]; publishedAt: number[] } {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const n = chunkCount(view, where);
  const bytes: number[] = [];
  const publishedAt: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = HEADER_BYTES + i * ENTRY_BYTES;
    bytes.push(view.readUInt32LE(at + 4));
    publishedAt.push(view.readDoubleLE(at + 8));
  }
  return { bytes, publishedAt };
}

function chunkCount(view: Buffer, where: string): number {
  if (view.length < HEADER_BYTES) throw new StoreCorruptError(where, 'chunk is truncated');
  if (view.readUInt32LE(0) !== CHUNK_MAGIC) throw new StoreCorruptError(where, 'not a chunk');
  const n = view.readUInt32LE(4);
  if (view.length < HEADER_BYTES + n * ENTRY_BYTES) {
    throw new StoreCorruptError(where, 'chunk is truncated');
  }
  return n;
}

/** The record of message `index` of a chunk (a view into `buf`) and its publishedAt. */
export function chunkRecord(
  buf: Uint8Array,
  index: number,
  where: string,
): { record: Uint8Array; publishedAt: number } {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  const n = chunkCount(view, where);
  if (index < 0 || index >= n) throw new StoreCorruptError(where, `no message ${index} in chunk`);
  const dataStart = HEADER_BYTES + n * ENTRY_BYTES;
  const at = HEADER_BYTES + index * ENTRY_BYTES;
  const start = dataStart + view.readUInt32LE(at);
  const end = index + 1 < n ? dataStart + view.readUInt32LE(at + ENTRY_BYTES) : view.length;
  if (start > end || end > view.length) throw new StoreCorruptError(where, 'chunk is truncated');
  return { record: view.subarray(start, end), publishedAt: view.readDoubleLE(at + 8) };
}

export interface DeadRecord {
  reason: string;
  attempts: number;
  deadAt: number;
  publishedAt: number;
  bytes: number;
  record: Buffer;
}

export function encodeDead(d: DeadRecord): Buffer {
  return packr.pack([d.reason, d.attempts, d.deadAt, d.publishedAt, d.bytes, d.record]);
}

export function decodeDead(bytes: Uint8Array, where: string): DeadRecord {
  const v = unpack(bytes, where, 'dead letter');
  if (
    !Array.isArray(v) ||
    v.length !== 6 ||
    typeof v[0] !== 'string' ||
    !v.slice(1, 5).every((x) => typeof x === 'number') ||
    !(v[5] instanceof Uint8Array)
  ) {
    throw new StoreCorruptError(
      where,
      'dead letter is not [reason, attempts, deadAt, publishedAt, bytes, record]',
    );
  }
  return {
    reason: v[0],
    attempts: v[1],
    deadAt: v[2],
    publishedAt: v[3],
    bytes: v[4],
    record: Buffer.from(v[5].buffer, v[5].byteOffset, v[5].length),
  };
}

export function encodeIds(ids: string[]): Buffer {
  return packr.pack(ids);
}

export function decodeIds(bytes: Uint8Array, where: string): string[] {
  const v = unpack(bytes, where, 'dedup ids');
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new StoreCorruptError(where, 'dedup ids are not an array of strings');
  }
  return v;
}
