import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pull, Subscriber, XPublisher } from 'zeromq';
import { appMain } from '../src/paths';
import { freePort } from '../src/ports';
import { startNode, TestProcess } from '../src/process';

async function brokerEnv(): Promise<Record<string, string>> {
  const [a, b, c, m] = [await freePort(), await freePort(), await freePort(), await freePort()];
  return {
    ZMQMQ_INGRESS: `tcp://127.0.0.1:${a}`,
    ZMQMQ_PUBLISH: `tcp://127.0.0.1:${b}`,
    ZMQMQ_PUSH: `tcp://127.0.0.1:${c}`,
    ZMQMQ_MONITOR: `127.0.0.1:${m}`,
  };
}

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
    env: Record<string, string>,
    script = appMain('broker'),
  ): TestProcess => {
    const p = startNode(script, args, { env });
    procs.push(p);
    return p;
  };

  afterEach(() => {
    for (const s of sockets.splice(0)) if (!s.closed) s.close();
    for (const p of procs.splice(0)) p.kill();
  });

  it('forwards on its endpoints, serves /healthz, and exits 0 on SIGTERM', async () => {
    const env = await brokerEnv();
    const broker = start([], env);
    const started = JSON.parse(await broker.waitForLine(/"msg":"broker started"/));
    expect(started).toMatchObject({
      ingress: env.ZMQMQ_INGRESS,
      publish: env.ZMQMQ_PUBLISH,
      push: env.ZMQMQ_PUSH,
    });

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

  // A broker with `queued` messages waiting in its work queue (no worker connected).
  async function brokerWithQueue(drainTimeout: string, queued: number): Promise<TestProcess> {
    const env: Record<string, string> = {
      ...(await brokerEnv()),
      ZMQMQ_DRAIN_TIMEOUT: drainTimeout,
    };
    const broker = start([], env);
    await broker.waitForLine(/"msg":"broker started"/);
    const pub = new XPublisher({ linger: 0, receiveTimeout: 5000 });
    sockets.push(pub);
    pub.connect(env.ZMQMQ_INGRESS!);
    await pub.receive();
    for (let i = 0; i < queued; i++) await pub.send(`jobs pending${i}`);
    for (let i = 0; i < 100; i++) {
      const stats = JSON.parse(await httpGet(`http://${env.ZMQMQ_MONITOR}/stats`));
      if (stats.queue.depth === queued) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
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
    'exits at once with a second signal (%s) while draining, counting the queued work it discards',
    async (second) => {
      // No worker: the queued messages would make the drain last 60 s.
      const broker = await brokerWithQueue('60s', 3);
      broker.child.kill('SIGTERM');
      await broker.waitForLine(/broker stopping/);
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

  it('exits 2 with one line naming a bad option, and 1 when a port is taken', async () => {
    const bad = start(['--queue-max-messages', 'many'], {});
    expect(await bad.waitForExit()).toEqual({ code: 2, signal: null });
    expect(bad.stderrLines.filter(Boolean)).toEqual([
      'zmq-mq-broker: --queue-max-messages: must be a whole number 1..2147483647 (got "many")',
    ]);
    const env = await brokerEnv();
    const first = start(['--monitor', 'off'], env);
    await first.waitForLine(/"msg":"broker started"/);
    const second = start(['--monitor', 'off'], env);
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
          const broker = start([], await brokerEnv(), join(dir, 'main.js'));
          await broker.waitForLine(/"msg":"broker started"/);
          expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
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
