/**
 * How messages, dead letters and definitions are written into JetStream messages (standard
 * msgpack, as everywhere in zmq-mq), and what JetStream counts for each (its `max_bytes`).
 *
 *   work message  payload msgpack [id, topic, publishedAt, frames]; header Nats-Msg-Id = the dedup id
 *   dead letter   payload msgpack [reason, attempts, deadAt, id, topic, publishedAt, frames];
 *                 subject ends with the message's seq in its queue; header Nats-Msg-Id = that seq
 *   definition    payload JSON of the QueueDefinition
 */
import { Packr, Unpackr } from 'msgpackr';
import { parseQueueDefinition, type QueueDefinition } from '../definition';
import { StoreCorruptError } from '../errors';
import type { StoredMessage } from '../types';

const packr = new Packr({ useRecords: false, moreTypes: false });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, copyBuffers: false });

export function encodeMessage(m: StoredMessage): Buffer {
  return packr.pack([m.id, m.topic, m.publishedAt, m.frames]);
}

function unpack(bytes: Uint8Array, where: string): unknown[] {
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw new StoreCorruptError(where, 'not msgpack', { cause: err });
  }
  if (!Array.isArray(value)) throw new StoreCorruptError(where, 'not a msgpack array');
  return value;
}

function messageAt(v: unknown[], at: number, where: string): StoredMessage {
  const [id, topic, publishedAt, frames] = v.slice(at);
  if (
    typeof id !== 'string' ||
    typeof topic !== 'string' ||
    typeof publishedAt !== 'number' ||
    !Array.isArray(frames) ||
    frames.length === 0 ||
    !frames.every((f) => f instanceof Uint8Array)
  ) {
    throw new StoreCorruptError(where, 'not [id, topic, publishedAt, frames]');
  }
  return {
    id,
    topic,
    publishedAt,
    frames: (frames as Uint8Array[]).map((f) =>
      Buffer.isBuffer(f) ? f : Buffer.from(f.buffer, f.byteOffset, f.byteLength),
    ),
  };
}

/** Decodes a work message; frames are views of `bytes` (a buffer nats.js does not reuse). */
export function decodeMessage(bytes: Uint8Array, where: string): StoredMessage {
  return messageAt(unpack(bytes, where), 0, where);
}

export interface DeadRecord {
  reason: string;
  attempts: number;
  deadAt: number;
  message: StoredMessage;
}

export function encodeDead(d: DeadRecord): Buffer {
  const m = d.message;
  return packr.pack([d.reason, d.attempts, d.deadAt, m.id, m.topic, m.publishedAt, m.frames]);
}

export function decodeDead(bytes: Uint8Array, where: string): DeadRecord {
  const v = unpack(bytes, where);
  const [reason, attempts, deadAt] = v;
  if (typeof reason !== 'string' || typeof attempts !== 'number' || typeof deadAt !== 'number') {
    throw new StoreCorruptError(where, 'not [reason, attempts, deadAt, ...]');
  }
  return { reason, attempts, deadAt, message: messageAt(v, 3, where) };
}

export function encodeDefinition(def: QueueDefinition): Uint8Array {
  return Buffer.from(JSON.stringify(def));
}

export function decodeDefinition(bytes: Uint8Array, where: string): QueueDefinition {
  try {
    return parseQueueDefinition(JSON.parse(Buffer.from(bytes).toString('utf8')));
  } catch (err) {
    throw new StoreCorruptError(where, 'not a queue definition', { cause: err });
  }
}

/** The NATS header block of a message with a dedup id: `NATS/1.0\r\nNats-Msg-Id: <id>\r\n\r\n`. */
export function encodeMsgIdHeader(id: string): Buffer {
  return Buffer.from(`NATS/1.0\r\nNats-Msg-Id: ${id}\r\n\r\n`);
}

/** Bytes of that header block (0 without a dedup id). */
export function msgIdHeaderBytes(id: string | undefined): number {
  return id === undefined || id === '' ? 0 : 27 + Buffer.byteLength(id);
}

/**
 * What JetStream's file store counts for a message (towards `max_bytes` and in a stream's
 * `bytes`): a 22-byte record head, the subject, the headers with their 4-byte length, the
 * payload and an 8-byte hash (nats-server 2.9 `fileStoreMsgSize`).
 */
export function storedSize(
  subjectBytes: number,
  headerBytes: number,
  payloadBytes: number,
): number {
  return 30 + subjectBytes + (headerBytes > 0 ? 4 + headerBytes : 0) + payloadBytes;
}
