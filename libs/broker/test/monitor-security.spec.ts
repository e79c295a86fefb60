import { createLogger } from '../src/logger';
// The monitor's token (bearer header or login cookie), the route table's access rule, and the
// bounds on every request: real HTTP on loopback, raw sockets for the slow and the oversized.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket as NetSocket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor, withTimeout } from '@zmq-mq/protocol/testing';
import { Broker, TokenFileError } from '../src';
import { Monitor, type MonitorRoute } from '../src/monitor';
import {
  MonitorAuth,
  MONITOR_COOKIE,
  readMonitorToken,
  tokensEqual,
} from '../src/security/monitor-auth';
import { Sockets, warmUp } from './helpers';

const TOKEN = 'c0ffee-5e1f-token-0123456789';

/** A GET route, a POST route (mutating), a route for the token's holder only. */
function routes(posted: string[]): MonitorRoute[] {
  return [
    { path: '/stats', handle: (_req, res) => res.writeHead(200).end('{"ok":true}') },
    {
      path: '/queues/*',
      methods: ['GET', 'HEAD', 'POST'],
      handle: (req, res) => {
        posted.push(req.method ?? '');
        res.writeHead(200).end('done');
      },
    },
    { path: '/secret', access: 'token', handle: (_req, res) => res.writeHead(200).end('s') },
  ];
}

describe('monitor access', () => {
  const monitors: Monitor[] = [];
  afterEach(async () => {
    await Promise.all(monitors.splice(0).map((m) => m.stop()));
  });
  const start = async (token: string | null, posted: string[] = []): Promise<string> => {
    const m = new Monitor({ host: '127.0.0.1', port: 0 }, routes(posted), {
      log: createLogger('silent'),
      refused: () => undefined,
      auth: new MonitorAuth(token),
    });
    monitors.push(m);
    return m.start();
  };
  const bearer = (t: string): RequestInit => ({ headers: { authorization: `Bearer ${t}` } });

  it('with a token: 401 without it or with a wrong one, 200 with it; unknown paths 404', async () => {
    const url = await start(TOKEN);
    const none = await fetch(`${url}/stats`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${url}/stats`, bearer('wrong-token-of-some-length'))).status).toBe(401);
    expect((await fetch(`${url}/stats`, bearer(`${TOKEN}x`))).status).toBe(401);
    const ok = await fetch(`${url}/stats`, bearer(TOKEN));
    expect([ok.status, await ok.text()]).toEqual([200, '{"ok":true}']);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
  });

  it('with a token: a browser signs in with the form and gets an HttpOnly, SameSite=Strict cookie', async () => {
    const url = await start(TOKEN);
    const page = await fetch(`${url}/stats`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(401);
    expect(await page.text()).toContain('<form method="post" action="/login">');
    const form = (token: string): RequestInit => ({
      method: 'POST',
      body: new URLSearchParams({ token }),
      redirect: 'manual',
    });
    const wrong = await fetch(`${url}/login`, form('not the token at all'));
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const right = await fetch(`${url}/login`, form(TOKEN));
    expect([right.status, right.headers.get('location')]).toEqual([303, '/']);
    const cookie = right.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const session = cookie.split(';')[0] as string;
    expect((await fetch(`${url}/stats`, { headers: { cookie: session } })).status).toBe(200);
    // The same cookie serves a mutating request (the page's replay and purge).
    const post = await fetch(`${url}/queues/q/replay`, {
      method: 'POST',
      headers: { cookie: session },
    });
    expect(post.status).toBe(200);
    const forged = session.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect((await fetch(`${url}/stats`, { headers: { cookie: forged } })).status).toBe(401);
  });

  it('a session cookie expires, and a new token voids it', () => {
    let now = Date.UTC(2030, 0, 1);
    const auth = new MonitorAuth(TOKEN, () => now);
    const cookie = (auth.sessionCookie().split(';')[0] as string).trim();
    const req = (c: string) => ({ headers: { cookie: c } }) as never;
    expect(auth.check(req(cookie))).toBe('ok');
    expect(new MonitorAuth(`${TOKEN}-rotated`, () => now).check(req(cookie))).toBe('wrong');
    now += 12 * 3600 * 1000 + 1000;
    expect(auth.check(req(cookie))).toBe('wrong');
    expect(cookie.startsWith(`${MONITOR_COOKIE}=`)).toBe(true);
  });

  it('without a token: reads are open, a mutating request or a token-only route is 403', async () => {
    const posted: string[] = [];
    const url = await start(null, posted);
    expect((await fetch(`${url}/stats`)).status).toBe(200);
    expect((await fetch(`${url}/queues/q`)).status).toBe(200);
    const post = await fetch(`${url}/queues/q/purge`, { method: 'POST' });
    expect(post.status).toBe(403);
    expect(await post.text()).toMatch(/no token \(--monitor-token-file\)/);
    expect((await fetch(`${url}/secret`)).status).toBe(403);
    expect(posted).toEqual(['GET']);
  });

  it('with a token: a mutating request needs it too', async () => {
    const posted: string[] = [];
    const url = await start(TOKEN, posted);
    expect((await fetch(`${url}/queues/q/purge`, { method: 'POST' })).status).toBe(401);
    const ok = await fetch(`${url}/queues/q/purge`, { method: 'POST', ...bearer(TOKEN) });
    expect(ok.status).toBe(200);
    expect(posted).toEqual(['POST']);
  });
});

describe('tokens', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-token-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('compares whole tokens of any length, through fixed-size digests', () => {
    expect(tokensEqual(TOKEN, TOKEN)).toBe(true);
    expect(tokensEqual(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokensEqual(`${TOKEN}${TOKEN}`, TOKEN)).toBe(false);
    expect(tokensEqual('', TOKEN)).toBe(false);
  });

  it('reads the first line of the token file, and refuses a short or missing one', () => {
    const file = join(dir, 'monitor.token');
    writeFileSync(file, `${TOKEN}\n# anything after the first line is ignored\n`);
    expect(readMonitorToken(file)).toBe(TOKEN);
    writeFileSync(file, 'short\n');
    expect(() => readMonitorToken(file)).toThrow(TokenFileError);
    expect(() => readMonitorToken(file)).toThrow(/at least 16 printable characters/);
    expect(() => readMonitorToken(join(dir, 'none'))).toThrow(/cannot be read/);
  });
});

/** A raw connection to the monitor; resolves once it is closed, with what the server sent. */
function rawRequest(url: string, write: (socket: NetSocket) => void): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => write(socket));
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (got += chunk));
    socket.on('close', () => resolve(got));
    socket.on('error', (err) => (got === '' ? reject(err) : resolve(got)));
  });
}

