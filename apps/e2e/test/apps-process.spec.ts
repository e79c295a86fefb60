import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STOP_SIGNAL_WINDOW_MS } from '@zmq-mq/protocol';
import { waitFor } from '@zmq-mq/protocol/testing';
import { Pull, Subscriber, XPublisher } from 'zeromq';
import { APPS, appMain, type AppName } from '../src/paths';
import { startNode, TestProcess } from '../src/process';

/** Data directories of the brokers started, removed after each test. */
const dataDirs: string[] = [];

/** A data directory of the test's for a broker's durable queues. */
function scratchDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-data-'));
  dataDirs.push(dir);
  return dir;
}

/**
 * The defaults, as `npm start` runs them, on ports the system picks (none can be taken between
 * a test's choice and the broker's bind) and a data directory of the test's. `bound()` reads
 * the ports from the start line.
 */
function brokerEnv(): Record<string, string> {
  return {
    ZMQMQ_INGRESS: 'tcp://127.0.0.1:*',
    ZMQMQ_PUBLISH: 'tcp://127.0.0.1:*',
    ZMQMQ_PUSH: 'tcp://127.0.0.1:*',
    ZMQMQ_MONITOR: '127.0.0.1:0',
    ZMQMQ_RELIABLE: 'tcp://127.0.0.1:*',
    ZMQMQ_DATA_DIR: scratchDataDir(),
  };
}

