import { randomUUID } from 'node:crypto';
import { XPublisher } from 'zeromq';
import type { ZmqContext } from '../sockets';
import type { ReliableStats } from './stats';

/** How long start waits for the fan-out relay's subscription (ms). */
const SUBSCRIBE_TIMEOUT_MS = 5000;
/** Confirmed messages held for the relay before the feed counts drops (libzmq's default). */
const FEED_HWM = 1000;

/**
 * Confirmed publishes into the fan-out (counted mode): an XPUB bound on inproc that the
 * fan-out's relay SUB also connects to, so subscribers get confirmed messages as they get any
 * message, through the same PUB. Sends never wait: past the relay's pipe (FEED_HWM) a message
 * is counted in `fanOutDropped` instead (the fan-out is best-effort, as for every message).
 * Nothing is sent while no subscriber is connected (`subscribers()` says 0): the PUB would drop
 * it anyway.
 */
export class FanOutFeed {
  readonly endpoint = `inproc://zmqmq-confirmed-${randomUUID()}`;
  private readonly socket: XPublisher;
  private readonly onSent = (): void => {
    this.stats.fanOutPublished++;
  };
  private readonly onRefused = (): void => {
    this.stats.fanOutDropped++;
  };

  constructor(
    zmq: ZmqContext,
    private readonly stats: ReliableStats,
    private readonly subscribers: () => number,
  ) {
    this.socket = new XPublisher({
      ...zmq,
      linger: 0,
      noDrop: true,
      sendTimeout: 0,
      sendHighWaterMark: FEED_HWM,
      receiveTimeout: SUBSCRIBE_TIMEOUT_MS,
    });
  }

  async bind(): Promise<void> {
    await this.socket.bind(this.endpoint);
  }

  /** Resolves once the relay has subscribed (after it connected to `endpoint`). */
  async subscribed(): Promise<void> {
    try {
      await this.socket.receive();
    } catch (err) {
      throw new Error(
        `the fan-out's relay did not subscribe to confirmed publishes within ${SUBSCRIBE_TIMEOUT_MS} ms`,
        { cause: err },
      );
    }
  }

  /** Hands a stored message to the fan-out, unchanged; never waits. */
  publish(frames: Buffer[]): void {
    if (this.socket.closed || this.subscribers() === 0) return;
    this.socket.send(frames).then(this.onSent, this.onRefused);
  }

  close(): void {
    if (!this.socket.closed) this.socket.close();
  }
}
