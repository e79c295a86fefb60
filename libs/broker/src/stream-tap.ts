import { connect, type Socket } from 'node:net';
import { ZmtpFrameReader, zmtpGreeting, zmtpReady, zmtpSubscribeAll } from '@zmq-mq/protocol';
import type { ZmtpMessageLimits } from '@zmq-mq/protocol';

/**
 * One message from the tap: its frames, or, for a message past the tap's limits (bytes or
 * frames), only its size in bytes: its frames were read and let go, never held together.
 */
export type TapItem = Buffer[] | number;

/**
 * The work path's tap in counted mode: an ordinary SUB peer of the fan-out's XPUB, but spoken
 * as ZMTP bytes over a unix stream socket (`ipc://`) instead of through zeromq.js.
 *
 * Why: zeromq.js receives one message per native call and Promise, about 2.5 µs of the main
 * thread each here; reading the stream in chunks of up to 64 KiB and cutting the frames in
 * JavaScript costs a small fraction of that per message (libs/broker/README.md, "Where the time
 * goes"). Frame bodies are views into the chunk they came in.
 *
 * Flow control is the stream's: while a batch is being handled the socket is paused, the
 * kernel buffer and then the XPUB's pipe fill, and the no-drop XPUB holds the ingress proxy.
 * The stream ends when the XPUB closes, after its linger has flushed what it held, so the end
 * of the stream is the end of what the ingress took (checked in libs/broker/test).
 */
export class StreamTap {
  private readonly socket: Socket;
  private readonly reader: ZmtpFrameReader;
  private messages: TapItem[] = [];
  private ended = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  /**
   * Connects to the unix socket at `path` and starts the handshake. A message past `limits`
   * is not kept: it arrives as its size in bytes (see TapItem).
   */
  constructor(path: string, limits: ZmtpMessageLimits = {}) {
    this.reader = new ZmtpFrameReader(
      (frames) => this.messages.push(frames),
      // libzmq drops a connection whose subscription comes before its READY was answered.
      () => this.socket.write(zmtpSubscribeAll()),
      limits,
      (bytes) => this.messages.push(bytes),
    );
    this.socket = connect(path);
    this.socket.write(Buffer.concat([zmtpGreeting(), zmtpReady('SUB')]));
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.reader.push(chunk);
      } catch (err) {
        this.fail(err as Error);
        return;
      }
      if (this.messages.length > 0) {
        this.socket.pause();
        this.wake?.();
      }
    });
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('end', () => this.finish());
    this.socket.on('close', () => this.finish());
  }

  /**
   * The messages that arrived since the last call, waiting for some if none did; `null` once
   * the stream has ended. Throws what broke the stream (a socket error, bytes not ZMTP).
   */
  async next(): Promise<TapItem[] | null> {
    while (this.messages.length === 0) {
      if (this.failure !== undefined) throw this.failure;
      if (this.ended) return null;
      this.socket.resume();
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
    const batch = this.messages;
    this.messages = [];
    return batch;
  }

  /** Ends reading now: what the peer still holds for us is discarded. */
  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.socket.destroy();
    this.wake?.();
  }

  private finish(): void {
    this.ended = true;
    this.wake?.();
  }
}
