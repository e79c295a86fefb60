// ZMTP 3.0 (rfc.zeromq.org/spec/23), NULL mechanism, as bytes: enough to be an ordinary SUB,
// PULL, PUB or PUSH peer of libzmq over a plain stream (`net` socket), for code that reads or
// writes many messages per system call instead of one zeromq.js call per message. The broker's
// work path reads its tap this way; the benchmark's load processes speak it on both sides.
// Pure byte handling: no sockets here.
export type ZmtpSocketType = 'SUB' | 'PULL' | 'PUB' | 'PUSH';

const GREETING_BYTES = 64;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/** Our greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
export function zmtpGreeting(): Buffer {
  const g = Buffer.alloc(GREETING_BYTES, 0);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 0;
  g.write('NULL', 12, 'latin1');
  return g;
}

/** One frame: flags, a 1- or 8-byte big-endian size, the body. */
export function encodeZmtpFrame(body: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(zmtpFrameHeaderBytes(body.length) + body.length);
  out.set(body, writeZmtpFrameHeader(out, 0, body.length));
  out[0] = (out[0] as number) | flags;
  return out;
}

/** The READY command announcing our socket type. */
export function zmtpReady(type: ZmtpSocketType): Buffer {
  const name = Buffer.from('Socket-Type', 'latin1');
  const value = Buffer.from(type, 'latin1');
  const body = Buffer.alloc(1 + 5 + 1 + name.length + 4 + value.length);
  let at = body.writeUInt8(5, 0);
  at += body.write('READY', at, 'latin1');
  at = body.writeUInt8(name.length, at);
  at += name.copy(body, at);
  at = body.writeUInt32BE(value.length, at);
  value.copy(body, at);
  return encodeZmtpFrame(body, FLAG_COMMAND);
}

/** ZMTP 3.0 subscription to everything: a message whose body is 0x01 and an empty prefix. */
export function zmtpSubscribeAll(): Buffer {
  return encodeZmtpFrame(Buffer.from([0x01]));
}

export class ZmtpProtocolError extends Error {
  override readonly name = 'ZmtpProtocolError';
}

/**
 * Cuts a ZMTP byte stream into frames without allocating per frame: the peer's greeting
 * first, then frames; commands (READY, PING…) are counted and skipped, each data frame is
 * handed on as a range of a buffer. The buffer is the chunk itself, or, when a frame spans
 * chunks, the unread tail of the earlier chunks joined to the chunk that completes it (the
 * chunks in between are kept as they come and joined once: linear in the frame's size); a
 * range is valid during the call.
 */
export class ZmtpFrameScanner {
  // The unread bytes: chunks not yet joined, their total, and how many bytes the frame being
  // waited for needs in all (its header and body; 0 while its header is incomplete).
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private pendingNeeds = 0;
  private greeted = false;
  /** Commands seen (READY is the first). */
  commands = 0;
  /**
   * Bytes the first incomplete frame (or the greeting) needs in all, header included, counted
   * from the offset the last `scan` returned; 0 while its header is incomplete.
   */
  needs = 0;

  constructor(
    /** One data frame: `buf[start, end)`; `more` when another frame of its message follows. */
    private readonly onFrame: (buf: Buffer, start: number, end: number, more: boolean) => void,
    /** Called once, at the peer's first command (its READY: the handshake is complete). */
    private readonly onReady: () => void = () => undefined,
  ) {}

  /** Feeds one chunk; throws ZmtpProtocolError on a stream that is not ZMTP 3. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pendingBytes > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      if (this.pendingBytes < this.pendingNeeds) return; // the frame is not complete yet
      buf = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    const at = this.scan(buf, 0, buf.length);
    if (at < buf.length) this.keep(buf.subarray(at), this.needs);
  }

  /**
   * Cuts every complete frame out of `buf[start, end)` and returns where the first incomplete
   * one starts (`end` when none is): the caller keeps the bytes from there on and scans them
   * again, joined in place to what arrives next (a reader that receives into one growing
   * buffer scans without copying). Frame ranges are valid during the call. Throws
   * ZmtpProtocolError on a stream that is not ZMTP 3.
   */
  scan(buf: Buffer, start: number, end: number): number {
    let at = start;
    this.needs = 0;
    if (!this.greeted) {
      if (end > at && buf[at] !== 0xff) throw new ZmtpProtocolError('not a ZMTP peer');
      if (end - at < GREETING_BYTES) {
        this.needs = GREETING_BYTES;
        return at;
      }
      if (buf[at + 9] !== 0x7f || (buf[at + 10] as number) < 3) {
        throw new ZmtpProtocolError(`unsupported ZMTP greeting (version ${buf[at + 10]})`);
      }
      this.greeted = true;
      at += GREETING_BYTES;
    }
    while (end - at >= 2) {
      const flags = buf[at] as number;
      let size: number;
      let head: number;
      if (flags & FLAG_LONG) {
        if (end - at < 9) break;
        size = Number(buf.readBigUInt64BE(at + 1));
        head = 9;
      } else {
        size = buf[at + 1] as number;
        head = 2;
      }
      if (end - at - head < size) {
        this.needs = head + size;
        break;
      }
      const bodyStart = at + head;
      at = bodyStart + size;
      if (flags & FLAG_COMMAND) {
        if (this.commands++ === 0) this.onReady();
        continue;
      }
      this.onFrame(buf, bodyStart, at, (flags & FLAG_MORE) !== 0);
    }
    return at;
  }

