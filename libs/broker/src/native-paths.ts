import { randomUUID } from 'node:crypto';
import { Proxy, Subscriber, type Context, type Publisher, type Push } from 'zeromq';
import { endProxy } from './end-proxy';

/**
 * Native mode (`--push-format full`): both paths run inside libzmq, off the JavaScript thread.
 *
 *   ingress SUB ──zmq_proxy──▶ PUB ──(tcp: subscribers)
 *                               └──(inproc tap)──▶ SUB ──zmq_proxy──▶ PUSH ──(workers)
 *
 * The publish socket binds a second, inproc endpoint; a SUB on it feeds the work path. The
 * tap's receive high-water mark is the work queue's bound: when no worker can take messages,
 * the tap fills and the PUB drops for it, inside libzmq, uncounted. The fan-out never waits.
 */
export class NativePaths {
  readonly tap: Subscriber;
  readonly tapEndpoint = `inproc://zmqmq-tap-${randomUUID()}`;
  private fanOut: Proxy | undefined;
  private work: Proxy | undefined;
  private runs: Array<Promise<void>> = [];

  /** `zmq.context`: the publisher's context (the tap connects to it over inproc). */
  constructor(queueMaxMessages: number, zmq: { context?: Context } = {}) {
    this.tap = new Subscriber({ ...zmq, linger: 0, receiveHighWaterMark: queueMaxMessages });
    this.tap.subscribe();
  }

  /**
   * Binds the tap on `publisher` and starts both proxies. `onFailure` is told if a proxy ends
   * with an error (the broker then no longer forwards on that path).
   */
  async start(
    ingress: Subscriber,
    publisher: Publisher,
    pusher: Push,
    onFailure: (path: 'fan-out' | 'work', err: unknown) => void,
  ): Promise<void> {
    await publisher.bind(this.tapEndpoint);
    this.tap.connect(this.tapEndpoint);
    // zmq_proxy sends blocking: with a send timeout of 0 a full PUSH would end the proxy (EAGAIN).
    pusher.sendTimeout = -1;
    ingress.receiveTimeout = -1;
    this.fanOut = new Proxy(ingress, publisher);
    this.work = new Proxy(this.tap, pusher);
    this.runs = [
      this.fanOut.run().catch((err: unknown) => onFailure('fan-out', err)),
      this.work.run().catch((err: unknown) => onFailure('work', err)),
    ];
  }

  /** Ends both proxies at once, nothing drained (an exit cannot wait for a running proxy). */
  async abort(): Promise<void> {
    for (const proxy of [this.fanOut, this.work]) endProxy(proxy);
    await Promise.all(this.runs);
  }

  /**
   * Stops the fan-out (and so the ingress) first, gives the work path `drainMs` to hand on
   * what the tap holds, then stops it. Each proxy closes its own sockets.
   */
  async stop(drainMs: number): Promise<void> {
    if (this.fanOut === undefined || this.work === undefined) {
      if (!this.tap.closed) this.tap.close();
      return;
    }
    this.fanOut.terminate();
    await this.runs[0];
    await new Promise((resolve) => setTimeout(resolve, drainMs));
    this.work.terminate();
    await this.runs[1];
  }
}
