import { get, type ClientRequest } from 'node:http';
import { httpGet, RawPeer, withTimeout } from '@zmq-mq/protocol/testing';
import { Registry } from 'prom-client';
import { DEFAULT_MAX_EVENT_CLIENTS, EventStream, eventText } from '../src/dashboard/events';
import { coreRoutes, Monitor, MONITOR_LIMITS, type MonitorLimits } from '../src/monitor';
import { capturingLogger, waitFor } from './helpers';

describe('the monitor under slow and idle clients', () => {
  const raws: RawPeer[] = [];
  let monitor: Monitor | undefined;
  afterEach(async () => {
    for (const r of raws.splice(0)) r.destroy();
    await monitor?.stop();
  });

  async function start(limits: {
    maxConnections: number;
    headersTimeoutMs: number;
  }): Promise<{ url: string; refused: () => number; lines: Array<Record<string, unknown>> }> {
    const { logger, lines } = capturingLogger('warn');
    let refused = 0;
    monitor = new Monitor(
      { host: '127.0.0.1', port: 0 },
      coreRoutes({ registry: new Registry(), stats: () => ({}), health: () => 'ok' }),
      {
        log: logger,
        refused: () => refused++,
        limits: { ...limits, requestTimeoutMs: limits.headersTimeoutMs * 2, idleTimeoutMs: 60_000 },
      },
    );
    const url = await monitor.start();
    return { url, refused: () => refused, lines };
  }

  it('closes connections past its cap at once, counts and logs them, and serves again after', async () => {
    const m = await start({ maxConnections: 4, headersTimeoutMs: 60_000 });
    const endpoint = m.url.replace('http://', 'tcp://');
    for (let i = 0; i < 4; i++) {
      const slow = await RawPeer.open(endpoint);
      raws.push(slow);
      await slow.write(Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\n')); // and never ends
    }
    const extra: RawPeer[] = [];
    for (let i = 0; i < 3; i++) extra.push(await RawPeer.open(endpoint));
    raws.push(...extra);
    await Promise.all(extra.map((r) => r.untilClosed()));
    await waitFor(() => m.refused() === 3, 5000, 'three refusals counted');
    expect(m.lines[0]).toMatchObject({
      msg: 'monitor connection refused: the monitor has its most connections open',
      maxConnections: 4,
      peer: extra[0]!.address,
    });
    for (const r of raws.splice(0)) r.destroy();
    await waitFor(
      async () => (await httpGet(`${m.url}/healthz`).catch(() => undefined))?.status === 200,
      5000,
      'healthz again',
    );
  });

  it('closes a connection whose headers do not come in time, and logs it', async () => {
    const m = await start({ maxConnections: 4, headersTimeoutMs: 300 });
    const endpoint = m.url.replace('http://', 'tcp://');
    const silent = await RawPeer.open(endpoint);
    const partial = await RawPeer.open(endpoint);
    raws.push(silent, partial);
    await partial.write(Buffer.from('GET /stats HTTP/1.1\r\n'));
    await withTimeout(Promise.all([silent.closed, partial.closed]), 5000, 'both closed');
    expect(partial.received).toBeGreaterThan(0); // the 408 status line
    await waitFor(() => m.lines.length === 2, 5000, 'two warn lines');
    expect(m.lines.map((l) => l.msg)).toEqual([
      'monitor connection closed: its request did not come in time',
      'monitor connection closed: its request did not come in time',
    ]);
    expect((await httpGet(`${m.url}/healthz`)).status).toBe(200);
  });

  it('keeps event streams open past every timeout, caps them below its connection cap, and still closes slow headers', async () => {
    // Limits scaled down: a stream must outlive them many times over.
    const limits: Partial<MonitorLimits> = {
      maxConnections: 6,
      headersTimeoutMs: 200,
      requestTimeoutMs: 300,
      idleTimeoutMs: 300,
    };
    const stream = new EventStream(3);
    const ticker = setInterval(() => stream.broadcast(eventText('tick', {} as never)), 50);
    const { logger } = capturingLogger('warn');
    monitor = new Monitor(
      { host: '127.0.0.1', port: 0 },
      [
        ...coreRoutes({ registry: new Registry(), stats: () => ({}), health: () => 'ok' }),
        { path: '/events', handle: (req, res) => stream.attach(req, res, () => '') },
      ],
      { log: logger, refused: () => undefined, limits },
    );
    const url = await monitor.start();
    const readers: Array<{ req: ClientRequest; status: number; ticks: number; closed: boolean }> =
      [];
    const open = (): (typeof readers)[number] => {
      const r = { req: undefined as unknown as ClientRequest, status: 0, ticks: 0, closed: false };
      r.req = get(`${url}/events`, { agent: false }, (res) => {
        r.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (r.ticks += chunk.split('event: tick').length - 1));
        res.on('close', () => (r.closed = true));
      });
      r.req.on('error', () => (r.closed = true));
      readers.push(r);
      return r;
    };
    try {
      const streams = [open(), open(), open()];
      await waitFor(() => streams.every((r) => r.ticks >= 1), 5000, 'three streams ticking');
      const fourth = open();
      await waitFor(() => fourth.status !== 0, 5000, 'the fourth answered');
      expect(fourth.status).toBe(503); // past the streams' cap, below the connection cap
      const slow = await RawPeer.open(url.replace('http://', 'tcp://'));
      raws.push(slow);
      await slow.write(Buffer.from('GET /healthz HTTP/1.1\r\n')); // and never ends
      await slow.untilClosed(5000); // closed at the header timeout
      // Ticks every 50 ms: 40 of them is over six times the longest timeout.
      await waitFor(() => streams.every((r) => r.ticks >= 40), 10_000, 'forty ticks on each');
      expect(streams.map((r) => r.closed)).toEqual([false, false, false]);
      expect((await httpGet(`${url}/healthz`)).status).toBe(200); // room left for a scraper
    } finally {
      clearInterval(ticker);
      for (const r of readers) r.req.destroy();
      stream.close();
    }
  });

  it('leaves room beside the most event streams for as many other connections', () => {
    expect(MONITOR_LIMITS.maxConnections).toBeGreaterThanOrEqual(2 * DEFAULT_MAX_EVENT_CLIENTS);
  });
});
