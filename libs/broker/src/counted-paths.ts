import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proxy, Subscriber, XPublisher, XSubscriber } from 'zeromq';
import { endProxy } from './end-proxy';
import { setOutBatch } from './io-batch';
import {
  proxyFailed,
  type ForwardingPaths,
  type OutputSockets,
  type PathsHost,
} from './forwarding';
import type { BrokerOptions } from './options';
import type { ProxyThreadLease } from './proxy-threads';
import type { IngressQueues } from './reliable/ingress-queues';
import { ingressOptions, type ZmqContext } from './sockets';
import { StreamTap } from './stream-tap';
import { MAX_MESSAGE_FRAMES, WorkPath } from './work-path';
import type { WorkQueue } from './work-queue';

/**
 * Messages each hop holds (per pipe, each side). 1000, libzmq's default. Measured against
 * 10,000 in three interleaved rounds of the saturation benchmark (libs/broker/README.md, "Where
 * the time goes"): the same rates for 100 B and 1 KiB messages, and a flood of 16 KiB messages
 * from 4 producers peaked at 175-177 MB of RSS instead of 778-801 MB.
 */
const HOP_HWM = 1000;

/** On stop, the fan-out relay gets this long to publish what it holds (ms). */
const FAN_OUT_FLUSH_MS = 50;

/**
 * On stop, how long past the XPUB's linger (`tapFlushMs`) the tap may take to be read to its end
 * (ms): the linger ends the stream, and what the socket buffer still holds is then read in
 * milliseconds.
 */
const TAP_READ_GRACE_MS = 1000;

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
export class CountedPaths implements ForwardingPaths {
  readonly mode = 'counted';
  /** An XSUB: its subscriptions are the relay's and the tap's, read off the XPUB by start(). */
  readonly ingress: XSubscriber;
  /** What the JavaScript work path reads: every ingress message, all frames, in order. */
  tap: StreamTap | undefined;
  private readonly fan: XPublisher;
  private readonly relay: Subscriber;
  private readonly endpoint = `inproc://zmqmq-fan-${randomUUID()}`;
  private tapDir: string | undefined;
  private inbound: Proxy | undefined;
  private outbound: Proxy | undefined;
  private runs: Array<Promise<void>> = [];
  private work: WorkPath | undefined;
  /**
   * How long the closed XPUB may take to hand the tap what it still holds (its linger): the
   * drain timeout, but never less than TAP_FLUSH_MIN_MS.
   */
  readonly tapFlushMs: number;

  /**
   * `queue`: the broker's work queue, which the work path fills and drains;
   * `zmq.context`: the context of every socket of the broker (inproc needs one context);
   * `durable`: the durable queues' tap of plain-ingress messages, when they run.
   */
  constructor(
    private readonly options: BrokerOptions,
    private readonly host: PathsHost,
    private readonly queue: WorkQueue,
    zmq: ZmqContext = {},
    private readonly durable?: IngressQueues,
  ) {
    this.ingress = new XSubscriber(ingressOptions(zmq));
    this.tapFlushMs = Math.max(options.drainTimeoutMs, TAP_FLUSH_MIN_MS);
    this.fan = new XPublisher({
      ...zmq,
      linger: this.tapFlushMs,
      noDrop: true,
      sendHighWaterMark: HOP_HWM,
      // Each subscription reaches start(), duplicates included: it counts the relay's and the tap's.
      verbosity: 'allSubs',
      receiveTimeout: SUBSCRIBE_TIMEOUT_MS,
    });
    // The tap's stream (ipc) in large writes; the relay's hop (inproc) has no stream to batch.
    setOutBatch(this.fan);
    this.relay = new Subscriber({ ...zmq, linger: 0, receiveHighWaterMark: HOP_HWM });
    this.relay.subscribe();
  }

