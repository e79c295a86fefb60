import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, get, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@zmq-mq/protocol/testing';
import { Pull } from 'zeromq';
import {
  Broker,
  loadDashboardPage,
  type BrokerDeps,
  type BrokerInfo,
  type BrokerOptionsInput,
  type BrokerStatsSnapshot,
  type DashboardHello,
  type DashboardTick,
  type FlowHistory,
  type PeerListing,
} from '../src';
import { EventStream, MAX_UNREAD_EVENT_BYTES } from '../src/dashboard/events';
import { brokerFixture, receiveWork, waitFor, warmUp } from './helpers';
import { EventReader, http, json } from './monitor-helpers';

/** A broker on ephemeral loopback ports with its monitor, given `deps`; the caller stops it. */
async function brokerWith(deps: BrokerDeps, options: BrokerOptionsInput = {}): Promise<Broker> {
  const b = new Broker(
    {
      ingress: 'tcp://127.0.0.1:*',
      publish: 'tcp://127.0.0.1:*',
      push: 'tcp://127.0.0.1:*',
      monitor: '127.0.0.1:0',
      logLevel: 'silent',
      reliable: 'off',
      ...options,
    },
    deps,
  );
  await b.start();
  return b;
}

describe('the dashboard on the monitor', () => {
  const { sockets, broker } = brokerFixture();
  const readers: EventReader[] = [];
  afterEach(() => {
    for (const r of readers.splice(0)) r.close();
  });
  const events = (url: string): EventReader => {
    const r = new EventReader(url);
    readers.push(r);
    return r;
  };

  it('lists each peer with its own address and since when, and drops one that leaves', async () => {
    const b = await broker({ monitor: '127.0.0.1:0' });
    const monitor = b.endpoints!.monitor!;
    const source = await freePort();
    const pushAt = b.endpoints!.push.replace('tcp://', '');
    const before = Date.now();
    // A worker whose own port the test chose (libzmq's `source;destination` form).
    const worker = sockets.track(new Pull({ linger: 0 }));
    worker.connect(`tcp://127.0.0.1:${source};${pushAt}`);
    let peers: PeerListing | undefined;
    await waitFor(
      async () => {
        peers = await json<PeerListing>(`${monitor}/peers`);
        return peers.roles.workers.peers[0]?.address !== undefined;
      },
      5000,
      'the worker listed with its address',
    );
    expect(peers!.addresses).toBe('kernel');
    expect(peers!.roles.workers).toMatchObject({
      endpoint: b.endpoints!.push,
      connected: 1,
      unlisted: 0,
      peers: [{ address: `127.0.0.1:${source}` }],
    });
    expect(peers!.roles.workers.peers[0]!.since).toBeGreaterThanOrEqual(before);
    expect(peers!.roles.producers.connected).toBe(0);
    worker.close();
    await waitFor(
      async () => (await json<PeerListing>(`${monitor}/peers`)).roles.workers.peers.length === 0,
      5000,
      'the worker gone from the list',
    );
    expect(b.stats().peers.workers).toBe(0);
  });

  it('serves the broker: version, instance, mode, endpoints and every option in force', async () => {
    const b = await brokerWith({ version: '9.9.9' }, { queueMaxMessages: 1234 });
    try {
      const info = await json<BrokerInfo>(`${b.endpoints!.monitor}/broker`);
      expect(info).toMatchObject({
        version: '9.9.9',
        pid: process.pid,
        mode: 'counted',
        endpoints: b.endpoints,
        events: { clients: 0, refused: 0, cut: 0 },
      });
      expect(info.instance).toMatch(/^[0-9a-f-]{36}$/);
      expect(info.libzmq).toMatch(/^\d+\.\d+\.\d+$/);
      expect(info.options.find((o) => o.name === 'queueMaxMessages')).toEqual({
        name: 'queueMaxMessages',
        flag: '--queue-max-messages',
        env: 'ZMQMQ_QUEUE_MAX_MESSAGES',
        value: 1234,
      });
      expect(info.options.find((o) => o.name === 'monitor')?.value).toMatch(/^127\.0\.0\.1:0$/);
    } finally {
      await b.stop();
    }
  });

  it('streams hello, then a tick a second whose counters are those of /stats', async () => {
    const b = await broker({ monitor: '127.0.0.1:0' });
    const monitor = b.endpoints!.monitor!;
    const stream = events(`${monitor}/events`);
    const hello = await stream.next<DashboardHello>('hello');
    expect(stream.status).toBe(200);
    expect(hello.broker.endpoints).toEqual(b.endpoints);
    expect(hello.history.intervalMs).toBe(1000);
    expect(hello.peers.roles.workers.connected).toBe(0);

    const pub = sockets.producer(b.endpoints!.ingress);
    const worker = sockets.worker(b.endpoints!.push);
    await warmUp(b, pub);
    for (let i = 0; i < 200; i++) await pub.send(`jobs job-${i}`);
    for (let i = 0; i < 200; i++) await receiveWork(worker);
    const total = b.stats().received.messages;
    const tick = await stream.next<DashboardTick>(
      'tick',
      (t) => t.stats.received.messages === total,
    );
    expect(tick.health).toBe('ok');
    expect(tick.stats.pushed.messages).toBe(b.stats().pushed.messages);
    // Peers come as their own event when they change: the worker and the producer.
    await stream.next<PeerListing>(
      'peers',
      (p) => p.roles.workers.connected === 1 && p.roles.producers.connected === 1,
    );
    // Rates over the history add up to the totals.
    const history = await json<FlowHistory>(`${monitor}/history`);
    const sum = history.samples.reduce((n, s) => n + (s.received * s.intervalMs) / 1000, 0);
    expect(Math.round(sum)).toBe(total);
    const stats = await json<BrokerStatsSnapshot>(`${monitor}/stats`);
    expect(stats.received.messages).toBe(total);
    expect(stats.queue.oldestAgeMs).toBe(0);
  });

  it('serves the page with a policy that allows this origin only, and its assets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-page-'));
    try {
      writeFileSync(
        join(dir, 'index.html'),
        '<!doctype html><script src="assets/main.js"></script>',
      );
      writeFileSync(join(dir, 'main.js'), 'console.log(1)');
      const b = await brokerWith({ dashboardPage: loadDashboardPage(dir) });
      try {
        const monitor = b.endpoints!.monitor!;
        const page = await http(`${monitor}/`);
        expect(page.status).toBe(200);
        expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(page.headers['content-security-policy']).toContain("default-src 'none'");
        expect(page.headers['content-security-policy']).toContain("connect-src 'self'");
        const script = await http(`${monitor}/assets/main.js`);
        expect(script).toMatchObject({ status: 200, body: 'console.log(1)' });
        expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
        const again = await http(`${monitor}/assets/main.js`, {
          headers: { 'if-none-match': String(script.headers.etag) },
        });
        expect(again.status).toBe(304);
        // Only the files loaded at start are served: no path reaches the file system.
        expect((await http(`${monitor}/assets/..%2F..%2Fpackage.json`)).status).toBe(404);
        expect((await http(`${monitor}/assets/nothing.js`)).status).toBe(404);
      } finally {
        await b.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(loadDashboardPage(join(tmpdir(), 'no-such-zmqmq-page'))).toBeUndefined();
  });

  it('says where the data is when no page was built, and answers wrong methods and paths', async () => {
    const b = await broker({ monitor: '127.0.0.1:0' });
    const monitor = b.endpoints!.monitor!;
    const page = await http(`${monitor}/`);
    expect(page.status).toBe(404);
    expect(page.body).toContain('/history');
    const post = await http(`${monitor}/stats`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const missing = await http(`${monitor}/nothing`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/peers');
    const head = await http(`${monitor}/history`, { method: 'HEAD' });
    expect(head).toMatchObject({ status: 200, body: '' });
  });
});

describe('EventStream', () => {
  let server: Server | undefined;
  const readers: EventReader[] = [];
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    await new Promise<void>((resolve) => {
      if (server === undefined) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    server = undefined;
  });

  async function serve(stream: EventStream): Promise<string> {
    server = createServer((req, res) =>
      stream.attach(req, res, () => 'event: hello\ndata: {}\n\n'),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`;
  }

  it('refuses clients past its cap, counted', async () => {
    const stream = new EventStream(1);
    const url = await serve(stream);
    const first = new EventReader(url);
    readers.push(first);
    await first.next('hello');
    const refused = await http(url);
    expect(refused.status).toBe(503);
    expect(refused.body).toContain('at most 1');
    expect(stream.refused).toBe(1);
    expect(stream.size).toBe(1);
  });

  it('cuts off a client that leaves more than its bound unread', async () => {
    const stream = new EventStream(4);
    const url = await serve(stream);
    // A client that reads the headers, then nothing more.
    const stalled = get(url, { agent: false }, (res) => res.pause());
    stalled.on('error', () => undefined);
    await waitFor(() => stream.size === 1, 5000, 'the client attached');
    const chunk = `event: tick\ndata: "${'x'.repeat(256 * 1024)}"\n\n`;
    for (let i = 0; i < 64 && stream.cut === 0; i++) {
      stream.broadcast(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(stream.cut).toBe(1);
    expect(stream.size).toBe(0);
    expect(64 * chunk.length).toBeGreaterThan(MAX_UNREAD_EVENT_BYTES);
    stalled.destroy();
  });
});
