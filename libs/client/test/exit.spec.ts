import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

// A child process opens each class against real counterpart sockets, uses it, closes it and
// then has nothing left to do: it must exit by itself (no open handle) within a few seconds.
const script = `
import { Publisher, Push, Subscriber as ZmqSub } from 'zeromq';
import { Producer, Subscriber, Worker } from '../src';

async function main(): Promise<void> {
  const ingress = new ZmqSub({ linger: 0 });
  ingress.subscribe();
  await ingress.bind('tcp://127.0.0.1:*');
  const publish = new Publisher({ linger: 0 });
  await publish.bind('tcp://127.0.0.1:*');
  const push = new Push({ linger: 0 });
  await push.bind('tcp://127.0.0.1:*');
  const got = ingress.receive();

  const producer = new Producer({ connect: ingress.lastEndpoint! });
  await producer.ready();
  await producer.send('t', 1);
  await got;
  await producer.close();
  await producer.close();

  const subscriber = new Subscriber({ connect: publish.lastEndpoint!, readySettleMs: 0 });
  const reading = (async () => { for await (const _ of subscriber) break; })();
  await subscriber.ready();
  await subscriber.close();
  await reading;

  const worker = new Worker({ connect: push.lastEndpoint!, codec: 'raw' });
  const run = worker.run(() => worker.close());
  await push.send('job');
  await run;
  await worker.close();

  // never connected at all, closed at once
  await new Producer({ connect: 'tcp://127.0.0.1:1' }).close();
  await new Subscriber({ connect: 'tcp://127.0.0.1:1' }).close();
  await new Worker({ connect: 'tcp://127.0.0.1:1' }).close();

  ingress.close();
  publish.close();
  push.close();
  console.log('closed ' + Date.now());
}
main().catch((err) => { console.error(err); process.exit(1); });
`;

describe('close() leaves no handle open', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-client-exit-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a process that closed every class exits by itself', () => {
    const entry = join(__dirname, '__exit-script.ts');
    writeFileSync(entry, script);
    const out = join(dir, 'exit.js');
    try {
      buildSync({
        entryPoints: [entry],
        outfile: out,
        bundle: true,
        platform: 'node',
        format: 'cjs',
        external: ['zeromq', 'msgpackr'],
        tsconfig: join(__dirname, '..', '..', '..', 'tsconfig.base.json'),
        logLevel: 'silent',
        nodePaths: [join(__dirname, '..', '..', '..', 'node_modules')],
      });
    } finally {
      rmSync(entry, { force: true });
    }
    const started = Date.now();
    const r = spawnSync(process.execPath, [out], {
      timeout: 15000,
      encoding: 'utf8',
      env: { ...process.env, NODE_PATH: join(__dirname, '..', '..', '..', 'node_modules') },
    });
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    const closedAt = Number(/closed (\d+)/.exec(r.stdout)?.[1]);
    expect(closedAt).toBeGreaterThan(started);
    // exit follows the last close() quickly: nothing keeps the event loop alive
    expect(Date.now() - closedAt).toBeLessThan(3000);
  });
});
