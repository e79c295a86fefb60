// A lean meter: the benchmark's consumers speak ZMTP 3.0 (rfc.zeromq.org/spec/23, NULL
// mechanism) over a plain `net` socket instead of through zeromq.js. zeromq.js costs the
// consumer a native call, a Buffer and a Promise per message (about 4-6 µs of CPU here, a
// whole core for two consumers at 117k msg/s); reading the TCP stream in 64 KiB chunks and
// cutting frames in JavaScript costs a fraction of that, so the meter leaves the two cores to
// the broker it measures. On the wire the consumer is an ordinary SUB or PULL peer: the broker
// sees a ZMTP peer of that socket type and applies its usual high-water marks and round-robin.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';

export type ZmtpSocketType = 'SUB' | 'PULL' | 'PUB' | 'PUSH';

const GREETING_BYTES = 64;
const FLAG_MORE = 0x01;
const FLAG_LONG = 0x02;
const FLAG_COMMAND = 0x04;

/** Our greeting: signature, version 3.0, mechanism NULL, as-server 0, filler. */
export function greeting(): Buffer {
  const g = Buffer.alloc(GREETING_BYTES, 0);
  g[0] = 0xff;
  g[9] = 0x7f;
  g[10] = 3;
  g[11] = 0;
  g.write('NULL', 12, 'latin1');
  return g;
}

/** One frame: flags, a 1- or 8-byte big-endian size, the body. */
export function encodeFrame(body: Uint8Array, flags = 0): Buffer {
  const out = Buffer.allocUnsafe(frameHeaderBytes(body.length) + body.length);
  out.set(body, writeFrameHeader(out, 0, body.length));
  out[0] = (out[0] as number) | flags;
  return out;
}

/** The READY command announcing our socket type. */
export function readyCommand(type: ZmtpSocketType): Buffer {
  const name = Buffer.from('Socket-Type', 'latin1');
  const value = Buffer.from(type, 'latin1');
  const body = Buffer.alloc(1 + 5 + 1 + name.length + 4 + value.length);
  let at = body.writeUInt8(5, 0);
  at += body.write('READY', at, 'latin1');
  at = body.writeUInt8(name.length, at);
  at += name.copy(body, at);
  at = body.writeUInt32BE(value.length, at);
  value.copy(body, at);
  return encodeFrame(body, FLAG_COMMAND);
}

/** ZMTP 3.0 subscription to everything: a message whose body is 0x01 and an empty prefix. */
export function subscribeAllMessage(): Buffer {
  return encodeFrame(Buffer.from([0x01]));
}

export class ZmtpProtocolError extends Error {
  override readonly name = 'ZmtpProtocolError';
}

/**
 * Cuts a ZMTP byte stream into messages: the peer's greeting first, then frames; commands
 * (READY, PING…) are skipped, frames flagged MORE are gathered into one message. Frame bodies
 * are views into the received chunks, copied only when a frame spans two chunks.
 */
export class FrameReader {
  private pending: Buffer | null = null;
  private greeted = false;
  private parts: Buffer[] = [];
  /** Commands seen (READY is the first). */
  commands = 0;

  constructor(
    private readonly onMessage: (frames: Buffer[]) => void,
    /** Called once, at the peer's first command (its READY: the handshake is complete). */
    private readonly onReady: () => void = () => undefined,
  ) {}

  /** Feeds one chunk; throws ZmtpProtocolError on a stream that is not ZMTP 3. */
  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    let at = 0;
    if (!this.greeted) {
      if (buf.length >= 1 && buf[0] !== 0xff) throw new ZmtpProtocolError('not a ZMTP peer');
      if (buf.length < GREETING_BYTES) {
        this.pending = buf;
        return;
      }
      if (buf[9] !== 0x7f || (buf[10] as number) < 3) {
        throw new ZmtpProtocolError(`unsupported ZMTP greeting (version ${buf[10]})`);
      }
      this.greeted = true;
      at = GREETING_BYTES;
    }
    const end = buf.length;
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
      if (end - at - head < size) break;
      const body = buf.subarray(at + head, at + head + size);
      at += head + size;
      if (flags & FLAG_COMMAND) {
        if (this.commands++ === 0) this.onReady();
        continue;
      }
      if (flags & FLAG_MORE) {
        this.parts.push(body);
        continue;
      }
      if (this.parts.length === 0) this.onMessage([body]);
      else {
        const frames = this.parts;
        this.parts = [];
        frames.push(body);
        this.onMessage(frames);
      }
    }
    if (at < end) this.pending = buf.subarray(at);
  }
}

