import { randomUUID } from 'node:crypto';
import { Proxy, Subscriber, XPublisher, type Publisher, type XSubscriber } from 'zeromq';

/** Messages each inproc hop holds (per pipe, each side), like the ingress's receive window. */
const HOP_HWM = 10_000;

/**
 * Default (counted) mode: the fan-out runs inside libzmq, the work path in JavaScript.
 *
 *   ingress XSUB ──zmq_proxy──▶ XPUB (inproc, no-drop) ──▶ relay SUB ──zmq_proxy──▶ PUB (subscribers)
 *                                  └──▶ tap SUB ──▶ JavaScript: count, strip the topic, PUSH or queue
 *
 * The inproc XPUB never drops: when the tap is full (JavaScript behind) it holds the first
 * proxy, which stops reading the ingress, so producers feel TCP backpressure, as they did when
 * one JavaScript loop read the ingress and sent to both outputs. The relay never waits (its PUB
 * drops for a slow subscriber, per subscriber), so the XPUB in practice waits only for the tap,
 * and the tap never waits for workers (the work queue takes what no worker can). The relay's
 * and the tap's subscriptions travel back through the first proxy and the XSUB to every
 * producer, so the ingress subscribes to everything as a SUB would.
 *
 * Measured (libs/broker/README.md, "Where the time goes"): the JavaScript thread makes one
 * receive and one send per message instead of one receive and two sends, and the fan-out no
 * longer queues behind it.
 */
export class CountedPaths {
  /** What the JavaScript work path reads: every ingress message, all frames, in order. */
  readonly tap: Subscriber;
  private readonly fan: XPublisher;
  private readonly relay: Subscriber;
  private readonly endpoint = `inproc://zmqmq-fan-${randomUUID()}`;
  private inbound: Proxy | undefined;
  private outbound: Proxy | undefined;
  private runs: Array<Promise<void>> = [];

  constructor() {
    this.fan = new XPublisher({ linger: 0, noDrop: true, sendHighWaterMark: HOP_HWM });
    this.relay = new Subscriber({ linger: 0, receiveHighWaterMark: HOP_HWM });
    this.tap = new Subscriber({ linger: 0, receiveHighWaterMark: HOP_HWM });
    this.relay.subscribe();
    this.tap.subscribe();
  }

  /** Connects the hops and starts both proxies; `onFailure` is told if one ends with an error. */
  async start(
    ingress: XSubscriber,
    publisher: Publisher,
    onFailure: (path: 'ingress' | 'fan-out', err: unknown) => void,
  ): Promise<void> {
    await this.fan.bind(this.endpoint);
    this.relay.connect(this.endpoint);
    this.tap.connect(this.endpoint);
    // zmq_proxy blocks in its sends and receives; a timeout of 0 would end it with EAGAIN.
    ingress.receiveTimeout = -1;
    publisher.sendTimeout = -1;
    this.inbound = new Proxy(ingress, this.fan);
    this.outbound = new Proxy(this.relay, publisher);
    this.runs = [
      this.inbound.run().catch((err: unknown) => onFailure('ingress', err)),
      this.outbound.run().catch((err: unknown) => onFailure('fan-out', err)),
    ];
  }

  /**
   * Stops taking ingress: the first proxy ends and closes the ingress and the XPUB. What the
   * XPUB already handed on stays readable in the tap's and the relay's pipes.
   */
  async stopIngress(): Promise<void> {
    if (this.inbound === undefined) return;
    this.inbound.terminate();
    await this.runs[0];
  }

  /** After `flushMs` for the relay to publish what it holds, stops the fan-out proxy. */
  async stop(flushMs: number): Promise<void> {
    if (this.outbound === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, flushMs));
    this.outbound.terminate();
    await this.runs[1];
  }

  /** Ends both proxies at once, nothing flushed (an exit cannot wait for a running proxy). */
  async abort(): Promise<void> {
    for (const proxy of [this.inbound, this.outbound]) endProxy(proxy);
    await Promise.all(this.runs);
  }

  /** Sockets no running proxy owns any more (for a final close). */
  sockets(): Array<Subscriber | XPublisher> {
    return [this.fan, this.relay, this.tap];
  }
}

/** Terminates a proxy that may have ended already (terminate() then throws). */
export function endProxy(proxy: Proxy | undefined): void {
  try {
    proxy?.terminate();
  } catch {
    // already ended
  }
}