  /**
   * Connects the hops, starts both proxies and the work path's loop. A proxy that ends with an
   * error is reported to the host (`proxyFailed`). A message past --max-message-bytes or
   * MAX_MESSAGE_FRAMES reaches the work path as its size only (StreamTap).
   */
  async start(outputs: OutputSockets, threads: ProxyThreadLease): Promise<void> {
    const { ingress, host } = this;
    const { publisher, pusher } = outputs;
    this.tapDir = mkdtempSync(join(tmpdir(), 'zmqmq-tap-'));
    const tapPath = join(this.tapDir, 'tap');
    await this.fan.bind(this.endpoint);
    await this.fan.bind(`ipc://${tapPath}`);
    this.relay.connect(this.endpoint);
    this.tap = new StreamTap(tapPath, {
      maxBytes: this.options.maxMessageBytes,
      maxFrames: MAX_MESSAGE_FRAMES,
    });
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
      threads.run(this.inbound).catch((err: unknown) => proxyFailed(host, 'ingress', err)),
      threads.run(this.outbound).catch((err: unknown) => proxyFailed(host, 'fan-out', err)),
    ];
    const o = this.options;
    this.work = new WorkPath(
      host,
      this.queue,
      pusher,
      o.pushPolicy,
      o.drainTimeoutMs,
      this.durable,
    );
    this.work.run(this.tap);
  }

  /**
   * Another publisher of the fan-out (the durable queues' confirmed publishes): the relay SUB
   * connects to it too, so its messages reach subscribers through the same PUB.
   */
  addFanOutSource(endpoint: string): void {
    this.relay.connect(endpoint);
  }

  /**
   * Stops taking ingress, reads the tap to its end (every message taken is counted and offered
   * to the work path), stops the fan-out, and with `graceful` gives the work path the drain
   * timeout to deliver its queue; resolves with what was left undelivered.
   */
  async stop(graceful: boolean): Promise<number> {
    const ingressStopping = Date.now();
    await this.stopIngress();
    await this.untilTapRead(ingressStopping);
    const fanOutStopped = this.stopFanOut(graceful ? FAN_OUT_FLUSH_MS : 0);
    await this.work?.loop;
    let undelivered = 0;
    if (graceful && this.work) {
      await this.work.waitForDrain(this.options.drainTimeoutMs);
      undelivered = await this.work.end();
    }
    await fanOutStopped;
    return undelivered;
  }

  /**
   * Ends both proxies at once, nothing flushed (an exit cannot wait for a running proxy), and
   * counts what the work queue holds. Messages the tap had not read yet never reached
   * JavaScript and are not counted.
   */
  async abort(): Promise<number> {
    this.work?.stopDelivery();
    this.tap?.destroy(); // or the XPUB's linger would hold the exit
    await this.endProxies();
    await this.work?.loop; // the tap is destroyed: what it had cut into messages is still counted
    return (await this.work?.end()) ?? 0;
  }

  async endProxies(): Promise<void> {
    for (const proxy of [this.inbound, this.outbound]) endProxy(proxy);
    await Promise.all(this.runs);
  }

  /** Closes what no running proxy owns any more, and removes the tap's directory. */
  close(): void {
    this.tap?.destroy();
    for (const socket of [this.fan, this.relay]) if (!socket.closed) socket.close();
    this.removeTapDir();
  }

  /**
   * Stops taking ingress: the first proxy ends and closes the ingress and the XPUB. What the
   * XPUB already handed on stays readable in the relay's pipe, and its linger (`tapFlushMs`)
   * writes the rest to the tap, whose stream then ends.
   */
  private async stopIngress(): Promise<void> {
    if (this.inbound === undefined) return;
    endProxy(this.inbound); // abort() may have ended it already
    await this.runs[0];
  }

  /**
   * Once the ingress is closed, the tap's stream ends after the last message the ingress took
   * (see StreamTap): the XPUB's linger (`tapFlushMs`: the drain timeout, never under a second)
   * hands the tap what it still holds, and every message read is counted and offered to the
   * work path before the drain timeout starts. A short drain timeout does not shorten this: the
   * relay has already published those messages, so the work path must get them or count them.
   * Bounded all the same; what is left unread after the bound never reached JavaScript and
   * cannot be counted, which is logged.
   */
  private async untilTapRead(ingressStopping: number): Promise<void> {
    const receiving = this.work?.loop;
    if (receiving === undefined) return; // never started
    const { log, counters } = this.host;
    const boundMs = this.tapFlushMs + TAP_READ_GRACE_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), boundMs);
    });
    const outcome = await Promise.race([receiving, timeout]);
    clearTimeout(timer);
    const tookMs = Date.now() - ingressStopping;
    if (outcome === 'timeout') {
      this.tap?.destroy();
      await receiving; // what the tap had already cut into messages is still counted
      log.warn(
        { waitedMs: boundMs, received: counters.received },
        'work path tap not read to its end in time: what libzmq and the socket buffer still held for it is lost, and how many messages that was cannot be known (they never reached JavaScript)',
      );
    } else if (tookMs >= this.tapFlushMs) {
      // The stream may have ended because the XPUB's linger ran out, not because it was empty.
      log.warn(
        { tapFlushMs: this.tapFlushMs, tookMs, received: counters.received },
        "work path tap ended only as the fan-out's linger ran out: messages the fan-out still held for the work path may be lost, uncounted",
      );
    }
  }

  /** After `flushMs` for the relay to publish what it holds, stops the fan-out proxy. */
  private async stopFanOut(flushMs: number): Promise<void> {
    if (this.outbound === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, flushMs));
    endProxy(this.outbound); // abort() may have ended it already
    await this.runs[1];
  }

  private removeTapDir(): void {
    if (this.tapDir !== undefined) rmSync(this.tapDir, { recursive: true, force: true });
    this.tapDir = undefined;
  }
}
