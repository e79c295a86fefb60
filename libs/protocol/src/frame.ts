import { FrameError } from './errors';
import { assertTopic } from './topics';

/** The byte that separates topic from payload in frame 0 (ASCII space). */
export const SEPARATOR = 0x20;

/** Frame 0 read as `topic SP payload`. Both parts are views on the original bytes. */
export interface SplitFrame {
  /** Bytes before the first space; the whole frame when there is no space. */
  readonly topic: Buffer;
  /** Bytes after the first space; the whole frame when there is no space (Python's `split(b' ', 1)[-1]`). */
  readonly payload: Buffer;
  /** Whether the frame contained a space at all. */
  readonly hasSeparator: boolean;
}

/** A view of `bytes` as a Buffer, without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Builds frame 0: the topic's UTF-8 bytes, one space, then the payload bytes as they are.
 * The topic is validated (see `assertTopic`); the payload may hold any bytes, spaces included.
 */
export function encodeFrame(topic: string, payload: Uint8Array | string): Buffer {
  assertTopic(topic);
  const payloadBytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const topicLength = Buffer.byteLength(topic, 'utf8');
  const frame = Buffer.allocUnsafe(topicLength + 1 + payloadBytes.byteLength);
  frame.write(topic, 0, 'utf8');
  frame[topicLength] = SEPARATOR;
  frame.set(payloadBytes, topicLength + 1);
  return frame;
}

/**
 * Splits frame 0 at its first space, as Python's `frame.split(b' ', 1)` does. Zero-copy: the
 * parts are subarray views on `frame`. Never throws: any bytes split.
 */
export function splitFrame(frame: Uint8Array): SplitFrame {
  const buf = asBuffer(frame);
  const at = buf.indexOf(SEPARATOR);
  if (at < 0) return { topic: buf, payload: buf, hasSeparator: false };
  return { topic: buf.subarray(0, at), payload: buf.subarray(at + 1), hasSeparator: true };
}

/**
 * The payload side of frame 0, exactly `frame.split(b' ', 1)[-1]` in Python: the bytes after the
 * first space, or the whole frame when there is none. Zero-copy. This is what the broker pushes.
 */
export function payloadOf(frame: Uint8Array): Buffer {
  const buf = asBuffer(frame);
  const at = buf.indexOf(SEPARATOR);
  return at < 0 ? buf : buf.subarray(at + 1);
}

// ignoreBOM: a topic that starts with U+FEFF keeps it (by default the decoder drops it).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Reads frame 0 strictly, for typed clients: requires a space and a topic that is valid
 * UTF-8 and follows the topic rules. Throws `FrameError` with the kind of defect.
 */
export function parseFrame(frame: Uint8Array | undefined): { topic: string; payload: Buffer } {
  if (frame === undefined) throw new FrameError('no-frames', 'message has no frames');
  if (frame.byteLength === 0) throw new FrameError('empty', 'frame 0 is empty');
  const split = splitFrame(frame);
  if (!split.hasSeparator) {
    throw new FrameError(
      'no-separator',
      `frame 0 (${frame.byteLength} bytes) has no space between topic and payload`,
    );
  }
  let topic: string;
  try {
    topic = utf8.decode(split.topic);
    assertTopic(topic);
  } catch (cause) {
    throw new FrameError('bad-topic', `frame 0 has an invalid topic: ${(cause as Error).message}`, {
      cause,
    });
  }
  return { topic, payload: split.payload };
}
