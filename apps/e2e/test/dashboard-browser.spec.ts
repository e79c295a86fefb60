// The monitor's dashboard in a real browser (Debian's chromium through playwright-core)
// against the built broker as a process, with real producer, subscriber and worker peers.
import type { BrokerStatsSnapshot, PeerListing } from '@zmq-mq/broker';
import { Producer, QueueWorker } from '@zmq-mq/client';
import type { DeadLettersResponse } from '@zmq-mq/protocol';
import { waitFor } from '@zmq-mq/protocol/testing';
import type { Page } from 'playwright-core';
import { XPublisher } from 'zeromq';
import { launchChromium, screenshot, type Browser } from '../src/browser';
import { getJson as monitorJson } from '../src/durable';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';
import { durableFixture } from './durable-fixture';

/** Messages of the known load, and how they are paced (a batch every PACE_MS). */
const LOAD = 6000;
const BATCH = 200;
const PACE_MS = 100;

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

/** The value a flow card shows (`data-value` of its rate or total). */
function cardValue(page: Page, metric: string, part: 'rate' | 'total'): Promise<number> {
  return page
    .locator(`#flow-cards [data-metric="${metric}"] .${part}`)
    .getAttribute('data-value')
    .then(Number);
}

describe('the dashboard in a real browser', () => {
  const procs: TestProcess[] = [];
  const sockets: XPublisher[] = [];
  const durable = durableFixture();
  // One browser for the file: its start is the slow part.
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const p of procs.splice(0)) p.kill();
  });

  const start = (script: string, args: string[], env: Record<string, string> = {}): TestProcess => {
    const p = startNode(script, args, { env });
    procs.push(p);
    return p;
  };

  it('shows the load and the peers, survives a broker restart, and fits a phone', async () => {
    // No durable queues: the page leaves their panel out.
    const durable = { ZMQMQ_RELIABLE: 'off' };
    // Ports the kernel picks; the restarted broker binds the same ones, where the page looks.
    const broker = start(appMain('broker'), [], {
      ZMQMQ_INGRESS: 'tcp://127.0.0.1:*',
      ZMQMQ_PUBLISH: 'tcp://127.0.0.1:*',
      ZMQMQ_PUSH: 'tcp://127.0.0.1:*',
      ZMQMQ_MONITOR: '127.0.0.1:0',
      ...durable,
    });
    const bound = JSON.parse(
      await broker.waitForLine(/"msg":"broker started"/, 10_000, 'stdout'),
    ) as { ingress: string; publish: string; push: string; monitor: string };
    const env = {
      ZMQMQ_INGRESS: bound.ingress,
      ZMQMQ_PUBLISH: bound.publish,
      ZMQMQ_PUSH: bound.push,
      ZMQMQ_MONITOR: new URL(bound.monitor).host,
      ...durable,
    };
    const monitor = bound.monitor; // a URL
    const page = browser.page;

    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    // While the test has stopped the broker, the page's reconnects are refused, and the browser
    // logs each one.
    let brokerDown = false;
    page.on('console', (m) => {
      const url = m.location().url;
      // The durable-queue probe answers 404 on this broker, and the browser logs that.
      if (m.type() !== 'error' || url.endsWith('/queues')) return;
      if (brokerDown && url.endsWith('/events') && m.text().includes('ERR_CONNECTION_REFUSED')) {
        return;
      }
      problems.push(`console: ${m.text()} (${url})`);
    });

    await page.goto(`${monitor}/`);
    await page.locator('#status[data-state="live"]').waitFor();
    // This broker has no durable queues (GET /queues is 404): their panel stays hidden.
    expect(await page.locator('#queues').isHidden()).toBe(true);

    // Real peers: a worker and a subscriber (the consumer program), a producer (this test).
    const worker = start(appMain('consumer'), ['pull', '--connect', env.ZMQMQ_PUSH]);
    const subscriber = start(appMain('consumer'), ['sub', '--connect', env.ZMQMQ_PUBLISH]);
    await Promise.all([worker.waitForLine(/ready/), subscriber.waitForLine(/ready/)]);
    const producer = new XPublisher({ linger: 0, noDrop: true, sendHighWaterMark: 0 });
    sockets.push(producer);
    producer.connect(env.ZMQMQ_INGRESS);
    await producer.receive(); // the broker's subscription: the ingress link is up

    const workers = page.locator('#peers-list .role[data-role="workers"]');
    await page
      .locator('#peers-list .role[data-role="workers"][data-connected="1"] td')
      .first()
      .waitFor();
    await page.locator('#peers-list .role[data-role="producers"][data-connected="1"]').waitFor();
    await page.locator('#peers-list .role[data-role="subscribers"][data-connected="1"]').waitFor();
    // The worker's row shows its own address: the one /peers has (the kernel's connection table).
    const peers = await getJson<PeerListing>(`${monitor}/peers`);
    const workerAddress = peers.roles.workers.peers[0]?.address;
    expect(workerAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    await workers.locator('td', { hasText: workerAddress! }).waitFor();

    // The known load: LOAD messages, BATCH every PACE_MS, so the charts see a few seconds of it.
    for (let sent = 0; sent < LOAD; sent += BATCH) {
      for (let i = 0; i < BATCH; i++) await producer.send(`orders.created {"n":${sent + i}}`);
      await new Promise((resolve) => setTimeout(resolve, PACE_MS));
    }
    await worker.waitForStdoutLines(LOAD, 20_000);
    // The page's totals come with the next tick; they are /stats's.
    await page
      .locator(`#flow-cards [data-metric="pushed"] .total[data-value="${LOAD}"]`)
      .waitFor({ timeout: 10_000 });
    const stats = await getJson<BrokerStatsSnapshot>(`${monitor}/stats`);
    expect(stats.received.messages).toBe(LOAD);
    expect(await cardValue(page, 'received', 'total')).toBe(stats.received.messages);
    expect(await cardValue(page, 'published', 'total')).toBe(stats.published.messages);
    expect(await cardValue(page, 'pushed', 'total')).toBe(stats.pushed.messages);
    expect(await cardValue(page, 'dropped', 'total')).toBe(stats.dropped.total);
    // The flow chart moved: its peak is a rate of the load (about BATCH * 1000 / PACE_MS a second).
    const chart = page.locator('#chart-flow');
    expect(Number(await chart.getAttribute('data-samples'))).toBeGreaterThanOrEqual(3);
    const peak = Number(await chart.getAttribute('data-peak'));
    expect(peak).toBeGreaterThan(BATCH);
    expect(peak).toBeLessThanOrEqual(LOAD);
    await expect(page.locator('#chart-flow canvas').count()).resolves.toBeGreaterThan(0);
    await screenshot(page, 'dashboard-under-load');

    // A worker killed: it leaves the page.
    worker.child.kill('SIGKILL');
    await page.locator('#peers-list .role[data-role="workers"][data-connected="0"]').waitFor();
    expect(await workers.locator('td').count()).toBe(0);

    // The broker restarts: the page says it lost the broker, then comes back on its own.
    brokerDown = true;
    expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await page.locator('#status[data-state="disconnected"]').waitFor();
    await screenshot(page, 'dashboard-disconnected', false);
    const restarted = start(appMain('broker'), [], env);
    await restarted.waitForLine(/"msg":"broker started"/);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
    brokerDown = false;
    await page.locator('#notice', { hasText: 'restarted' }).waitFor();
    expect(await cardValue(page, 'received', 'total')).toBe(0);
    await screenshot(page, 'dashboard-after-restart', false);

    // A phone's width: every panel within the screen, nothing wider than it.
    await page.setViewportSize({ width: 360, height: 740 });
    await page.locator('#status[data-state="live"]').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    for (const id of ['flow', 'work-queue', 'peers', 'broker']) {
      const box = await page.locator(`#${id}`).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x).toBeGreaterThanOrEqual(0);
      expect(box!.x + box!.width).toBeLessThanOrEqual(360);
      await expect(page.locator(`#${id}`).isVisible()).resolves.toBe(true);
    }
    const flowChartBox = await page.locator('#chart-flow canvas').first().boundingBox();
    expect(flowChartBox!.width).toBeLessThanOrEqual(360);
    await screenshot(page, 'dashboard-phone');

    // Nothing was asked of anyone but the monitor, and the page reported no error.
    expect(requests.filter((url) => !url.startsWith(`${monitor}/`))).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining([`${monitor}/events`]));
    expect(problems).toEqual([]);
    await restarted.stop('SIGTERM');
    await subscriber.stop('SIGTERM');
  });
  it('shows a real durable queue and its dead letters, and replays one with the monitor token', async () => {
    const broker = await durable.broker(['--queue', 'orders=orders.', '--max-deliveries', '2'], {
      token: true,
    });
    const { reliable, monitor } = broker.ports;
    // Two confirmed orders: one in JSON with a header, one in msgpack (not JSON: shown as hex).
    const json = durable.client(new Producer({ connect: reliable, confirm: true }));
    await json.send('orders.created', { order: 7, total: 12.5 }, { headers: { tenant: 'acme' } });
    const packed = durable.client(
      new Producer({ connect: reliable, confirm: true, codec: 'msgpack' }),
    );
    await packed.send('orders.created', { order: 8 });
    // A worker that refuses order 7 (dead after --max-deliveries 2) and terminates order 8.
    const worker = durable.client(
      new QueueWorker({
        connect: reliable,
        queue: 'orders',
        backoff: { initialMs: 10, factor: 1 },
      }),
    );
    void worker.run(
      async (d) => {
        if ((d.body as { order: number }).order === 8) d.term('total missing');
        else throw new Error('refused');
      },
      { onHandlerError: () => undefined },
    );
    await waitFor(
      async () => (await broker.queue('orders')).dead === 2,
      20_000,
      'two dead letters',
    );
    await worker.close();
    const dead = (await monitorJson(
      `${monitor}/queues/orders/dead`,
      'GET',
      undefined,
      broker.token,
    )) as DeadLettersResponse;
    const [seven, eight] = dead.deadLetters.map((d) => d.seq) as [number, number];

    // The monitor has a token: the page signs in once, and the cookie goes with every request.
    const page = await browser.context.newPage();
    const requests: string[] = [];
    const posts: Array<{ path: string; body: string | null; authorization?: string }> = [];
    const dialogs: string[] = [];
    page.on('request', (r) => {
      requests.push(r.url());
      if (r.method() === 'POST' && new URL(r.url()).pathname !== '/login') {
        posts.push({
          path: new URL(r.url()).pathname,
          body: r.postData(),
          authorization: r.headers()['authorization'],
        });
      }
    });
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.accept();
    });
    expect((await page.goto(`${monitor}/`))?.status()).toBe(401);
    await page.locator('input[name="token"]').fill(broker.token!);
    await page.locator('button[type="submit"]').click();
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
    const grid = page.locator('#queues-grid');
    await grid.locator('td', { hasText: 'orders.' }).waitFor();
    expect(await page.locator('#queues').isVisible()).toBe(true);
    // name, prefixes, ready, unacked, delayed, messages: nothing held, two dead letters.
    expect(
      (await grid.locator('tbody tr').first().locator('td').allInnerTexts()).slice(0, 6),
    ).toEqual(['orders', 'orders.', '0', '0', '0', '0 / 1,000,000']);
    await grid.locator('button[data-queue="orders"]', { hasText: '2 dead' }).waitFor();

    // The dead letters: the JSON body with its header, and the msgpack one as hex.
    await page.locator('button[data-queue="orders"]').click();
    await page.locator('#dead-letters h3', { hasText: 'Dead letters of orders' }).waitFor();
    const rows = page.locator('#dead-letters tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).innerText()).toMatch(/orders\.created\s+2\s+max-deliveries/);
    expect(await rows.nth(1).innerText()).toMatch(/orders\.created\s+1\s+term: total missing/);
    await page.locator(`#dead-letters button[data-seq="${seven}"]`).click();
    const body = page.locator(`.dead-letter[data-seq="${seven}"] pre[data-kind="json"]`);
    expect(await body.innerText()).toContain('"order": 7');
    const letter = await page.locator(`.dead-letter[data-seq="${seven}"]`).innerText();
    expect(letter).toContain('acme');
    expect(letter).toContain('application/json');
    await page.locator(`#dead-letters button[data-seq="${eight}"]`).click();
    const hex = page.locator(`.dead-letter[data-seq="${eight}"] pre[data-kind="hex"]`);
    // msgpack of {order: 8}: a map of one, "order", 8.
    expect(await hex.innerText()).toContain('81 a5 6f 72 64 65 72 08');
    await screenshot(page, 'dashboard-dead-letters');

    // Replay asks first, then goes with the sign-in cookie; the page never holds the token.
    await page.locator(`.dead-letter[data-seq="${eight}"] button`, { hasText: 'Replay' }).click();
    await page.locator('#queues-status', { hasText: '1 replayed into orders' }).waitFor();
    expect(dialogs).toEqual([
      expect.stringMatching(new RegExp(`^confirm: Put dead letter ${eight} of orders back`)),
    ]);
    expect(posts).toEqual([
      { path: '/queues/orders/replay', body: `{"seqs":[${eight}]}`, authorization: undefined },
    ]);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(await page.evaluate('JSON.stringify(sessionStorage)')).toBe('{}');

    // The broker put it back: the page lists one dead letter left, and a worker gets order 8
    // again as a first attempt.
    await page.locator('#dead-letters tbody tr').first().waitFor();
    await waitFor(async () => (await rows.count()) === 1, 5000, 'one dead letter listed');
    expect(await broker.queue('orders')).toMatchObject({
      depth: 1,
      dead: 1,
      counters: { replayed: 1 },
    });
    const again = durable.client(new QueueWorker({ connect: reliable, queue: 'orders' }));
    const redelivered = new Promise<{ order: number; attempt: number }>((resolve) => {
      void again.run(async (d) =>
        resolve({ order: (d.body as { order: number }).order, attempt: d.attempt }),
      );
    });
    expect(await redelivered).toEqual({ order: 8, attempt: 1 });
    expect(requests.filter((r) => !r.startsWith(`${monitor}/`))).toEqual([]);
    await page.close();
  });
});
