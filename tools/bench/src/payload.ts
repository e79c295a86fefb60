// The benchmark's message: frame 0 = `bench SP payload`, the payload starting with a fixed
// header (magic, producer id, sequence number, send time) and padded to the requested size.
// Consumers accept the frame with or without the topic, so one reader serves both paths.

/** Topic of every benchmark message. */
export const TOPIC = 'bench';
/** First payload byte; never a topic byte, so a reader can tell a stripped frame apart. */
export const MAGIC = 0xbe;
/** magic u8, producer u32, seq u32, sent f64 (ns on the shared monotonic clock). */
export const HEADER_BYTES = 17;
/** Sequence number of warm-up probes; measured messages count from 1. */
export const PROBE_SEQ = 0;

const PREFIX = Buffer.from(`${TOPIC} `, 'latin1');

/** A frame of `payloadBytes` payload (at least HEADER_BYTES) to copy and stamp per message. */
export function frameTemplate(payloadBytes: number): Buffer {
  if (!Number.isInteger(payloadBytes) || payloadBytes < HEADER_BYTES) {
    throw new RangeError(
      `payload must be an integer >= ${HEADER_BYTES} bytes, got ${payloadBytes}`,
    );
  }
  const frame = Buffer.alloc(PREFIX.length + payloadBytes, 0x2e);
  PREFIX.copy(frame, 0);
  frame[PREFIX.length] = MAGIC;
  return frame;
}

/** A fresh copy of `template` carrying producer, seq and send time (zeromq.js may keep the buffer). */
export function stampFrame(
  template: Buffer,
  producer: number,
  seq: number,
  sentNs: number,
): Buffer {
  const frame = Buffer.from(template);
  stampHeader(frame, 0, producer, seq, sentNs);
  return frame;
}

/**
 * Stamps a frame that already holds the template at `offset` (only its header changes):
 * producer, seq and send time.
 */
export function stampHeader(
  buf: Buffer,
  offset: number,
  producer: number,
  seq: number,
  sentNs: number,
): void {
  writeHeader(buf, offset + PREFIX.length, producer, seq, sentNs);
}

/** Writes the header (magic, producer, seq, send time) at `at`: a payload without the topic. */
export function writeHeader(
  buf: Buffer,
  at: number,
  producer: number,
  seq: number,
  sentNs: number,
): void {
  buf[at] = MAGIC;
  buf.writeUInt32LE(producer, at + 1);
  buf.writeUInt32LE(seq, at + 5);
  buf.writeDoubleLE(sentNs, at + 9);
}

/**
 * Offset of the header in a received frame 0 (topic kept or stripped), or -1 if not ours.
 * The frame may be a range `[start, end)` of a larger buffer; the offset is into that buffer.
 */
export function headerOffset(frame: Uint8Array, start = 0, end = frame.length): number {
  const size = end - start;
  if (size >= HEADER_BYTES && frame[start] === MAGIC) return start;
  const at = start + PREFIX.length;
  if (size >= PREFIX.length + HEADER_BYTES && frame[at] === MAGIC && frame[at - 1] === 0x20) {
    return at;
  }
  return -1;
}

export interface Stamp {
  producer: number;
  seq: number;
  sentNs: number;
}

/** Reads the header of a received frame 0, or null when the frame is not a benchmark message. */
export function readStamp(frame: Buffer): Stamp | null {
  const at = headerOffset(frame);
  if (at < 0) return null;
  return {
    producer: frame.readUInt32LE(at + 1),
    seq: frame.readUInt32LE(at + 5),
    sentNs: frame.readDoubleLE(at + 9),
  };
}

/** Now on the monotonic clock shared by every process of this machine (CLOCK_MONOTONIC), ns. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
