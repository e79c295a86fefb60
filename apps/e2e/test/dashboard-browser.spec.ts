// The monitor's dashboard in a real browser (Debian's chromium through playwright-core)
// against the built broker as a process, with real producer, subscriber and worker peers.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type {
  BrokerStatsSnapshot,
  DeadLettersResponse,
  PeerListing,
  QueuesResponse,
  QueueSummary,
  ReplayResponse,
} from '@zmq-mq/broker';
import { freePort } from '@zmq-mq/protocol/testing';
import type { Page } from 'playwright-core';
import { XPublisher } from 'zeromq';
import { launchChromium, screenshot, type Browser } from '../src/browser';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';

/**
 * A monitor as it will be once the broker has durable queues: `/queues…` answered by `queues`
 * (the shapes of @zmq-mq/broker's dashboard module), everything else (the page, its events)
 * passed on to a real broker's monitor. Resolves with its URL.
 */
async function standInMonitor(
  servers: Server[],
  broker: string,
  queues: (req: IncomingMessage, body: string) => { status: number; body: unknown },
): Promise<string> {
  const target = new URL(broker);
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/queues')) {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const answer = queues(req, body);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      });
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (reply) => {
        res.writeHead(reply.statusCode ?? 502, reply.headers);
        reply.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

const DIED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

const ORDERS: QueueSummary = {
  name: 'orders',
  prefixes: ['orders.'],
  ready: 120,
  unacked: 4,
  delayed: 1,
  messages: 125,
  bytes: 12_500,
  maxMessages: 1_000_000,
  maxBytes: 1024 ** 3,
  oldestAgeMs: 42_000,
  dead: 2,
  consumers: 2,
  counters: {
    appended: 1000,
    delivered: 900,
    acked: 870,
    nacked: 30,
    redelivered: 25,
    expired: 0,
    deadLettered: 2,
    replayed: 0,
    purged: 0,
  },
};

const JSON_BODY = Buffer.from('{"order":7,"total":12.5}');
// msgpack of {"order":8}: not JSON, shown as hex.
const PACKED_BODY = Buffer.from([0x81, 0xa5, 0x6f, 0x72, 0x64, 0x65, 0x72, 0x08]);

const DEAD_LETTERS: DeadLettersResponse = {
  queue: 'orders',
  deadLetters: [
    {
      seq: 7,
      topic: 'orders.created',
      id: 'order-7',
      reason: 'max-deliveries',
      attempts: 5,
      deadAt: DIED_AT,
      publishedAt: DIED_AT - 60_000,
      headers: { tenant: 'acme' },
      contentType: 'application/json',
      payload: JSON_BODY.toString('base64'),
      payloadBytes: JSON_BODY.length,
    },
    {
      seq: 8,
      topic: 'orders.created',
      id: 'order-8',
      reason: 'term: total missing',
      attempts: 1,
      deadAt: DIED_AT,
      publishedAt: DIED_AT - 30_000,
      headers: {},
      contentType: 'application/msgpack',
      payload: PACKED_BODY.toString('base64'),
      payloadBytes: PACKED_BODY.length,
    },
  ],
};

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
  const servers: Server[] = [];
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
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  const start = (script: string, args: string[], env: Record<string, string> = {}): TestProcess => {
    const p = startNode(script, args, { env });
    procs.push(p);
    return p;
  };

  it('shows the load and the peers, survives a broker restart, and fits a phone', async () => {
    // Fixed ports, so that the restarted broker is where the page looks for it.
    const [ingress, publish, push, monitorPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const env = {
      ZMQMQ_INGRESS: `tcp://127.0.0.1:${ingress}`,
      ZMQMQ_PUBLISH: `tcp://127.0.0.1:${publish}`,
      ZMQMQ_PUSH: `tcp://127.0.0.1:${push}`,
      ZMQMQ_MONITOR: `127.0.0.1:${monitorPort}`,
    };
    const monitor = `http://127.0.0.1:${monitorPort}`;
    const broker = start(appMain('broker'), [], env);
    await broker.waitForLine(/"msg":"broker started"/);
    const page = browser.page;

    const requests: string[] = [];
    const problems: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // The durable-queue probe answers 404 on this broker, and the browser logs that.
      if (m.type() === 'error' && !m.location().url.endsWith('/queues')) {
        problems.push(`console: ${m.text()}`);
      }
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
    expect(await broker.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    await page.locator('#status[data-state="disconnected"]').waitFor();
    await screenshot(page, 'dashboard-disconnected', false);
    const restarted = start(appMain('broker'), [], env);
    await restarted.waitForLine(/"msg":"broker started"/);
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
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
  it('shows durable queues and their dead letters, and replays one with the monitor token', async () => {
    const broker = start(appMain('broker'), [], {
      ZMQMQ_INGRESS: 'tcp://127.0.0.1:*',
      ZMQMQ_PUBLISH: 'tcp://127.0.0.1:*',
      ZMQMQ_PUSH: 'tcp://127.0.0.1:*',
      ZMQMQ_MONITOR: '127.0.0.1:0',
    });
    const { monitor } = JSON.parse(await broker.waitForLine(/"msg":"broker started"/)) as {
      monitor: string;
    };
    const replays: Array<{ token: string | undefined; body: string }> = [];
    const url = await standInMonitor(servers, monitor, (req, body) => {
      if (req.method === 'GET' && req.url === '/queues') {
        return { status: 200, body: { queues: [ORDERS] } satisfies QueuesResponse };
      }
      if (req.method === 'GET' && req.url?.startsWith('/queues/orders/dead?')) {
        return { status: 200, body: DEAD_LETTERS };
      }
      if (req.method === 'POST' && req.url === '/queues/orders/replay') {
        replays.push({ token: req.headers.authorization, body });
        if (req.headers.authorization !== 'Bearer s3cret') {
          return { status: 401, body: { error: 'the monitor token is required' } };
        }
        return { status: 200, body: { replayed: 1 } satisfies ReplayResponse };
      }
      return { status: 404, body: { error: 'not found' } };
    });

    const page = await browser.context.newPage();
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void (d.type() === 'prompt' ? d.accept('s3cret') : d.accept());
    });
    await page.goto(`${url}/`);
    await page.locator('#status[data-state="live"]').waitFor();
    const grid = page.locator('#queues-grid');
    await grid.waitFor();
    expect(await page.locator('#queues').isVisible()).toBe(true);
    await grid.locator('td', { hasText: 'orders.' }).waitFor();
    expect(await grid.locator('tbody tr').first().locator('td').allInnerTexts()).toEqual(
      expect.arrayContaining(['orders', '120', '4', '1', '2', '42 s', '2 dead']),
    );

    // The dead letters: one JSON body, one that is not.
    await page.locator('button[data-queue="orders"]').click();
    await page.locator('#dead-letters h3', { hasText: 'Dead letters of orders' }).waitFor();
    await page.locator('#dead-letters button[data-seq="7"]').click();
    const json = page.locator('.dead-letter[data-seq="7"] pre[data-kind="json"]');
    expect(await json.innerText()).toContain('"order": 7');
    expect(await page.locator('.dead-letter[data-seq="7"]').innerText()).toContain('acme');
    await page.locator('#dead-letters button[data-seq="8"]').click();
    const hex = page.locator('.dead-letter[data-seq="8"] pre[data-kind="hex"]');
    expect(await hex.innerText()).toContain('81 a5 6f 72 64 65 72 08');
    await screenshot(page, 'dashboard-dead-letters');

    // Replay asks first; the monitor answers 401, the page asks for the token and sends it.
    await page.locator('.dead-letter[data-seq="8"] button', { hasText: 'Replay' }).click();
    await page.locator('#queues-status', { hasText: '1 replayed into orders' }).waitFor();
    expect(dialogs).toEqual([
      expect.stringMatching(/^confirm: Put dead letter 8 of orders back/),
      expect.stringMatching(/^prompt: The monitor asks for its token/),
    ]);
    expect(replays).toEqual([
      { token: undefined, body: '{"seqs":[8]}' },
      { token: 'Bearer s3cret', body: '{"seqs":[8]}' },
    ]);
    expect(await page.evaluate("sessionStorage.getItem('zmq-mq.monitor-token')")).toBe('s3cret');
    expect(requests.filter((r) => !r.startsWith(`${url}/`))).toEqual([]);
    await page.close();
  });
});
