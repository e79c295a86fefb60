/**
 * The durable queues' end-to-end tests: the built broker as a process on free ports with a
 * data directory of the test's (restartable on the same port and directory, as after a
 * kill -9), and its monitor's JSON.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueueSummary } from '@zmq-mq/protocol';
import { waitFor } from '@zmq-mq/protocol/testing';
import { appMain } from './paths';
import { startNode, type TestProcess } from './process';

export interface DurableBrokerPorts {
  ingress: string;
  publish: string;
  push: string;
  reliable: string;
  /** `http://127.0.0.1:port` */
  monitor: string;
}

/** The monitor token of a DurableBroker started `{ token: true }`. */
export const MONITOR_TOKEN = 'durable-e2e-monitor-token-5b1d';

/** Ports the broker picks itself: `*` (and 0 for the monitor). */
const ANY_PORTS: DurableBrokerPorts = {
  ingress: 'tcp://127.0.0.1:*',
  publish: 'tcp://127.0.0.1:*',
  push: 'tcp://127.0.0.1:*',
  reliable: 'tcp://127.0.0.1:*',
  monitor: 'http://127.0.0.1:0',
};

/** A (re)start may wait this long for its line: a JetStream store keeps trying for 30 s. */
const START_TIMEOUT_MS = 40_000;

/**
 * A broker process with durable queues. The first `start()` lets the broker pick free ports
 * and reads them from its `broker started` line; a later `start()` runs it again on those
 * ports and the same data directory (as after a kill -9). `close()` kills what runs and removes
 * the directory. Created `{ token: true }`, its monitor has MONITOR_TOKEN
 * (`--monitor-token-file tokenFile`), as dead letters, replay and purge need.
 */
export class DurableBroker {
  proc: TestProcess | undefined;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-durable-'));
  /** The token file (outside the data directory), when created `{ token: true }`. */
  readonly tokenFile: string | undefined;
  private readonly procs: TestProcess[] = [];
  private bound: DurableBrokerPorts | undefined;

  private constructor(
    private readonly args: readonly string[],
    withToken: boolean,
  ) {
    if (withToken) {
      this.tokenFile = `${this.dataDir}.token`;
      writeFileSync(this.tokenFile, `${MONITOR_TOKEN}\n`, { mode: 0o600 });
    }
  }

  /** The token the monitor asks for, if any. */
  get token(): string | undefined {
    return this.tokenFile === undefined ? undefined : MONITOR_TOKEN;
  }

  /** Its ports, once it has started. */
  get ports(): DurableBrokerPorts {
    if (this.bound === undefined) throw new Error('the broker has not started yet');
    return this.bound;
  }

  /** `args` are the broker's other flags (queues, limits, store). */
  static async create(
    args: readonly string[] = [],
    { token = false }: { token?: boolean } = {},
  ): Promise<DurableBroker> {
    return new DurableBroker(args, token);
  }

  /** Starts the broker process and waits for its `broker started` line. */
  async start(): Promise<TestProcess> {
    const p = this.bound ?? ANY_PORTS;
    const proc = startNode(appMain('broker'), [
      ...['--ingress', p.ingress, '--publish', p.publish, '--push', p.push],
      ...['--reliable', p.reliable, '--monitor', p.monitor.replace('http://', '')],
      ...['--data-dir', this.dataDir, '--log-level', 'info'],
      ...(this.tokenFile === undefined ? [] : ['--monitor-token-file', this.tokenFile]),
      ...this.args,
    ]);
    this.procs.push(proc);
    this.proc = proc;
    const line = await proc
      .waitForLine(/"msg":"broker started"/, START_TIMEOUT_MS, 'stdout')
      .catch((err: unknown) => {
        throw new Error(`the broker did not start (${String(err)}):\n${proc.output}`);
      });
    const started = JSON.parse(line) as DurableBrokerPorts;
    this.bound ??= {
      ingress: started.ingress,
      publish: started.publish,
      push: started.push,
      reliable: started.reliable,
      monitor: started.monitor,
    };
    return proc;
  }

  /** SIGKILL, as a power cut or an OOM kill: nothing flushed, nothing closed. */
  async kill9(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined) return;
    proc.child.kill('SIGKILL');
    await proc.waitForExit(10_000);
  }

  /** Resident memory of the running broker, bytes (VmRSS). */
  rssBytes(): number {
    const pid = this.proc?.child.pid;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? NaN) * 1024;
  }

  /** GET /queues/NAME. */
  queue(name: string): Promise<QueueSummary> {
    return getJson(
      `${this.ports.monitor}/queues/${name}`,
      'GET',
      undefined,
      this.token,
    ) as Promise<QueueSummary>;
  }

  async close(): Promise<void> {
    for (const proc of this.procs) proc.kill();
    await Promise.all(this.procs.map((proc) => proc.waitForExit(10_000).catch(() => undefined)));
    rmSync(this.dataDir, { recursive: true, force: true });
    if (this.tokenFile !== undefined) rmSync(this.tokenFile, { force: true });
  }
}

/**
 * An HTTP request's JSON answer, with `Authorization: Bearer token` when a token is given;
 * rejects on a status other than 200 (bounded: 5 s).
 */
export function getJson(
  url: string,
  method = 'GET',
  body?: string,
  token?: string,
): Promise<unknown> {
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, timeout: 5000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`${url}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer within 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * The end of a confirmed flow of `total` messages: every send resolves (all confirmed), every
 * id is delivered at least once, and the queue (as `queue()` reads it) holds nothing: all
 * acked. Bounded: 60 s for the deliveries, `ackedWithinMs` for the acks.
 */
export async function expectFlowDone(
  flow: {
    sends: Array<Promise<void>>;
    confirmed: Set<string>;
    deliveries: ReadonlyArray<{ id: string }>;
    total: number;
  },
  queue: () => Promise<QueueSummary>,
  ackedWithinMs = 10_000,
): Promise<void> {
  await Promise.all(flow.sends);
  if (flow.confirmed.size !== flow.total) {
    throw new Error(`${flow.confirmed.size} of ${flow.total} confirmed`);
  }
  const seen = (): number => new Set(flow.deliveries.map((d) => d.id)).size;
  await waitFor(
    () => seen() === flow.total,
    60_000,
    () => `every confirmed message delivered (${seen()} of ${flow.total})`,
  );
  await waitFor(async () => (await queue()).messages === 0, ackedWithinMs, 'every message acked');
}
