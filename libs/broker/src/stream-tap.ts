import { connect, type Socket } from 'node:net';
import { ZmtpFrameReader, zmtpGreeting, zmtpReady, zmtpSubscribeAll } from '@zmq-mq/protocol';
import type { ZmtpMessageLimits } from '@zmq-mq/protocol';

/**
 * One message from the tap: its frames, or, for a message past the tap's limits (bytes or
 * frames), only its size in bytes: its frames were read and let go, never held together.
 */
export type TapItem = Buffer[] | number;

/**
 * The tap reads into regions of this size (bytes), one after the other, each read taking the
 * region's free space (so up to this much per system call), and frames are views into them.
 */
export const TAP_REGION_BYTES = 1024 * 1024;

/** A read gets at least this much room (bytes); with less left, the next region starts. */
export const TAP_MIN_READ_BYTES = 64 * 1024;

/**
 * The work path's tap in counted mode: an ordinary SUB peer of the fan-out's XPUB, but spoken
 * as ZMTP bytes over a unix stream socket (`ipc://`) instead of through zeromq.js.
 *
 * Why: zeromq.js receives one message per native call and Promise, about 2.5 µs of the main
 * thread each here; reading the stream in large reads and cutting the frames in JavaScript
 * costs a small fraction of that per message (libs/broker/README.md, "Where the time goes").
 *
 * Reads land back to back in a region (TAP_REGION_BYTES) that Node reads into directly: a
 * frame that two reads brought is whole in memory without a copy, and frame bodies are views
 * into the region. When a region has less than TAP_MIN_READ_BYTES left, the next one starts,
 * and only the bytes of the frame not yet complete move to it. A region lives as long as a
 * view into it does: until a zero-copy send to a worker is done, or a queued message was
 * copied out of it (the work queue copies views).
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
  private region = Buffer.allocUnsafeSlow(TAP_REGION_BYTES);
  /** Region offsets: bytes before `parsed` are cut into frames, before `filled` read. */
  private parsed = 0;
  private filled = 0;

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
    this.socket = connect({
      path,
      onread: { buffer: () => this.readInto(), callback: (n: number) => this.onRead(n) },
    });
    this.socket.write(Buffer.concat([zmtpGreeting(), zmtpReady('SUB')]));
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

  /** `n` bytes were read at `filled`: cuts them into messages; false pauses reading. */
  private onRead(n: number): boolean {
    this.filled += n;
    try {
      this.parsed = this.reader.scan(this.region, this.parsed, this.filled);
    } catch (err) {
      this.fail(err as Error);
      return false;
    }
    if (this.messages.length === 0) return true;
    this.wake?.();
    return false;
  }

  /**
   * Where the next read goes: the rest of the region, or the start of a new one holding the
   * incomplete frame's bytes so far, sized for all of it (its header tells how long it is).
   */
  private readInto(): Buffer {
    const pending = this.filled - this.parsed;
    const room = this.region.length - this.filled;
    const frameEnd = this.parsed + this.reader.needs;
    if (room < TAP_MIN_READ_BYTES || frameEnd > this.region.length) {
      const size = Math.max(TAP_REGION_BYTES, this.reader.needs + TAP_MIN_READ_BYTES);
      const next = Buffer.allocUnsafeSlow(size);
      this.region.copy(next, 0, this.parsed, this.filled);
      this.region = next;
      this.parsed = 0;
      this.filled = pending;
    }
    return this.region.subarray(this.filled);
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
