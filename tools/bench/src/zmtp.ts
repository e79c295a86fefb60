// A lean meter: the benchmark's consumers speak ZMTP 3.0 (rfc.zeromq.org/spec/23, NULL
// mechanism) over a plain `net` socket instead of through zeromq.js. zeromq.js costs the
// consumer a native call, a Buffer and a Promise per message (about 4-6 µs of CPU here, a
// whole core for two consumers at 117k msg/s); reading the TCP stream in 64 KiB chunks and
// cutting frames in JavaScript costs a fraction of that, so the meter leaves the two cores to
// the broker it measures. Frames are handed on as ranges of the chunk (no Buffer, no array per
// message): fewer young-generation collections, whose 1-5 ms pauses would count as latency.
// On the wire the consumer is an ordinary SUB or PULL peer: the broker sees a ZMTP peer of that
// socket type and applies its usual high-water marks and round-robin.
import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { ZmtpFrameScanner, zmtpGreeting, zmtpReady, zmtpSubscribeAll } from '@zmq-mq/protocol';
import type { ZmtpSocketType } from '@zmq-mq/protocol';

/** Where a consumer's frames go. */
export interface FrameSink {
  /** A chunk arrived: what `frame` reports next came in it (read the clock once here). */
  chunk(): void;
  /** One data frame, `buf[start, end)`, valid during the call; `more`: its message goes on. */
  frame(buf: Buffer, start: number, end: number, more: boolean): void;
}

const NO_FRAMES: FrameSink = { chunk: () => undefined, frame: () => undefined };

/** Starts the handshake on a connected stream and feeds what arrives to `sink`. */
export function attach(
  socket: Socket,
  type: ZmtpSocketType,
  sink: FrameSink,
  onError: (err: Error) => void,
  onReady: () => void = () => undefined,
): void {
  // The subscription goes out once the peer's READY has arrived: libzmq (4.3) drops the
  // connection when it comes in the same segment as our greeting and READY.
  const scanner = new ZmtpFrameScanner(
    (buf, start, end, more) => sink.frame(buf, start, end, more),
    () => {
      if (type === 'SUB') socket.write(zmtpSubscribeAll());
      onReady();
    },
  );
  socket.setNoDelay(true);
  socket.write(Buffer.concat([zmtpGreeting(), zmtpReady(type)]));
  socket.on('data', (chunk: Buffer) => {
    try {
      sink.chunk();
      scanner.push(chunk);
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
    private readonly sink: FrameSink,
    private readonly onError: (err: Error) => void,
  ) {}

  private adopt(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => {
      if (!this.closed) this.onError(err);
    });
    attach(socket, this.type, this.sink, this.onError);
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
    attach(socket, 'PUB', NO_FRAMES, this.onError, () => {
      this.isReady = true;
    });
  }

  /** The handshake is complete: what is written now is delivered. */
  get ready(): boolean {
    return this.isReady && this.socket !== null && !this.socket.destroyed;
  }

  /** Bytes written but not yet taken by the kernel. */
  get queuedBytes(): number {
    return this.socket?.writableLength ?? 0;
  }

  /**
   * Writes encoded frames; false when the socket wants the caller to wait for `drained()`.
   * `written` runs once the kernel has taken them (or the socket failed): `frames` may be
   * reused then.
   */
  write(frames: Buffer, written?: () => void): boolean {
    if (this.socket === null) {
      written?.();
      return false;
    }
    return this.socket.write(frames, written);
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