/** Waits for `broker`'s start line and returns its endpoints as the variables that set them. */
async function bound(broker: TestProcess): Promise<Record<string, string>> {
  const started = JSON.parse(await broker.waitForLine(/"msg":"broker started"/)) as Record<
    string,
    string
  >;
  return {
    ZMQMQ_INGRESS: started.ingress!,
    ZMQMQ_PUBLISH: started.publish!,
    ZMQMQ_PUSH: started.push!,
    ...(started.monitor === undefined ? {} : { ZMQMQ_MONITOR: new URL(started.monitor).host }),
    ...(started.reliable === undefined ? {} : { ZMQMQ_RELIABLE: started.reliable }),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function httpGet(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

describe('the programs as processes (the broker is what npm start runs)', () => {
  const procs: TestProcess[] = [];
  const sockets: Array<{ close(): void; closed: boolean }> = [];
  const start = (
    args: string[],
    env: NodeJS.ProcessEnv,
    script = appMain('broker'),
  ): TestProcess => {
    const p = startNode(script, args, { env });
    procs.push(p);
    return p;
  };

  afterEach(async () => {
    for (const s of sockets.splice(0)) if (!s.closed) s.close();
    const stopped = procs.splice(0);
    for (const p of stopped) p.kill();
    // A killed broker's data directory is removed once it has exited.
    await Promise.all(stopped.map((p) => p.waitForExit(5000).catch(() => undefined)));
    for (const d of dataDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('forwards on its endpoints, serves /healthz, and exits 0 on SIGTERM', async () => {
    // Unset, as on a user's machine: the program sizes libuv's thread pool itself.
    const broker = start([], { ...brokerEnv(), UV_THREADPOOL_SIZE: undefined });
    const started = JSON.parse(await broker.waitForLine(/"msg":"broker started"/));
    expect(started).toMatchObject({ threadPool: 8 });
    const env = await bound(broker);

    const sub = new Subscriber({ linger: 0, receiveTimeout: 5000 });
    const pull = new Pull({ linger: 0, receiveTimeout: 5000 });
    const pub = new XPublisher({ linger: 0, receiveTimeout: 5000 });
    sockets.push(sub, pull, pub);
    sub.connect(env.ZMQMQ_PUBLISH!);
    sub.subscribe();
    pull.connect(env.ZMQMQ_PUSH!);
    pub.connect(env.ZMQMQ_INGRESS!);
    await pub.receive(); // the broker's subscription: the ingress link is up
    // Probe until the subscriber's subscription has reached the broker's PUB (bounded).
    let got: Buffer | undefined;
    sub.receiveTimeout = 50;
    for (let i = 0; i < 100 && got === undefined; i++) {
      await pub.send(`abc hello${i}`);
      got = await sub.receive().then(
        ([f]) => f,
        () => undefined,
      );
    }
    expect(got?.toString()).toMatch(/^abc hello\d+$/);
    expect((await pull.receive())[0]!.toString()).toBe('hello0');

    expect(await httpGet(`http://${env.ZMQMQ_MONITOR}/healthz`)).toBe('{"status":"ok"}');
    expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(broker.stdoutLines.some((l) => l.includes('"msg":"broker stopped"'))).toBe(true);
  });

  // A broker with `queued` messages waiting in its work queue (no worker connected), started
  // by `launch` (node by default) with `env`. It binds ports the system picks (no port can be
  // taken in between), and `env` is given the endpoints it bound.
  async function brokerWithQueue(
    drainTimeout: string,
    queued: number,
    env: Record<string, string> = {},
    launch: (env: Record<string, string>) => TestProcess = (e) => start([], e),
  ): Promise<TestProcess> {
    const broker = launch({ ...env, ...brokerEnv(), ZMQMQ_DRAIN_TIMEOUT: drainTimeout });
    Object.assign(env, await bound(broker));
    const pub = new XPublisher({ linger: 0, receiveTimeout: 5000 });
    sockets.push(pub);
    pub.connect(env.ZMQMQ_INGRESS!);
    await pub.receive();
    for (let i = 0; i < queued; i++) await pub.send(`jobs pending${i}`);
    const depth = async (): Promise<number> =>
      (
        JSON.parse(await httpGet(`http://${env.ZMQMQ_MONITOR!}/stats`)) as {
          queue: { depth: number };
        }
      ).queue.depth;
    await waitFor(async () => (await depth()) === queued, 5000, `${queued} messages queued`);
    return broker;
  }

  it('stops gracefully on SIGHUP (a closed terminal), as on SIGTERM', async () => {
    const broker = await brokerWithQueue('200ms', 2);
    expect(await broker.stop('SIGHUP')).toEqual({ code: 0, signal: null });
    const lines = broker.stdoutLines.filter(Boolean).map((l) => JSON.parse(l));
    expect(lines.map((l) => l.msg)).toContain(
      'broker stopping: ingress closed, draining queued work',
    );
    expect(lines.at(-1)).toMatchObject({
      msg: 'broker stopped',
      received: 2,
      dropped: 2,
      undelivered: 2,
    });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'exits at once with a second signal (%s) past the window while draining, counting the queued work it discards',
    async (second) => {
      // No worker: the queued messages would make the drain last 60 s.
      const broker = await brokerWithQueue('60s', 3);
      broker.child.kill('SIGTERM');
      await broker.waitForLine(/broker stopping/);
      // The broker logged that line on taking the first signal: past the window from now, a
      // signal is a second request, not the same one delivered twice.
      await sleep(STOP_SIGNAL_WINDOW_MS + 1);
      const t0 = Date.now();
      const code = second === 'SIGINT' ? 130 : 143;
      expect(await broker.stop(second, 5000)).toEqual({ code, signal: null });
      // Measured ~10-30 ms on this 2-core machine; "at once", with room for a busy one.
      expect(Date.now() - t0).toBeLessThan(1000);
      const lines = broker.stdoutLines.filter(Boolean).map((l) => JSON.parse(l));
      expect(lines.at(-1)).toMatchObject({
        msg: 'broker stopped',
        aborted: true,
        received: 3,
        pushed: 0,
        dropped: 3,
        undelivered: 3,
      });
      expect(lines.find((l) => l.msg === 'drops and malformed messages so far')).toMatchObject({
        dropped: { shutdown: 3 },
      });
    },
  );

  // `npm run <app>` as the repository's `npm start` runs it (`exec node dist/apps/<app>/main.js`,
  // without the build), in a process group of its own: npm and the program, as a terminal's
  // foreground group. npm 11 forwards the SIGINT and SIGTERM it gets to the program.
  const npmRun = (app: AppName, args: string[], env: Record<string, string>): TestProcess => {
    const p = new TestProcess('npm', ['run', '--silent', app, '--', ...args], {
      cwd: npmDir,
      env,
      detached: true,
    });
    procs.push(p);
    return p;
  };
  let npmDir = '';
  beforeAll(() => {
    npmDir = mkdtempSync(join(tmpdir(), 'zmqmq-npm-'));
    const scripts = Object.fromEntries(APPS.map((app) => [app, `exec node "${appMain(app)}"`]));
    writeFileSync(join(npmDir, 'package.json'), JSON.stringify({ name: 'npm-run', scripts }));
  });
  afterAll(() => rmSync(npmDir, { recursive: true, force: true }));
  const jsonLines = (p: TestProcess): Array<Record<string, unknown>> =>
    p.stdoutLines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

  // Every queued message reaches a worker that connects during the drain, and the broker
  // exits 0 with a drained report.
  async function expectDrainedByLateWorker(
    broker: TestProcess,
    env: Record<string, string>,
    queued: number,
  ): Promise<void> {
    const worker = new Pull({ linger: 0, receiveTimeout: 10000 });
    sockets.push(worker);
    worker.connect(env.ZMQMQ_PUSH!);
    const got: string[] = [];
    for (let i = 0; i < queued; i++) got.push((await worker.receive())[0]!.toString());
    expect(got).toEqual(Array.from({ length: queued }, (_, i) => `pending${i}`));
    expect(await broker.waitForExit(20000)).toEqual({ code: 0, signal: null });
    const last = jsonLines(broker).at(-1);
    expect(last).toMatchObject({
      msg: 'broker stopped',
      received: queued,
      pushed: queued,
      drained: queued,
      undelivered: 0,
      dropped: 0,
    });
    expect(last).not.toHaveProperty('aborted');
  }

  it('takes a second signal within the window as the same request: it drains, logged at debug', async () => {
    const env: Record<string, string> = { ZMQMQ_LOG_LEVEL: 'debug' };
    const broker = await brokerWithQueue('30s', 3, env);
    broker.child.kill('SIGINT');
    await broker.waitForLine(/broker stopping/);
    broker.child.kill('SIGINT'); // as npm forwards it, milliseconds after the terminal's
    const repeat = JSON.parse(await broker.waitForLine(/the same request/));
    expect(repeat).toMatchObject({ level: 20, signal: 'SIGINT', windowMs: STOP_SIGNAL_WINDOW_MS });
    expect(repeat.afterMs).toBeLessThanOrEqual(STOP_SIGNAL_WINDOW_MS);
    await expectDrainedByLateWorker(broker, env, 3);
  });

  // The real thing. The kernel merges a signal into the same one still pending, so npm's
  // forwarded copy reaches the program as a second signal in some runs only (measured: 5 of 8
  // with a plain child, 2 of 4 here with the broker): the test above is the one that always
  // sends two.
  it.each(['SIGINT', 'SIGTERM'] as const)(
    'drains on one %s to the process group of npm run (npm forwards it too), and exits 0',
    async (signal) => {
      const env: Record<string, string> = {};
      const broker = await brokerWithQueue('30s', 3, env, (e) => npmRun('broker', [], e));
      broker.signalGroup(signal); // Ctrl-C (SIGINT) or kill -TERM -- -PGID
      await broker.waitForLine(/broker stopping/);
      await expectDrainedByLateWorker(broker, env, 3);
    },
  );

  it('under npm run, a second Ctrl-C past the window exits at once: npm reports 130', async () => {
    const broker = await brokerWithQueue('60s', 2, {}, (e) => npmRun('broker', [], e));
    broker.signalGroup('SIGINT');
    await broker.waitForLine(/broker stopping/);
    await sleep(STOP_SIGNAL_WINDOW_MS + 1); // see the test of a second signal above
    broker.signalGroup('SIGINT');
    expect(await broker.waitForExit(5000)).toEqual({ code: 130, signal: null });
    expect(jsonLines(broker).at(-1)).toMatchObject({
      msg: 'broker stopped',
      aborted: true,
      undelivered: 2,
    });
  });

  it('stops the producer and the consumer on one Ctrl-C to the group of npm run: exit 0', async () => {
    const broker = start([], brokerEnv());
    const env = await bound(broker);
    const consume = npmRun('consumer', ['sub', '-c', env.ZMQMQ_PUBLISH!], {});
    await consume.waitForLine(/^zmq-mq-consume: ready/);
    const produce = npmRun('producer', ['-c', env.ZMQMQ_INGRESS!, '--interval', '20'], {});
    await produce.waitForLine(/^sending abc hello/);
    await consume.waitForLine(/abc/, 10000, 'stdout');
    for (const p of [produce, consume]) p.signalGroup('SIGINT');
    for (const p of [produce, consume]) {
      expect(await p.waitForExit()).toEqual({ code: 0, signal: null });
    }
    expect(produce.stderrLines.join('\n')).toMatch(/zmq-mq-produce: sent \d+ messages? to /);
    expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('exits 2 with one line naming a bad option, and 1 when a port is taken', async () => {
    const bad = start(['--queue-max-messages', 'many'], {});
    expect(await bad.waitForExit()).toEqual({ code: 2, signal: null });
    expect(bad.stderrLines.filter(Boolean)).toEqual([
      'zmq-mq-broker: --queue-max-messages: must be a whole number 1..2147483647 (got "many")',
    ]);
    const first = start(['--monitor', 'off'], brokerEnv());
    const env = await bound(first);
    // Its own data directory: the first broker's is locked (ZMQMQ_ERR_DATA_DIR_LOCKED).
    const second = start(['--monitor', 'off', '--data-dir', scratchDataDir()], env);
    expect(await second.waitForExit()).toEqual({ code: 1, signal: null });
    expect(second.stderrLines.join('\n')).toContain(
      `cannot bind ingress to ${env.ZMQMQ_INGRESS}: Address already in use`,
    );
    expect(await first.stop()).toEqual({ code: 0, signal: null });
  });

  it.each(['broker', 'producer', 'consumer'] as const)(
    'deploys %s alone: the built folder runs after npm ci --omit=dev (its pruned lockfile) with no repo around it',
    async (app) => {
      const dir = mkdtempSync(join(tmpdir(), `zmqmq-deploy-${app}-`));
      try {
        cpSync(join(appMain(app), '..'), dir, { recursive: true });
        execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'], {
          cwd: dir,
          stdio: 'pipe',
          timeout: 120000,
        });
        if (app === 'broker') {
          const broker = start([], brokerEnv(), join(dir, 'main.js'));
          await bound(broker);
          expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
          // Its keygen subcommand writes a CURVE key pair where the operator says.
          const keygen = start(['keygen', '--out', join(dir, 'broker')], {}, join(dir, 'main.js'));
          expect(await keygen.waitForExit()).toEqual({ code: 0, signal: null });
          expect(keygen.stdoutLines[0]).toBe(
            `wrote ${join(dir, 'broker.key')} (secret, mode 0600) and ${join(dir, 'broker.pub')}`,
          );
          expect(statSync(join(dir, 'broker.key')).mode & 0o777).toBe(0o600);
        } else {
          const help = start(['--help'], {}, join(dir, 'main.js'));
          expect(await help.waitForExit()).toEqual({ code: 0, signal: null });
          expect(help.output).toMatch(/^Usage: zmq-mq-/);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
