import { waitFor } from '@zmq-mq/protocol/testing';
import { Pull, Subscriber, XPublisher, type Socket } from 'zeromq';
import { Broker, createLogger, type BrokerOptionsInput, type Logger } from '../src';

// The repository's one bounded wait, re-exported for the broker's tests that import it from here.
export { waitFor } from '@zmq-mq/protocol/testing';

export const PROBE_TOPIC = '__probe';

/**
 * A broker on ephemeral loopback ports, silent, no monitor and no reliable port unless asked
 * (the durable queues' tests ask for them: test/reliable-helpers.ts).
 */
export async function startBroker(
  options: BrokerOptionsInput = {},
  deps: { logger?: Logger } = {},
): Promise<Broker> {
  const broker = testBroker(options, deps);
  await broker.start();
  return broker;
}

/** The broker startBroker starts, not started yet. */
export function testBroker(
  options: BrokerOptionsInput = {},
  deps: { logger?: Logger } = {},
): Broker {
  return new Broker(
    {
      ingress: 'tcp://127.0.0.1:*',
      publish: 'tcp://127.0.0.1:*',
      push: 'tcp://127.0.0.1:*',
      monitor: 'off',
      reliable: 'off',
      logLevel: 'silent',
      drainTimeoutMs: 300,
      ...options,
    },
    deps,
  );
}

/** A logger that keeps every line it logs, parsed, in `lines`. */
export function capturingLogger(level: 'info' | 'warn' | 'debug' = 'info'): {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
} {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  return { logger: createLogger(level, destination), lines };
}

/** Tracks sockets so afterEach can close them all. */
export class Sockets {
  private readonly all: Socket[] = [];

  track<T extends Socket>(socket: T): T {
    this.all.push(socket);
    return socket;
  }

  /**
   * A producer: an XPUB rather than a PUB so that it can see the broker's subscription arrive
   * (see `warmUp`); on the wire it is the same as a PUB.
   * `noDrop`: a fast test loop waits at the high-water mark instead of losing messages.
   */
  producer(ingress: string): XPublisher {
    const pub = this.track(
      new XPublisher({ linger: 0, receiveTimeout: 5000, noDrop: true, verbosity: 'allSubs' }),
    );
    pub.connect(ingress);
    return pub;
  }

  subscriber(publish: string, ...prefixes: string[]): Subscriber {
    return this.subscriberHolding(undefined, publish, ...prefixes);
  }

  /** A subscriber whose pipe holds `receiveHighWaterMark` messages (libzmq's default: 1000). */
  subscriberHolding(
    receiveHighWaterMark: number | undefined,
    publish: string,
    ...prefixes: string[]
  ): Subscriber {
    const sub = this.track(
      new Subscriber({
        linger: 0,
        receiveTimeout: 5000,
        ...(receiveHighWaterMark ? { receiveHighWaterMark } : {}),
      }),
    );
    sub.connect(publish);
    sub.subscribe(PROBE_TOPIC, ...prefixes);
    return sub;
  }

  worker(push: string, receiveHighWaterMark?: number): Pull {
    const pull = this.track(
      new Pull({
        linger: 0,
        receiveTimeout: 5000,
        ...(receiveHighWaterMark ? { receiveHighWaterMark } : {}),
      }),
    );
    pull.connect(push);
    return pull;
  }

  closeAll(): void {
    for (const s of this.all.splice(0)) if (!s.closed) s.close();
  }
}

/**
 * For a describe block: `broker(options)` starts brokers on ephemeral ports and `sockets`
 * makes test sockets; afterEach closes every socket and stops every broker.
 */
export function brokerFixture(): {
  sockets: Sockets;
  broker(options?: BrokerOptionsInput, deps?: { logger?: Logger }): Promise<Broker>;
} {
  const sockets = new Sockets();
  let brokers: Broker[] = [];
  afterEach(async () => {
    sockets.closeAll();
    const stopping = brokers;
    brokers = [];
    await Promise.all(stopping.map((b) => stopWithin(b, STOP_BOUND_MS)));
  });
  return {
    sockets,
    async broker(options = {}, deps = {}) {
      // Tracked before it starts: a start that fails or outlives its test is stopped all the same.
      const b = testBroker(options, deps);
      brokers.push(b);
      await b.start();
      return b;
    },
  };
}

/** Within the hook's 20 s: a stop that outlasts it fails naming the step it waits on. */
const STOP_BOUND_MS = 15_000;

/** `broker.stop()`, or an error naming what it still waited on after `ms`. */
export async function stopWithin(broker: Broker, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  const outcome = await Promise.race([broker.stop(), bound]);
  clearTimeout(timer);
  if (outcome === 'late') {
    throw new Error(
      `broker.stop() had not returned after ${ms} ms: waiting on ${broker.stopWaitingOn ?? 'start()'}`,
    );
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Solves the slow joiner for a test. The producer's XPUB receives the broker's subscribe-all
 * (frame 0x01) once the ingress link is up, so nothing sent afterwards is lost. Subscribers'
 * links are proven with probe messages: sent until every subscriber has seen one, then a final
 * probe that each subscriber reads up to, so the next message it reads is a real one. Probes
 * also reach the work path (payload `__probe:N`, skipped by `receiveWork`). Bounded: 5 s.
 */
export async function warmUp(
  broker: Broker,
  pub: XPublisher,
  subs: Subscriber[] = [],
): Promise<void> {
  const [subscription] = await pub.receive();
  if (subscription![0] !== 1) throw new Error('expected a subscription from the broker ingress');
  if (subs.length === 0) return;
  const deadline = Date.now() + 5000;
  const seen = new Set<Subscriber>();
  let n = 0;
  while (seen.size < subs.length) {
    if (Date.now() > deadline) throw new Error('warm-up timed out: a subscriber never saw a probe');
    await pub.send(`${PROBE_TOPIC} __probe:${n++}`);
    await sleep(10);
    for (const sub of subs) {
      if (seen.has(sub)) continue;
      const timeout = sub.receiveTimeout;
      sub.receiveTimeout = 0;
      try {
        await sub.receive();
        seen.add(sub);
      } catch {
        // nothing yet
      } finally {
        sub.receiveTimeout = timeout;
      }
    }
  }
  await pub.send(`${PROBE_TOPIC} __probe:end`);
  for (const sub of subs) {
    for (let i = 0; i < 1000; i++) {
      const [frame] = await sub.receive();
      if (frame!.toString() === `${PROBE_TOPIC} __probe:end`) break;
    }
  }
  const expected = n + 1;
  if (broker.mode === 'counted') {
    await waitFor(() => broker.stats().received.messages >= expected, 5000, 'probes at the broker');
  }
}

/**
 * Sends on a `noDrop` XPUB, waiting while it is at its high-water mark (libzmq then says
 * EAGAIN at once, as XPUB always polls writable). Bounded: 5 s per message.
 */
export async function sendWaiting(
  pub: XPublisher,
  message: Buffer | string | Buffer[],
): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await pub.send(message);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EAGAIN' || Date.now() > deadline) throw err;
      await sleep(1);
    }
  }
}

/** Next message on a worker that is not a probe payload (probes may be queued before). */
export async function receiveWork(pull: Pull): Promise<Buffer[]> {
  for (let i = 0; i < 10000; i++) {
    const frames = await pull.receive();
    if (!/^(__probe )?__probe:/.test(frames[0]!.toString())) return frames;
  }
  throw new Error('only probes received');
}