describe('monitor bounds, while the broker forwards', () => {
  const sockets = new Sockets();
  let b: Broker | undefined;
  afterEach(async () => {
    sockets.closeAll();
    await b?.stop();
  });

  it('cuts off oversized and slow requests and caps connections; messages keep flowing', async () => {
    // The broker's own monitor, with short timeouts (the defaults are seconds).
    const monitorLimits = { headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnections: 4 };
    b = new Broker(
      {
        ingress: 'tcp://127.0.0.1:*',
        publish: 'tcp://127.0.0.1:*',
        push: 'tcp://127.0.0.1:*',
        monitor: '127.0.0.1:0',
        reliable: 'off',
        logLevel: 'silent',
        drainTimeoutMs: 300,
      },
      { monitorLimits },
    );
    const { ingress, publish, monitor } = await b.start();
    const url = monitor as string;
    const pub = sockets.producer(ingress);
    const sub = sockets.subscriber(publish, 'flow');
    await warmUp(b, pub, [sub]);
    let sent = 0;
    const flowing = setInterval(() => void pub.send(`flow ${sent++}`), 5);
    try {
      // Headers past 8 KiB: 431, connection closed.
      const big = await rawRequest(url, (s) =>
        s.write(`GET /stats HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(9000)}\r\n\r\n`),
      );
      expect(big).toMatch(/^HTTP\/1\.1 431/);
      // A body announced past 64 KiB: 413 before any of it is read.
      const body = await fetch(`${url}/stats`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
      expect(body.status).toBe(413);
      // Headers that never end: closed within the headers timeout.
      const started = Date.now();
      const slow = await withTimeout(
        rawRequest(url, (s) => s.write('GET /stats HTTP/1.1\r\nHost: x\r\n')),
        5000,
        'the slow request to be cut off',
      );
      expect(slow).toMatch(/^HTTP\/1\.1 408|^$/);
      expect(Date.now() - started).toBeLessThan(3000);
      // Four idle connections are all it keeps: a fifth is closed at once.
      const idle: NetSocket[] = [];
      const { port } = new URL(url);
      for (let i = 0; i < 4; i++) {
        const s = connect(Number(port), '127.0.0.1');
        await new Promise((resolve) => s.once('connect', resolve));
        idle.push(s);
      }
      const fifth = await withTimeout(
        rawRequest(url, () => undefined),
        5000,
        'a refusal',
      );
      expect(fifth).toBe('');
      for (const s of idle) s.destroy();
      // And answers again once they are gone (the server sees them close in its own time).
      const answers = async (): Promise<boolean> =>
        (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200;
      await waitFor(answers, 5000, 'the monitor to answer again');
    } finally {
      clearInterval(flowing);
    }
    // Every message sent throughout reached the subscriber.
    await pub.send('flow end');
    const seen: string[] = [];
    for (let i = 0; i <= sent; i++) {
      const [frame] = await sub.receive();
      const text = frame!.toString();
      if (text === 'flow end') break;
      seen.push(text);
    }
    expect(seen).toHaveLength(sent);
    expect(sent).toBeGreaterThan(10);
  });
});
