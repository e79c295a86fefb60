import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Proxy,
  Subscriber,
  XPublisher,
  type Context,
  type Publisher,
  type XSubscriber,
} from 'zeromq';
import type { ZmtpMessageLimits } from '@zmq-mq/protocol';
import { endProxy } from './end-proxy';
import { StreamTap } from './stream-tap';

/**
 * Messages each hop holds (per pipe, each side). 1000, libzmq's default: against 10,000, the
 * same saturation rates for 100 B and 1 KiB, and for 16 KiB messages a third of the memory
 * (libs/broker/README.md, "Session 6").
 */
const HOP_HWM = 1000;

/** How long start() waits for the relay's and the tap's subscriptions to reach the XPUB (ms). */
const SUBSCRIBE_TIMEOUT_MS = 5000;

/**
 * The least time the closed XPUB gets to hand the tap what it still holds (its linger, ms),
 * whatever the drain timeout: the tap is a local unix socket read by this process, and
 * JavaScript reads what the XPUB holds (at most its 1,000-message pipe plus the socket buffer)
 * in milliseconds. A shorter linger, or none, would discard messages the relay has already
 * published, uncounted.
 */
export const TAP_FLUSH_MIN_MS = 1000;

/**
 * Default (counted) mode: the fan-out runs inside libzmq, the work path in JavaScript.
 *
 *   ingress XSUB ──zmq_proxy──▶ XPUB (no-drop) ──inproc──▶ relay SUB ──zmq_proxy──▶ PUB (subscribers)
 *                                  └──ipc──▶ StreamTap ──▶ JavaScript: count, strip the topic, PUSH or queue
 *
 * The XPUB never drops: when the tap is full (JavaScript behind) it holds the first
 * proxy, which stops reading the ingress, so producers feel TCP backpressure, as they did when
 * one JavaScript loop read the ingress and sent to both outputs. The relay never waits (its PUB
 * drops for a slow subscriber, per subscriber), so the XPUB in practice waits only for the tap,
 * and the tap never waits for workers (the work queue takes what no worker can). start() reads
 * the relay's and the tap's subscriptions off the XPUB itself and passes them to the ingress
 * XSUB (and so to every producer) before the first proxy runs: no message can pass the XPUB
 * before both are subscribed. The tap's unix socket lives in a directory only this user can
 * enter, removed as soon as the tap is connected.
 *
 * Measured (libs/broker/README.md, "Where the time goes"): the fan-out no longer queues behind
 * JavaScript, and JavaScript reads the tap a chunk at a time and makes one send per message.
 */
export class CountedPaths {
  /** What the JavaScript work path reads: every ingress message, all frames, in order. */
  tap: StreamTap | undefined;
  private readonly fan: XPublisher;
  private readonly relay: Subscriber;
  private readonly endpoint = `inproc://zmqmq-fan-${randomUUID()}`;
  private tapDir: string | undefined;
  private inbound: Proxy | undefined;
  private outbound: Proxy | undefined;
  private runs: Array<Promise<void>> = [];
  /**
   * How long the closed XPUB may take to hand the tap what it still holds (its linger): the
   * drain timeout, but never less than TAP_FLUSH_MIN_MS.
   */
  readonly tapFlushMs: number;

  /**
   * `drainTimeoutMs`: the broker's drain timeout (see `tapFlushMs`);
   * `zmq.context`: the ingress's and publisher's context (inproc needs one context).
   */
  constructor(drainTimeoutMs: number, zmq: { context?: Context } = {}) {
    this.tapFlushMs = Math.max(drainTimeoutMs, TAP_FLUSH_MIN_MS);
    this.fan = new XPublisher({
      ...zmq,
      linger: this.tapFlushMs,
      noDrop: true,
      sendHighWaterMark: HOP_HWM,
      // Each subscription reaches start(), duplicates included: it counts the relay's and the tap's.
      verbosity: 'allSubs',
      receiveTimeout: SUBSCRIBE_TIMEOUT_MS,
    });
    this.relay = new Subscriber({ ...zmq, linger: 0, receiveHighWaterMark: HOP_HWM });
    this.relay.subscribe();
  }

  /**
   * Connects the hops and starts both proxies; `onFailure` is told if one ends with an error.
   * `tapLimits`: a message past them reaches the work path as its size only (StreamTap).
   */
  async start(
    ingress: XSubscriber,
    publisher: Publisher,
    onFailure: (path: 'ingress' | 'fan-out', err: unknown) => void,
    tapLimits: ZmtpMessageLimits = {},
  ): Promise<void> {
    this.tapDir = mkdtempSync(join(tmpdir(), 'zmqmq-tap-'));
    const tapPath = join(this.tapDir, 'tap');
    await this.fan.bind(this.endpoint);
    await this.fan.bind(`ipc://${tapPath}`);
    this.relay.connect(this.endpoint);
    this.tap = new StreamTap(tapPath, tapLimits);
    for (let subscribed = 0; subscribed < 2; subscribed++) {
      let subscription: Buffer[];
      try {
        subscription = await this.fan.receive();
      } catch (err) {
        throw new Error(
          `the fan-out's relay and tap did not both subscribe within ${SUBSCRIBE_TIMEOUT_MS} ms`,
          { cause: err },
        );
      }
      await ingress.send(subscription[0] as Buffer);
    }
    this.fan.receiveTimeout = -1;
    this.removeTapDir(); // connected: the socket file has done its job
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
   * XPUB already handed on stays readable in the relay's pipe, and its linger (`tapFlushMs`)
   * writes the rest to the tap, whose stream then ends.
   */
  async stopIngress(): Promise<void> {
    if (this.inbound === undefined) return;
    endProxy(this.inbound); // abort() may have ended it already
    await this.runs[0];
  }

  /** After `flushMs` for the relay to publish what it holds, stops the fan-out proxy. */
  async stop(flushMs: number): Promise<void> {
    if (this.outbound === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, flushMs));
    endProxy(this.outbound); // abort() may have ended it already
    await this.runs[1];
  }

  /** Ends both proxies at once, nothing flushed (an exit cannot wait for a running proxy). */
  async abort(): Promise<void> {
    this.tap?.destroy(); // or the XPUB's linger would hold the exit
    for (const proxy of [this.inbound, this.outbound]) endProxy(proxy);
    await Promise.all(this.runs);
  }

  /** Closes what no running proxy owns any more, and removes the tap's directory. */
  close(): void {
    this.tap?.destroy();
    for (const socket of [this.fan, this.relay]) if (!socket.closed) socket.close();
    this.removeTapDir();
  }

  private removeTapDir(): void {
    if (this.tapDir !== undefined) rmSync(this.tapDir, { recursive: true, force: true });
    this.tapDir = undefined;
  }
}