  private keep(tail: Buffer, needs: number): void {
    this.pending = [tail];
    this.pendingBytes = tail.length;
    this.pendingNeeds = needs;
  }
}

/** Limits on one message for ZmtpFrameReader; a message past either is not kept. */
export interface ZmtpMessageLimits {
  /** Most bytes in all its frames. */
  maxBytes?: number;
  /** Most frames. */
  maxFrames?: number;
}

/**
 * Cuts a ZMTP byte stream into messages (see ZmtpFrameScanner): frames flagged MORE are
 * gathered into one message. Frame bodies are views into the received chunks, copied only
 * when a frame spans two chunks. A message past `limits` is not gathered: from the frame that
 * passes a limit on, its frames are only measured, and at its end `onOversized` gets its size.
 */
export class ZmtpFrameReader {
  private readonly scanner: ZmtpFrameScanner;
  private parts: Buffer[] = [];
  private bytes = 0;
  private frames = 0;
  private oversized = false;

  constructor(
    onMessage: (frames: Buffer[]) => void,
    /** Called once, at the peer's first command (its READY: the handshake is complete). */
    onReady: () => void = () => undefined,
    limits: ZmtpMessageLimits = {},
    /** A message past `limits`, with its size in bytes (all frames) and frames. */
    onOversized: (bytes: number, frames: number) => void = () => undefined,
  ) {
    const maxBytes = limits.maxBytes ?? Infinity;
    const maxFrames = limits.maxFrames ?? Infinity;
    this.scanner = new ZmtpFrameScanner((buf, start, end, more) => {
      this.bytes += end - start;
      this.frames++;
      if (!this.oversized && (this.bytes > maxBytes || this.frames > maxFrames)) {
        this.oversized = true;
        this.parts = [];
      }
      if (this.oversized) {
        if (more) return;
        onOversized(this.bytes, this.frames);
      } else if (more) {
        this.parts.push(buf.subarray(start, end));
        return;
      } else if (this.parts.length === 0) {
        onMessage([buf.subarray(start, end)]);
      } else {
        const frames = this.parts;
        this.parts = [];
        frames.push(buf.subarray(start, end));
        onMessage(frames);
      }
      this.bytes = 0;
      this.frames = 0;
      this.oversized = false;
    }, onReady);
  }

  /** Commands seen (READY is the first). */
  get commands(): number {
    return this.scanner.commands;
  }

  /** Feeds one chunk; throws ZmtpProtocolError on a stream that is not ZMTP 3. */
  push(chunk: Buffer): void {
    this.scanner.push(chunk);
  }

  /** As ZmtpFrameScanner.scan: messages out of `buf[start, end)`, frames as views into `buf`. */
  scan(buf: Buffer, start: number, end: number): number {
    return this.scanner.scan(buf, start, end);
  }

  /** As ZmtpFrameScanner.needs, for the frame where the last `scan` stopped. */
  get needs(): number {
    return this.scanner.needs;
  }
}

/** Header bytes of a message frame whose body is `bodyBytes` long. */
export function zmtpFrameHeaderBytes(bodyBytes: number): number {
  return bodyBytes > 255 ? 9 : 2;
}

/** Writes a last-frame header for a `bodyBytes` body at `offset`; returns the body's offset. */
export function writeZmtpFrameHeader(buf: Buffer, offset: number, bodyBytes: number): number {
  if (bodyBytes > 255) {
    buf[offset] = FLAG_LONG;
    buf.writeBigUInt64BE(BigInt(bodyBytes), offset + 1);
    return offset + 9;
  }
  buf[offset] = 0;
  buf[offset + 1] = bodyBytes;
  return offset + 2;
}
