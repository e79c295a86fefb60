import { randomUUID } from 'node:crypto';
import { Proxy, Subscriber } from 'zeromq';
import { endProxy } from './end-proxy';
import type { ProxyThreadLease } from './proxy-threads';
import {
  proxyFailed,
  type ForwardingPaths,
  type OutputSockets,
  type PathsHost,
} from './forwarding';
import type { BrokerOptions } from './options';
import { ingressOptions, type ZmqContext } from './sockets';

/** The tap's depth cannot be read: on stop the work path gets this long (ms). */
const NATIVE_DRAIN_MS = 500;

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
export class NativePaths implements ForwardingPaths {
  readonly mode = 'native';
  /** A SUB subscribed to everything: libzmq's proxy forwards what it takes. */
  readonly ingress: Subscriber;
  readonly tap: Subscriber;
  readonly tapEndpoint = `inproc://zmqmq-tap-${randomUUID()}`;
  private fanOut: Proxy | undefined;
  private work: Proxy | undefined;
  private runs: Array<Promise<void>> = [];

  /** `zmq.context`: the context of every socket of the broker (the tap connects over inproc). */
  constructor(
    private readonly options: BrokerOptions,
    private readonly host: PathsHost,
    zmq: ZmqContext = {},
  ) {
    this.ingress = new Subscriber(ingressOptions(zmq));
    this.ingress.subscribe();
    this.tap = new Subscriber({
      ...zmq,
      linger: 0,
      receiveHighWaterMark: options.queueMaxMessages,
    });
    this.tap.subscribe();
  }

  /**
   * Binds the tap on `publisher` and starts both proxies. A proxy that ends with an error is
   * reported to the host (`proxyFailed`): the broker then no longer forwards on that path.
   */
  async start(outputs: OutputSockets, threads: ProxyThreadLease): Promise<void> {
    const { ingress, host } = this;
    const { publisher, pusher } = outputs;
    await publisher.bind(this.tapEndpoint);
    this.tap.connect(this.tapEndpoint);
    // zmq_proxy sends blocking: with a send timeout of 0 a full PUSH would end the proxy (EAGAIN).
    pusher.sendTimeout = -1;
    ingress.receiveTimeout = -1;
    this.fanOut = new Proxy(ingress, publisher);
    this.work = new Proxy(this.tap, pusher);
    this.runs = [
      threads.run(this.fanOut).catch((err: unknown) => proxyFailed(host, 'fan-out', err)),
      threads.run(this.work).catch((err: unknown) => proxyFailed(host, 'work', err)),
    ];
  }

  /**
   * Stops the fan-out (and so the ingress) first; with `graceful`, gives the work path the
   * drain timeout, at most NATIVE_DRAIN_MS, to hand on what the tap holds, then stops it. Each
   * proxy closes its own sockets. What the tap still held is not known: resolves with 0.
   */
  async stop(graceful: boolean): Promise<number> {
    if (this.fanOut === undefined || this.work === undefined) {
      if (!this.tap.closed) this.tap.close();
      return 0;
    }
    const drainMs = graceful ? Math.min(this.options.drainTimeoutMs, NATIVE_DRAIN_MS) : 0;
    this.fanOut.terminate();
    await this.runs[0];
    await new Promise((resolve) => setTimeout(resolve, drainMs));
    this.work.terminate();
    await this.runs[1];
    return 0;
  }

  /** Ends both proxies at once, nothing drained (an exit cannot wait for a running proxy). */
  async abort(): Promise<number> {
    await this.endProxies();
    return 0;
  }

  async endProxies(): Promise<void> {
    for (const proxy of [this.fanOut, this.work]) endProxy(proxy);
    await Promise.all(this.runs);
  }

  close(): void {
    if (!this.tap.closed) this.tap.close();
  }
}
