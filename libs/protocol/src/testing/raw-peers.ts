import { connect, type Socket } from 'node:net';
import { encodeZmtpFrame, zmtpGreeting, zmtpReady, type ZmtpSocketType } from '../zmtp';
import { withTimeout } from './wait';

/**
 * First bytes of peers that do not speak ZMTP 3, as a scanner, an old library or a confused
 * program sends them. libzmq takes a first byte other than 0xFF for ZMTP 1.0.
 */
export const NOT_ZMTP3_PROBES: Readonly<Record<string, Buffer>> = {
  /** A scanner's probe. */
  http: Buffer.from('GET / HTTP/1.0\r\n\r\n'),
  /** ZMTP 1.0: a first frame of 1 byte, flags 0 (an empty identity). */
  'zmtp-1.0': Buffer.from([0x01, 0x00]),
  /** ZMTP 2.0: signature, revision 1, socket type PUSH (8), then an empty identity frame. */
  'zmtp-2.0': Buffer.from([0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f, 0x01, 0x08, 0x00, 0x00]),
};

/** Greeting and READY of a ZMTP 3.0 peer of the NULL mechanism, as one write. */
export function zmtpHandshake(type: ZmtpSocketType): Buffer {
  return Buffer.concat([zmtpGreeting(), zmtpReady(type)]);
}

/** A ZMTP 3 subscription message for `prefix` (the subscribe byte, then the prefix). */
export function zmtpSubscription(prefix: Uint8Array): Buffer {
  return encodeZmtpFrame(Buffer.concat([Buffer.from([0x01]), prefix]));
}

/** `tcp://host:port` → host and port. */
function hostPort(endpoint: string): { host: string; port: number } {
  const m = /^tcp:\/\/\[?([^\]]+?)\]?:(\d+)$/.exec(endpoint);
  if (m === null) throw new Error(`not a tcp endpoint: ${endpoint}`);
  return { host: m[1] as string, port: Number(m[2]) };
}

/**
 * A raw TCP connection to a port, for tests that play a hostile or broken peer: it writes what
 * it is told, counts the bytes it gets back, and says when the other side closed. Never reads
 * faster than the kernel gives (it does not pause unless asked: `stopReading`).
 */
export class RawPeer {
  /** Bytes received so far. */
  received = 0;
  /** Resolves when the connection has closed, by either side. */
  readonly closed: Promise<void>;
  private isClosed = false;

  /** This end's `ip:port`, as the broker sees the peer. */
  address = '';

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    void this.closed.then(() => (this.isClosed = true));
    socket.on('data', (chunk: Buffer) => (this.received += chunk.length));
    socket.on('error', () => undefined); // a reset is a close, for these tests
  }

  /** Connects to `endpoint` (`tcp://host:port`); rejects after `timeoutMs`. */
  static async open(endpoint: string, timeoutMs = 5000): Promise<RawPeer> {
    const { host, port } = hostPort(endpoint);
    const socket = connect(port, host);
    const peer = new RawPeer(socket);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        socket.once('connect', () => {
          peer.address = `${socket.localAddress}:${socket.localPort}`;
          resolve();
        });
        socket.once('error', reject);
      }),
      timeoutMs,
      `a TCP connection to ${endpoint}`,
    );
    return peer;
  }

  get hasClosed(): boolean {
    return this.isClosed;
  }

  /** Writes `bytes`; resolves once the kernel took them (or the connection is gone). */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(bytes, () => resolve());
    });
  }

  /** Stops reading: what the other side sends piles up in the kernel, then in its own queue. */
  stopReading(): void {
    this.socket.pause();
  }

  /** Resolves when the other side has closed the connection; rejects after `timeoutMs`. */
  untilClosed(timeoutMs = 5000): Promise<void> {
    return withTimeout(this.closed, timeoutMs, 'the other side to close the connection');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
