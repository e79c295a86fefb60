// CURVE end to end, with real processes: keys from `npm run keygen` and the broker's keygen
// subcommand, the broker program with per-role allowlists and a monitor token, the producer and
// consumer programs, and pyzmq clients. Refusals are read back from /metrics.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@zmq-mq/protocol/testing';
import { PythonConsumer, frames } from '../src/interop-peers';
import { appMain, PYTHON, REPO_ROOT } from '../src/paths';
import { startNode, TestProcess } from '../src/process';
import { startPython } from '../src/python';

const TOKEN = 'e2e-monitor-token-7c1f9a2b5d';

/** The broker's four ports and its monitor on loopback, each on a port the system picks. */
const ANY_PORTS = {
  ingress: 'tcp://127.0.0.1:*',
  publish: 'tcp://127.0.0.1:*',
  push: 'tcp://127.0.0.1:*',
  reliable: 'tcp://127.0.0.1:*',
  monitor: '127.0.0.1:0',
};

/** Where a broker bound, as its `broker started` line says (the monitor as host:port). */
interface BoundPorts {
  ingress: string;
  publish: string;
  push: string;
  reliable: string;
  monitor: string;
}

/** A refusal counter's value in Prometheus text (0 when the series is absent). */
function refusals(metrics: string, port: string, reason: string): number {
  const m = new RegExp(
    `^zmqmq_handshakes_refused_total\\{port="${port}",reason="${reason}"\\} (\\d+)$`,
    'm',
  ).exec(metrics);
  return m === null ? 0 : Number(m[1]);
}

