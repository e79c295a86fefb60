// `node tools/scripts/dead-worker-loss.mjs [--runs N] [--bytes B] [--batch N] [--push-hwm N] [--push-send-buffer S]`:
// what a worker killed with work in flight takes with it, uncounted, from the built broker
// (dist/apps/broker; `npx nx build broker` first). Per run: a broker process, a fast worker
// (zeromq.js) and a slow one (apps/e2e/fixtures/consumer.py: 1 ms a message, its own queue held
// to 10 messages and 4 KiB, so it holds little itself and the broker's window is full); a
// producer sends --batch numbered messages (10,000: the round robin offers the slow worker half
// of them, more than any window here), the slow worker is killed (SIGKILL), as many more are
// sent; lost = numbered messages neither worker printed or received. Prints one line a run.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const require = createRequire(import.meta.url);
const { Pull, XPublisher } = require('zeromq');
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    bytes: { type: 'string', default: '100' },
    'push-hwm': { type: 'string' },
    'push-send-buffer': { type: 'string' },
    batch: { type: 'string', default: '10000' },
  },
});
const BATCH = Number(values.batch);
const bytes = Number(values.bytes);

function lines(child, into) {
  let rest = '';
  child.stdout.on('data', (chunk) => {
    const text = rest + chunk;
    const parts = text.split('\n');
    rest = parts.pop();
    into.push(...parts);
  });
}

async function until(what, holds, ms = 20000) {
  const deadline = Date.now() + ms;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function run() {
  const args = ['--ingress', 'tcp://127.0.0.1:*', '--publish', 'tcp://127.0.0.1:*'];
  args.push('--push', 'tcp://127.0.0.1:*', '--monitor', '127.0.0.1:0');
  if (values['push-hwm']) args.push('--push-hwm', values['push-hwm']);
  if (values['push-send-buffer']) args.push('--push-send-buffer', values['push-send-buffer']);
  const broker = spawn(process.execPath, [join(root, 'dist/apps/broker/main.js'), ...args]);
  const log = [];
  lines(broker, log);
  await until('the broker', () => log.some((l) => l.includes('broker started')));
  const started = JSON.parse(log.find((l) => l.includes('broker started')));
  const fast = new Pull({ linger: 0 });
  fast.connect(started.push);
  const fastGot = new Set();
  const fastLoop = (async () => {
    try {
      for await (const [frame] of fast) fastGot.add(frame.toString('latin1').split(' ')[0]);
    } catch {
      // closed
    }
  })();
  const slowArgs = ['pull', '--connect', started.push, '--count', '1000000', '--timeout', '60'];
  slowArgs.push('--delay-ms', '1', '--rcvhwm', '10', '--rcvbuf', '4096');
  const slow = spawn('/usr/bin/python3', [
    join(root, 'apps/e2e/fixtures/consumer.py'),
    ...slowArgs,
  ]);
  const slowLines = [];
  lines(slow, slowLines);
  await until('the slow worker', () => slowLines.includes('ready'));
  await until('two workers', () => log.filter((l) => l.includes('"worker connected"')).length >= 2);
  const producer = new XPublisher({ linger: 0, noDrop: true });
  producer.connect(started.ingress);
  await producer.receive();
  const send = async (tag, n) => {
    for (let i = 0; i < n; i++) {
      const head = `t ${tag}-${i}`;
      const body = head + ' '.repeat(Math.max(0, bytes + 2 - head.length));
      for (;;) {
        try {
          await producer.send(body);
          break;
        } catch (err) {
          if (err.code !== 'EAGAIN') throw err;
          await new Promise((r) => setTimeout(r, 1));
        }
      }
    }
  };
  await send('job', BATCH);
  // Every message of the batch handed to a worker's pipe: the slow worker's window is full.
  const pushed = async () =>
    (await (await fetch(`${started.monitor}/stats`)).json()).pushed.messages;
  for (let i = 0; i < 2000 && (await pushed()) < BATCH; i++)
    await new Promise((r) => setTimeout(r, 10));
  slow.kill('SIGKILL');
  await new Promise((r) => slow.once('exit', r));
  await send('late', BATCH);
  await until(
    'the late run',
    () => [...fastGot].filter((m) => m.startsWith('late-')).length === BATCH,
  );
  const slowGot = new Set(
    slowLines
      .filter((l) => l.startsWith('{'))
      .map((l) => Buffer.from(JSON.parse(l).frames[0], 'hex').toString('latin1').split(' ')[0]),
  );
  let lost = 0;
  for (let i = 0; i < BATCH; i++) if (!fastGot.has(`job-${i}`) && !slowGot.has(`job-${i}`)) lost++;
  producer.close();
  fast.close();
  await fastLoop;
  broker.kill('SIGTERM');
  await new Promise((r) => broker.once('exit', r));
  return { lost, slowTook: slowGot.size };
}

for (let r = 1; r <= Number(values.runs); r++) {
  const { lost, slowTook } = await run();
  console.log(
    `run ${r}: ${bytes} B, push-hwm ${values['push-hwm'] ?? 'default'}, push-send-buffer ${values['push-send-buffer'] ?? 'default'}: lost ${lost} of ${BATCH} (the slow worker printed ${slowTook})`,
  );
}
