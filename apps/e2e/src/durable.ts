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
import { freePort, waitFor } from '@zmq-mq/protocol/testing';
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

/**
 * A broker process with durable queues. `start()` runs it (again) on the same ports and data
 * directory; `close()` kills what runs and removes the directory. Created `{ token: true }`,
 * its monitor has MONITOR_TOKEN (`--monitor-token-file tokenFile`), as dead letters, replay
 * and purge need.
 */
export class DurableBroker {
  proc: TestProcess | undefined;
  readonly dataDir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-durable-'));
  /** The token file (outside the data directory), when created `{ token: true }`. */
  readonly tokenFile: string | undefined;
  private readonly procs: TestProcess[] = [];

  private constructor(
    readonly ports: DurableBrokerPorts,
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

  /** Free ports now; `args` are the broker's other flags (queues, limits, store). */
  static async create(
    args: readonly string[] = [],
    { token = false }: { token?: boolean } = {},
  ): Promise<DurableBroker> {
    const tcp = async (): Promise<string> => `tcp://127.0.0.1:${await freePort()}`;
    const ports: DurableBrokerPorts = {
      ingress: await tcp(),
      publish: await tcp(),
      push: await tcp(),
      reliable: await tcp(),
      monitor: `http://127.0.0.1:${await freePort()}`,
    };
    return new DurableBroker(ports, args, token);
  }

  /** Starts the broker process and waits for its `broker started` line. */
  async start(): Promise<TestProcess> {
    const p = this.ports;
    const proc = startNode(appMain('broker'), [
      ...['--ingress', p.ingress, '--publish', p.publish, '--push', p.push],
      ...['--reliable', p.reliable, '--monitor', p.monitor.replace('http://', '')],
      ...['--data-dir', this.dataDir, '--log-level', 'warn'],
      ...(this.tokenFile === undefined ? [] : ['--monitor-token-file', this.tokenFile]),
      ...this.args,
    ]);
    this.procs.push(proc);
    this.proc = proc;
    // At --log-level warn the start line is not printed: the monitor answering says it.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const up = await getJson(`${p.monitor}/healthz`, 'GET', undefined, this.token).then(
        () => true,
        () => false,
      );
      if (up) return proc;
      if (proc.child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`the broker did not start:\n${proc.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
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
