import { httpGet, RawPeer, withTimeout } from '@zmq-mq/protocol/testing';
import { Registry } from 'prom-client';
import { coreRoutes, Monitor } from '../src/monitor';
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
});
