// `npm run screenshot`: the built broker under a load that changes (a steady flow to two
// workers, then the workers leave: the queue fills to its bound and the broker drops), its
// dashboard in Chromium, and a screenshot of it: docs/dashboard.png, as the README shows it.
import { join } from 'node:path';
import { Pull, Subscriber, XPublisher } from 'zeromq';
import { launchChromium } from './browser';
import { appMain, REPO_ROOT } from './paths';
import { startNode } from './process';

const OUT = join(REPO_ROOT, 'docs', 'dashboard.png');
/** The load's phases (seconds each). */
const STEADY_S = 15;
const NO_WORKER_S = 18;
/** Messages a second from each of the two producers. */
const RATE = 1500;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A worker that takes everything it is given. */
function worker(push: string): Pull {
  const socket = new Pull({ linger: 0 });
  socket.connect(push);
  void (async () => {
    for await (const _ of socket) void _;
  })().catch(() => undefined);
  return socket;
}

async function main(): Promise<void> {
  const broker = startNode(appMain('broker'), ['--queue-max-messages', '30000'], {
    env: {
      ZMQMQ_INGRESS: 'tcp://127.0.0.1:*',
      ZMQMQ_PUBLISH: 'tcp://127.0.0.1:*',
      ZMQMQ_PUSH: 'tcp://127.0.0.1:*',
      ZMQMQ_MONITOR: '127.0.0.1:0',
      ZMQMQ_RELIABLE: 'off',
    },
  });
  const { ingress, publish, push, monitor } = JSON.parse(
    await broker.waitForLine(/"msg":"broker started"/),
  ) as Record<'ingress' | 'publish' | 'push' | 'monitor', string>;
  let workers = [worker(push), worker(push)];
  const subscriber = new Subscriber({ linger: 0 });
  subscriber.connect(publish);
  subscriber.subscribe();
  void (async () => {
    for await (const _ of subscriber) void _;
  })().catch(() => undefined);
  const producers = [new XPublisher({ linger: 0 }), new XPublisher({ linger: 0 })];
  for (const p of producers) {
    p.connect(ingress);
    await p.receive();
  }
  const browser = await launchChromium(1200, 900);
  try {
    await browser.page.goto(`${monitor}/`);
    // The load goes on while the screenshot is taken, so the last second shows it too.
    let n = 0;
    let sending = true;
    let second = 0;
    const load = (async () => {
      for (; sending; second++) {
        if (second === STEADY_S) {
          for (const w of workers) w.close();
          workers = [];
        }
        // Ten batches a second, the rate rising and falling a little, as real traffic does.
        const perBatch = Math.round((RATE / 10) * (1 + 0.3 * Math.sin(second / 3)));
        for (let tenth = 0; tenth < 10; tenth++) {
          for (const p of producers) {
            for (let i = 0; i < perBatch; i++) await p.send(`orders.created {"order":${n++}}`);
          }
          await sleep(100);
        }
      }
    })();
    while (second < STEADY_S + NO_WORKER_S) await sleep(200);
    await browser.page.locator('#status[data-state="live"]').waitFor();
    const peers = await browser.page.locator('#peers').boundingBox();
    const queue = await browser.page.locator('#work-queue').boundingBox();
    const bottom = Math.max(
      (peers?.y ?? 0) + (peers?.height ?? 0),
      (queue?.y ?? 0) + (queue?.height ?? 0),
    );
    await browser.page.screenshot({
      path: OUT,
      fullPage: true,
      clip: { x: 0, y: 0, width: 1200, height: Math.ceil(bottom + 16) },
    });
    sending = false;
    await load;
    process.stdout.write(`screenshot: ${OUT} (${n} messages sent)\n`);
  } finally {
    await browser.close();
    for (const p of producers) p.close();
    subscriber.close();
    for (const w of workers) w.close();
    await broker.stop('SIGTERM');
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshot: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
