/**
 * For the adversarial tests: our broker as a process (its log parsed, its memory read from
 * /proc, its /stats fetched), and a normal flow beside the attack, producer → subscriber +
 * worker, that must keep delivering every message.
 */
import { readFileSync } from 'node:fs';
import type { BrokerStatsSnapshot } from '@zmq-mq/broker';
import { httpGet, probeUntil, waitFor, withTimeout } from '@zmq-mq/protocol/testing';
import { Pull, Subscriber, XPublisher } from 'zeromq';
import { appMain } from './paths';
import { TestProcess } from './process';

const ANY = 'tcp://127.0.0.1:*';

/** The broker's resident memory now and at its peak (MB), from /proc/<pid>/status. */
export function brokerMemory(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** Our built broker as a process, on ephemeral loopback ports, monitor and reliable port on. */
export class BrokerProcess {
  private constructor(
    readonly proc: TestProcess,
    /** The `broker started` line. */
    readonly started: Record<string, unknown> & {
      ingress: string;
      publish: string;
      push: string;
      reliable: string;
      monitor: string;
    },
  ) {}

  /**
   * Starts `dist/apps/broker/main.js` with `args` (after the ephemeral endpoints, so they may
   * override them); with `openFiles`, under `prlimit --nofile=N:N` (soft and hard).
   */
  static async start(args: readonly string[] = [], openFiles?: number): Promise<BrokerProcess> {
    const argv = [
      appMain('broker'),
      ...['--ingress', ANY, '--publish', ANY, '--push', ANY, '--monitor', '127.0.0.1:0'],
      // The reliable port too, hardened as the others; its queues in memory (no data dir).
      ...['--reliable', ANY, '--store', 'memory'],
      ...args,
    ];
    const proc =
      openFiles === undefined
        ? new TestProcess(process.execPath, argv)
        : new TestProcess('prlimit', [
            `--nofile=${openFiles}:${openFiles}`,
            process.execPath,
            ...argv,
          ]);
    try {
      const line = await proc.waitForLine(/"msg":"broker started"/, 10000, 'stdout');
      return new BrokerProcess(proc, JSON.parse(line));
    } catch (err) {
      proc.kill();
      throw err;
    }
  }

  get pid(): number {
    return this.proc.child.pid as number;
  }

  memory(): { rssMb: number; peakMb: number } {
    return brokerMemory(this.pid);
  }

  async stats(): Promise<BrokerStatsSnapshot> {
    const { status, body } = await httpGet(`${this.started.monitor}/stats`);
    if (status !== 200) throw new Error(`/stats answered ${status}`);
    return JSON.parse(body) as BrokerStatsSnapshot;
  }

  /** Waits until `/stats` satisfies `holds`; rejects after `timeoutMs` naming `what`. */
  async untilStats(
    holds: (s: BrokerStatsSnapshot) => boolean,
    what: string,
    timeoutMs = 10000,
  ): Promise<BrokerStatsSnapshot> {
    let last: BrokerStatsSnapshot | undefined;
    await waitFor(async () => holds((last = await this.stats())), timeoutMs, what);
    return last as BrokerStatsSnapshot;
  }

  /** Every JSON line the broker logged so far. */
  logs(): Array<Record<string, unknown>> {
    return this.proc.stdoutLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  }

  /** The first logged line that `match` accepts; rejects after `timeoutMs`. */
  async logLine(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 10000,
  ): Promise<Record<string, unknown>> {
    let found: Record<string, unknown> | undefined;
    await waitFor(
      () => (found = this.logs().find(match)) !== undefined,
      timeoutMs,
      () => `a log line (got:\n${this.proc.stdoutLines.slice(-20).join('\n')})`,
    );
    return found as Record<string, unknown>;
  }

  /** SIGTERM; rejects unless it exits 0 within 10 s. */
  async stop(): Promise<void> {
    const exit = await this.proc.stop('SIGTERM', 10000);
    if (exit.code !== 0)
      throw new Error(`broker exited ${JSON.stringify(exit)}:\n${this.proc.output}`);
  }

  kill(): void {
    this.proc.kill();
  }
}

/**
 * A normal user of the broker while it is attacked: a producer, a subscriber of the topic
 * `flow` and a worker, with zeromq.js sockets. `deliver` sends a numbered run and checks that
 * both got every message of it, in order.
 */
export class NormalFlow {
  private readonly seen = { subscriber: [] as string[], worker: [] as string[] };
  /** Messages the producer has handed to ZeroMQ so far, warm-up probes included. */
  sent = 0;
  private readonly loops: Promise<void>[];

  private constructor(
    private readonly producer: XPublisher,
    private readonly subscriber: Subscriber,
    private readonly worker: Pull,
  ) {
    // The subscriber gets `flow <body>`, the worker `<body>` (the broker strips the topic).
    const collect = async (socket: Subscriber | Pull, into: string[]): Promise<void> => {
      try {
        for await (const [frame] of socket) {
          const text = (frame as Buffer).toString('latin1');
          into.push(text.startsWith('flow ') ? text.slice('flow '.length) : text);
        }
      } catch {
        // closed
      }
    };
    this.loops = [collect(subscriber, this.seen.subscriber), collect(worker, this.seen.worker)];
  }

  /** Connects to the broker's endpoints and waits until a message gets through to both. */
  static async open(endpoints: {
    ingress: string;
    publish: string;
    push: string;
  }): Promise<NormalFlow> {
    const producer = new XPublisher({ linger: 0, noDrop: true, receiveTimeout: 10000 });
    const subscriber = new Subscriber({ linger: 0 });
    const worker = new Pull({ linger: 0 });
    subscriber.subscribe('flow ');
    subscriber.connect(endpoints.publish);
    worker.connect(endpoints.push);
    producer.connect(endpoints.ingress);
    const flow = new NormalFlow(producer, subscriber, worker);
    try {
      await producer.receive(); // the broker's subscription: the ingress link is up
      await probeUntil(
        (n) => flow.sendOne(`warm-${n}`),
        () => flow.seen.subscriber.length > 0 && flow.seen.worker.length > 0,
      );
    } catch (err) {
      flow.close();
      throw err;
    }
    return flow;
  }

  private async sendOne(body: string): Promise<void> {
    const deadline = Date.now() + 10000;
    for (;;) {
      try {
        await this.producer.send(`flow ${body}`);
        this.sent++;
        return;
      } catch (err) {
        if ((err as { code?: string }).code !== 'EAGAIN' || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    }
  }

  /** Sends `count` messages `flow <tag>-<i> <padding>` (`bytes` in all) as fast as taken. */
  async send(count: number, tag: string, bytes = 0): Promise<void> {
    const pad = (head: string): string => head + ' '.repeat(Math.max(0, bytes - head.length - 5));
    for (let i = 0; i < count; i++) await this.sendOne(pad(`${tag}-${i}`));
  }

  /** The `<tag>-<i>` of every message of run `tag` the subscriber and the worker got, in order. */
  got(tag: string): { subscriber: string[]; worker: string[] } {
    const mine = (list: string[]): string[] =>
      list.filter((m) => m.startsWith(`${tag}-`)).map((m) => m.split(' ')[0] as string);
    return { subscriber: mine(this.seen.subscriber), worker: mine(this.seen.worker) };
  }

  /**
   * Sends a run (see `send`) and resolves once the subscriber and the worker each have all of
   * it, in order and once each; rejects after `timeoutMs` saying how many each got.
   */
  async deliver(count: number, tag: string, { bytes = 0, timeoutMs = 30000 } = {}): Promise<void> {
    await this.send(count, tag, bytes);
    await waitFor(
      () => {
        const got = this.got(tag);
        return got.subscriber.length >= count && got.worker.length >= count;
      },
      timeoutMs,
      () => {
        const got = this.got(tag);
        return `${count} ${tag} messages (subscriber ${got.subscriber.length}, worker ${got.worker.length})`;
      },
    );
    const expected = Array.from({ length: count }, (_, i) => `${tag}-${i}`);
    for (const [who, list] of Object.entries(this.got(tag))) {
      if (list.length !== count || list.some((m, i) => m !== expected[i])) {
        throw new Error(`${tag}: the ${who} did not get every message once and in order`);
      }
    }
  }

  close(): void {
    for (const s of [this.producer, this.subscriber, this.worker]) if (!s.closed) s.close();
  }

  /** Resolves once the receive loops have ended (after `close`). */
  async closed(): Promise<void> {
    await withTimeout(Promise.all(this.loops), 5000, 'the flow to close');
  }
}