describe('a CURVE broker program', () => {
  let dir: string;
  const procs: TestProcess[] = [];
  const start = (app: 'broker' | 'producer' | 'consumer', args: string[]): TestProcess => {
    const p = startNode(appMain(app), args);
    procs.push(p);
    return p;
  };
  const key = (name: string): string => join(dir, `${name}.key`);
  const pub = (name: string): string => join(dir, `${name}.pub`);
  const client = (name: string): string[] => ['--server-key', pub('broker'), '--key', key(name)];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-curve-'));
    // The broker's pair as a user makes it; the clients' with the built program's subcommand.
    execFileSync('npm', ['run', '--silent', 'keygen', '--', '--out', join(dir, 'broker')], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
      timeout: 120_000,
    });
    for (const name of ['producer', 'subscriber', 'worker', 'stranger']) {
      execFileSync(process.execPath, [appMain('broker'), 'keygen', '--out', join(dir, name)], {
        stdio: 'pipe',
      });
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeEach(() => {
    // Each role's list is that role's .pub, as an operator makes it: cat NAME.pub >> LIST.
    writeFileSync(join(dir, 'producers.keys'), readFileSync(pub('producer')));
    writeFileSync(join(dir, 'subscribers.keys'), readFileSync(pub('subscriber')));
    writeFileSync(join(dir, 'workers.keys'), readFileSync(pub('worker')));
    writeFileSync(join(dir, 'monitor.token'), `${TOKEN}\n`);
  });
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill();
  });

  /**
   * The broker on free loopback ports with CURVE, the three lists and the monitor token; its
   * durable queues in memory.
   */
  async function broker(extra: string[] = []): Promise<{ proc: TestProcess } & BoundPorts> {
    const at = ANY_PORTS;
    const proc = start('broker', [
      ...['--ingress', at.ingress, '--publish', at.publish, '--push', at.push],
      ...['--reliable', at.reliable, '--store', 'memory'],
      ...['--monitor', at.monitor, '--monitor-token-file', join(dir, 'monitor.token')],
      ...['--curve-secret-key-file', key('broker')],
      ...['--allow-producers', join(dir, 'producers.keys')],
      ...['--allow-subscribers', join(dir, 'subscribers.keys')],
      ...['--allow-workers', join(dir, 'workers.keys')],
      ...extra,
    ]);
    const started = JSON.parse(
      await proc.waitForLine(/"msg":"broker started"/, 10000, 'stdout'),
    ) as BoundPorts;
    return {
      proc,
      ingress: started.ingress,
      publish: started.publish,
      push: started.push,
      reliable: started.reliable,
      monitor: started.monitor.replace('http://', ''),
    };
  }

  const metrics = async (monitor: string): Promise<string> => {
    const res = await fetch(`http://${monitor}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('npm run keygen writes NAME.key (mode 0600) and NAME.pub, an allowlist line', () => {
    expect(statSync(key('broker')).mode & 0o777).toBe(0o600);
    expect(readFileSync(key('broker'), 'utf8')).toMatch(/secret-key = "[^"]{40}"/);
    expect(readFileSync(pub('broker'), 'utf8')).toMatch(/^# .*\n\S{40} broker\n$/);
  });

  it('carries messages for allowed keys on every port; refuses the rest, counted by port and reason', async () => {
    const b = await broker();
    const sub = start('consumer', [
      'sub',
      '--connect',
      b.publish,
      '--count',
      '1',
      ...client('subscriber'),
    ]);
    const pull = start('consumer', [
      'pull',
      '--connect',
      b.push,
      '--count',
      '1',
      ...client('worker'),
    ]);
    await sub.waitForLine(/^zmq-mq-consume: ready/, 10000, 'stderr');
    await pull.waitForLine(/^zmq-mq-consume: ready/, 10000, 'stderr');
    const produce = start('producer', [
      ...['--connect', b.ingress, '--topic', 'orders.created', '{"id":7}'],
      ...client('producer'),
    ]);
    expect(await produce.waitForExit()).toEqual({ code: 0, signal: null });
    for (const consumer of [sub, pull]) {
      expect(await consumer.waitForExit()).toEqual({ code: 0, signal: null });
      expect(JSON.parse(consumer.stdoutLines[0] as string)).toMatchObject({
        topic: 'orders.created',
        body: { id: 7 },
      });
    }

    // A subscriber's key at the ingress, a stranger's at the push port, plain text at publish:
    // each program says why, once, naming the fix.
    const wrongRole = start('producer', [
      ...['--connect', b.ingress, '--ready-timeout', '500', '"x"'],
      ...client('subscriber'),
    ]);
    expect(await wrongRole.waitForExit()).toEqual({ code: 1, signal: null });
    expect(wrongRole.stderrLines.join('\n')).toContain(
      `${b.ingress} refused this producer's key: its public key is not on the broker's allowlist for this port (--allow-producers)`,
    );
    const stranger = start('consumer', ['pull', '--connect', b.push, ...client('stranger')]);
    await stranger.waitForLine(/refused this worker's key/, 10000, 'stderr');
    const plain = start('consumer', ['sub', '--connect', b.publish]);
    await plain.waitForLine(
      /runs CURVE and this subscriber does not: give it serverKey/,
      10000,
      'stderr',
    );

    const text = await metrics(b.monitor);
    expect(refusals(text, 'ingress', 'wrong-role')).toBe(1);
    expect(refusals(text, 'push', 'unknown-key')).toBe(1);
    expect(refusals(text, 'publish', 'plain-text')).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/^zmqmq_curve_handshakes_total\{port="ingress",client="producer"\} 1$/m);
    // The refusals are logged with the peer's address (the ZAP handler knows it).
    const refused = b.proc.stdoutLines.find((l) => l.includes('"reason":"unknown-key"'));
    expect(JSON.parse(refused as string)).toMatchObject({ port: 'push', address: '127.0.0.1' });
    // Without the token the monitor answers nothing.
    expect((await fetch(`http://${b.monitor}/metrics`)).status).toBe(401);
    expect(await b.proc.stop()).toEqual({ code: 0, signal: null });
  });

  it('takes confirmed publishes from producer keys and gives queue work to worker keys on the reliable port; a subscriber key is refused there', async () => {
    const b = await broker(['--queue', 'orders=orders.']);
    const produce = start('producer', [
      ...['--confirm', '--connect', b.reliable, '--topic', 'orders.created', '{"id":9}'],
      ...client('producer'),
    ]);
    expect(await produce.waitForExit()).toEqual({ code: 0, signal: null });
    expect(produce.stderrLines.join('\n')).toContain('1 confirmed');
    const consume = start('consumer', [
      ...['queue', 'orders', '--connect', b.reliable, '--count', '1'],
      ...client('worker'),
    ]);
    expect(await consume.waitForExit()).toEqual({ code: 0, signal: null });
    expect(JSON.parse(consume.stdoutLines[0] as string)).toMatchObject({
      queue: 'orders',
      attempt: 1,
      body: { id: 9 },
    });

    // The port takes the producers' and the workers' lists, no other.
    const wrongRole = start('producer', [
      ...['--confirm', '--connect', b.reliable, '--ready-timeout', '500', '"x"'],
      ...client('subscriber'),
    ]);
    expect(await wrongRole.waitForExit()).toEqual({ code: 1, signal: null });
    expect(wrongRole.stderrLines.join('\n')).toContain(
      `${b.reliable} refused this reliable client's key: its public key is not on the broker's allowlist for this port (--allow-producers or --allow-workers)`,
    );
    const text = await metrics(b.monitor);
    expect(refusals(text, 'reliable', 'wrong-role')).toBe(1);
    expect(text).toMatch(/^zmqmq_curve_handshakes_total\{port="reliable",client="producer"\} 1$/m);
    expect(text).toMatch(/^zmqmq_curve_handshakes_total\{port="reliable",client="worker"\} 1$/m);
    expect(await b.proc.stop()).toEqual({ code: 0, signal: null });
  });

  it('refuses a key removed from its allowlist at the next connection, with no restart', async () => {
    const b = await broker();
    const first = start('consumer', ['pull', '--connect', b.push, ...client('worker')]);
    await first.waitForLine(/^zmq-mq-consume: ready/, 10000, 'stderr');
    writeFileSync(join(dir, 'workers.keys'), '# nobody\n');
    await b.proc.waitForLine(/workers allowlist read again: 0 keys in force/, 10000, 'stdout');
    const again = start('consumer', ['pull', '--connect', b.push, ...client('worker')]);
    await again.waitForLine(/refused this worker's key/, 10000, 'stderr');
    expect(refusals(await metrics(b.monitor), 'push', 'unknown-key')).toBe(1);
    expect(b.proc.child.exitCode).toBeNull();
  });

  it('pyzmq clients with CURVE publish, subscribe and take work; a key not on a list is refused', async () => {
    const b = await broker();
    const curve = (name: string): string[] => ['--server-key', pub('broker'), '--cert', key(name)];
    const sub = await PythonConsumer.start('sub', b.publish, curve('subscriber'));
    const pull = await PythonConsumer.start('pull', b.push, curve('worker'));
    const producer = startPython('producer.py', [
      ...['--connect', b.ingress, '--stdin', '--probe', 'curve'],
      ...curve('producer'),
    ]);
    procs.push(producer, sub.proc, pull.proc);
    // The producer sends probes until the test writes to it: both consumers must see one.
    await sub.waitFor((m) => /^curve probe-\d+$/.test(String(m[0])));
    await pull.waitFor((m) => /^probe-\d+$/.test(String(m[0])));
    const message = frames('orders.created sealed end to end');
    producer.child.stdin?.end(`${JSON.stringify(message.map((f) => f.toString('hex')))}\n`);
    await sub.waitFor((m) => m[0]?.equals(message[0] as Buffer) === true);
    await pull.waitFor((m) => String(m[0]) === 'sealed end to end');
    // A pyzmq subscriber whose key is on no list.
    const outsider = await PythonConsumer.start('sub', b.publish, curve('stranger'));
    procs.push(outsider.proc);
    await waitFor(
      async () => refusals(await metrics(b.monitor), 'publish', 'unknown-key') === 1,
      10000,
      'the stranger refused at the publish port',
    );
  });

  it("docs/security.md's pyzmq subscriber runs as written", async () => {
    const b = await broker();
    const guide = readFileSync(join(REPO_ROOT, 'docs', 'security.md'), 'utf8');
    const snippet = /```python\n(# subscriber\.py[\s\S]*?)```/.exec(guide)?.[1];
    expect(snippet).toBeDefined();
    const code = (snippet as string)
      .replace("'keys/audit.key'", JSON.stringify(key('subscriber')))
      .replace("'keys/broker.pub'", JSON.stringify(pub('broker')))
      .replace("'tcp://broker.internal:5556'", `'${b.publish}'`);
    expect(code).not.toMatch(/keys\/|broker\.internal/); // every placeholder was swapped
    const subscriber = new TestProcess(PYTHON, ['-u', '-c', code]);
    procs.push(subscriber);
    // The subscriber's subscription may come after the first messages: send until one arrives.
    const produce = start('producer', [
      ...['--connect', b.ingress, '--topic', 'orders.created', '--count', '200'],
      ...['--interval', '50', '{"id":8}', ...client('producer')],
    ]);
    await subscriber.waitForLine(/^Got: /, 15000, 'stdout');
    expect(subscriber.stdoutLines[0]).toMatch(/^Got: \[b'orders\.created \{"id":8\}', b'/);
    produce.kill();
  });

  it('a key file that is not one stops the broker with status 2 and one line', async () => {
    const at = ANY_PORTS;
    const proc = start('broker', [
      ...['--ingress', at.ingress, '--publish', at.publish, '--push', at.push, '--monitor', 'off'],
      ...['--curve-secret-key-file', pub('broker')],
    ]);
    expect(await proc.waitForExit()).toEqual({ code: 2, signal: null });
    expect(proc.stderrLines.filter(Boolean)).toEqual([
      `zmq-mq-broker: ${pub('broker')}: has no secret-key line: is it the .key file of a key pair?`,
    ]);
  });

  it('a NATS credentials or CA file that cannot be read stops the broker with status 2 and one line', async () => {
    for (const flag of ['--nats-creds', '--nats-tls-ca']) {
      const at = ANY_PORTS;
      const missing = join(dir, 'missing.pem');
      const proc = start('broker', [
        ...['--ingress', at.ingress, '--publish', at.publish, '--push', at.push],
        ...['--reliable', at.reliable, '--monitor', 'off'],
        ...['--store', 'nats://127.0.0.1:4222', flag, missing],
      ]);
      expect(await proc.waitForExit()).toEqual({ code: 2, signal: null });
      expect(proc.stderrLines.filter(Boolean)).toEqual([
        `zmq-mq-broker: ${flag}: cannot be read (ENOENT) (got "${missing}")`,
      ]);
    }
  });
});

describe('plain text beyond loopback, and the monitor beyond loopback', () => {
  const procs: TestProcess[] = [];
  afterEach(() => {
    for (const p of procs.splice(0)) p.kill();
  });
  const start = (args: string[]): TestProcess => {
    const p = startNode(appMain('broker'), args);
    procs.push(p);
    return p;
  };

  it('exits 2 with one line without CURVE; with --insecure it starts and warns', async () => {
    const [a, b, c] = [await freePort(), await freePort(), await freePort()];
    const args = [
      ...['--ingress', `tcp://0.0.0.0:${a}`, '--publish', `tcp://127.0.0.1:${b}`],
      ...['--push', `tcp://127.0.0.1:${c}`, '--monitor', 'off', '--reliable', 'off'],
    ];
    const refused = start(args);
    expect(await refused.waitForExit()).toEqual({ code: 2, signal: null });
    expect(refused.stderrLines.filter(Boolean)).toEqual([
      `zmq-mq-broker: --ingress: is reachable beyond this machine, and without CURVE anyone who reaches it can publish and read in plain text: give --curve-secret-key-file (docs/security.md), or --insecure to bind it as it is (got "tcp://0.0.0.0:${a}")`,
    ]);
    const insecure = start([...args, '--insecure']);
    await insecure.waitForLine(/"msg":"broker started"/, 10000, 'stdout');
    const warning = insecure.stdoutLines.find((l) => l.includes('bound beyond loopback'));
    expect(JSON.parse(warning as string)).toMatchObject({ level: 40, socket: 'ingress' });
    expect(await insecure.stop()).toEqual({ code: 0, signal: null });
  });

  it('a monitor beyond loopback needs a token file; then every request needs the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-token-'));
    try {
      const token = join(dir, 'monitor.token');
      writeFileSync(token, `${TOKEN}\n`);
      const m = await freePort();
      const endpoints = ['--ingress', 'tcp://127.0.0.1:*', '--publish', 'tcp://127.0.0.1:*'];
      const args = [
        ...endpoints,
        ...['--push', 'tcp://127.0.0.1:*', '--reliable', 'off', '--monitor', `0.0.0.0:${m}`],
      ];
      const refused = start(args);
      expect(await refused.waitForExit()).toEqual({ code: 2, signal: null });
      expect(refused.stderrLines.filter(Boolean)).toEqual([
        `zmq-mq-broker: --monitor: is reachable beyond this machine: give --monitor-token-file so that every request must carry its token (got "0.0.0.0:${m}")`,
      ]);
      const guarded = start([...args, '--monitor-token-file', token]);
      await guarded.waitForLine(/"msg":"broker started"/, 10000, 'stdout');
      const url = `http://127.0.0.1:${m}`;
      expect((await fetch(`${url}/healthz`)).status).toBe(401);
      const wrong = { headers: { authorization: 'Bearer not-the-token-at-all' } };
      expect((await fetch(`${url}/healthz`, wrong)).status).toBe(401);
      const right = { headers: { authorization: `Bearer ${TOKEN}` } };
      expect((await fetch(`${url}/healthz`, right)).status).toBe(200);
      expect(await guarded.stop()).toEqual({ code: 0, signal: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