/** Starts the handshake on a connected stream and feeds what arrives to a FrameReader. */
export function attach(
  socket: Socket,
  type: ZmtpSocketType,
  onMessage: (frames: Buffer[]) => void,
  onError: (err: Error) => void,
  onReady: () => void = () => undefined,
): void {
  // The subscription goes out once the peer's READY has arrived: libzmq (4.3) drops the
  // connection when it comes in the same segment as our greeting and READY.
  const reader = new FrameReader(onMessage, () => {
    if (type === 'SUB') socket.write(subscribeAllMessage());
    onReady();
  });
  socket.setNoDelay(true);
  socket.write(Buffer.concat([greeting(), readyCommand(type)]));
  socket.on('data', (chunk: Buffer) => {
    try {
      reader.push(chunk);
    } catch (err) {
      socket.destroy();
      onError(err as Error);
    }
  });
}

/** `tcp://host:port` → host and port (`*` → 0); throws on any other transport. */
export function parseTcpEndpoint(endpoint: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+|\*)$/.exec(endpoint);
  if (!m) throw new Error(`the ZMTP meter needs a tcp://host:port endpoint, got ${endpoint}`);
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  return { host, port: m[2] === '*' ? 0 : Number(m[2]) };
}

/** A consumer socket: connects to (or binds and accepts peers on) one tcp endpoint. */
export class ZmtpConsumer {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private closed = false;

  constructor(
    private readonly type: 'SUB' | 'PULL',
    private readonly onMessage: (frames: Buffer[]) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  private adopt(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => {
      if (!this.closed) this.onError(err);
    });
    attach(socket, this.type, this.onMessage, this.onError);
  }

  /** Connects to `endpoint` (the connection is set up in the background, as with zeromq). */
  connect(endpoint: string): void {
    const { host, port } = parseTcpEndpoint(endpoint);
    this.adopt(connect({ host, port }));
  }

  /** Listens on `endpoint` and returns the bound `tcp://host:port`. */
  bind(endpoint: string): Promise<string> {
    const { host, port } = parseTcpEndpoint(endpoint);
    const server = createServer((socket) => this.adopt(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const address = server.address();
        if (address === null || typeof address === 'string') {
          reject(new Error('listening socket has no tcp address'));
          return;
        }
        resolve(`tcp://${host.includes(':') ? `[${host}]` : host}:${address.port}`);
      });
    });
  }

  close(): void {
    this.closed = true;
    this.server?.close();
    for (const s of this.sockets) s.destroy();
  }
}

/**
 * A producer socket: a PUB peer that connects to one tcp endpoint and writes messages in
 * batches, one system call per batch. It sends only after the peer's READY (libzmq may drop a
 * connection whose first segment carries data along with the handshake). Where a zeromq PUB
 * drops at its high-water mark, callers drop when `queuedBytes` is over their bound.
 */
export class ZmtpPublisher {
  private socket: Socket | null = null;
  private isReady = false;
  private closed = false;

  constructor(private readonly onError: (err: Error) => void) {}

  connect(endpoint: string): void {
    const { host, port } = parseTcpEndpoint(endpoint);
    const socket = connect({ host, port });
    this.socket = socket;
    socket.on('error', (err) => {
      if (!this.closed) this.onError(err);
    });
    attach(
      socket,
      'PUB',
      () => undefined,
      this.onError,
      () => {
        this.isReady = true;
      },
    );
  }

  /** The handshake is complete: what is written now is delivered. */
  get ready(): boolean {
    return this.isReady && this.socket !== null && !this.socket.destroyed;
  }

  /** Bytes written but not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  /** Writes encoded frames; false when the socket wants the caller to wait for `drained()`. */
  write(frames: Buffer): boolean {
    return this.socket?.write(frames) ?? false;
  }

  drained(): Promise<void> {
    const socket = this.socket;
    if (socket === null || socket.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        resolve();
      };
      socket.on('drain', done);
      socket.on('close', done);
    });
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }
}

/** Header bytes of a message frame whose body is `bodyBytes` long. */
export function frameHeaderBytes(bodyBytes: number): number {
  return bodyBytes > 255 ? 9 : 2;
}

/** Writes a last-frame header for a `bodyBytes` body at `offset`; returns the body's offset. */
export function writeFrameHeader(buf: Buffer, offset: number, bodyBytes: number): number {
  if (bodyBytes > 255) {
    buf[offset] = FLAG_LONG;
    buf.writeBigUInt64BE(BigInt(bodyBytes), offset + 1);
    return offset + 9;
  }
  buf[offset] = 0;
  buf[offset + 1] = bodyBytes;
  return offset + 2;
}
