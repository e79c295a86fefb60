// The monitor's dashboard in a real browser (Debian's chromium through playwright-core)
// against the built broker as a process, with real producer, subscriber and worker peers.
import type { BrokerStatsSnapshot, PeerListing } from '@zmq-mq/broker';
import { freePort } from '@zmq-mq/protocol/testing';
import type { Page } from 'playwright-core';
import { XPublisher } from 'zeromq';
import { launchChromium, screenshot, type Browser } from '../src/browser';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';

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
  let browser: Browser | undefined;

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const p of procs.splice(0)) p.kill();
    await browser?.close();
    browser = undefined;
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
    const launching = launchChromium();
    await broker.waitForLine(/"msg":"broker started"/);
    browser = await launching;
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
});
