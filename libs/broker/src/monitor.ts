import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { BindError } from './errors';
import { LogBudget } from './log-budget';
import type { Logger } from './logger';
import type { MonitorAddress } from './options';
import { MonitorAuth, sendLoginPage } from './security/monitor-auth';

/**
 * Who may call a route. `open`: anyone when the monitor has no token, else the token's holder
 * (the default). `token`: the token's holder only, even on a monitor without one (then nobody).
 * `public`: anyone, always (the login form). On any other route a method other than GET and
 * HEAD always needs the token: a mutating route (replay, purge) is `token` by its methods.
 */
export type RouteAccess = 'public' | 'open' | 'token';

/** One path the monitor serves. */
export interface MonitorRoute {
  /**
   * The path (`/stats`). A `*` segment inside it stands for any one segment (the dead letters'
   * route is `/queues/` then `*` then `/dead`); one ending in `/*` serves every path below it
   * (`/assets/*`). An exact path wins over a pattern, a pattern over a prefix, and the longest
   * prefix over a shorter.
   */
  path: string;
  /** Methods it answers; default GET and HEAD (HEAD answers as GET, without the body). */
  methods?: readonly string[];
  /** Who may call it (default `open`; see RouteAccess). */
  access?: RouteAccess;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
}

/** The limits every monitor request is served under. */
export interface MonitorLimits {
  /**
   * Most connections open at once, event streams included; past it a new one is closed as soon
   * as it is accepted (and logged, and counted).
   */
  maxConnections: number;
  /** A request's headers must be in within this long of the connection or request start (ms). */
  headersTimeoutMs: number;
  /** A whole request must be in within this long (ms); a response may take longer. */
  requestTimeoutMs: number;
  /**
   * An open connection with nothing moving either way is closed after this long (ms). An event
   * stream moves every second (the dashboard's tick), so only a dead one reaches it.
   */
  idleTimeoutMs: number;
  /** Largest request head (request line and headers, bytes); past it 431. */
  maxHeaderBytes: number;
  /** Largest request body a `content-length` may announce (bytes); past it 413. */
  maxBodyBytes: number;
}

/**
 * The monitor's limits. A scraper and a few people need a handful of connections; the cap keeps
 * slow or idle HTTP clients from taking the file descriptors the ZeroMQ sockets need (1,124 such
 * connections under a limit of 1,024 descriptors locked every ZeroMQ peer out), and the
 * timeouts close them within seconds. The cap is twice the dashboard's cap on event streams
 * (DEFAULT_MAX_EVENT_CLIENTS), so that open pages alone never keep a scraper out.
 */
export const MONITOR_LIMITS: Readonly<MonitorLimits> = {
  maxConnections: 64,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
  maxHeaderBytes: 8 * 1024,
  maxBodyBytes: 64 * 1024,
};
/** How often Node checks the header and request timeouts (ms; its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 500;

/** What a monitor is run with besides its address and routes. */
export interface MonitorOptions {
  log: Logger;
  /** A connection was closed at once: the most connections were open. */
  refused(): void;
  /** The token check (MonitorAuth); default: no token. */
  auth?: MonitorAuth;
  /** Bounds other than MONITOR_LIMITS (tests shorten the timeouts). */
  limits?: Partial<MonitorLimits>;
  /** A request was refused for want of the token (401, 403). */
  unauthorized?: () => void;
}

export interface MonitorSources {
  registry: Registry;
  stats(): unknown;
  /** `ok` answers 200; anything else 503 with that word. */
  health(): 'ok' | 'stopping' | 'failed';
}

/** Writes `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body, null, 2));
}

/** `/healthz`, `/metrics` (Prometheus text) and `/stats` (JSON). */
export function coreRoutes(sources: MonitorSources): MonitorRoute[] {
  return [
    {
      path: '/healthz',
      handle: (_req, res) => {
        const status = sources.health();
        res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status }));
      },
    },
    {
      path: '/metrics',
      handle: (_req, res) => {
        sources.registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': sources.registry.contentType }).end(text),
          (err: Error) => res.writeHead(500).end(err.message),
        );
      },
    },
    { path: '/stats', handle: (_req, res) => sendJson(res, 200, sources.stats()) },
  ];
}

const DEFAULT_METHODS: readonly string[] = ['GET', 'HEAD'];

/** Methods that only read: any other needs the token. */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * The monitor HTTP endpoint: a table of routes (`coreRoutes`, and those a feature adds), each
 * with the access it allows (RouteAccess), all under MONITOR_LIMITS. With a token, `/login`
 * is a form that trades it for a session cookie (MonitorAuth). Refused and timed-out
 * connections are logged at warn (a sample, see LogBudget).
 */
export class Monitor {
  private server: Server | undefined;
  private readonly exact = new Map<string, MonitorRoute>();
  private readonly patterns: Array<{ route: MonitorRoute; segments: string[] }> = [];
  private readonly prefixes: MonitorRoute[] = [];
  private readonly auth: MonitorAuth;
  private readonly budget = new LogBudget();
  private readonly limits: MonitorLimits;

  constructor(
    private readonly address: MonitorAddress,
    routes: readonly MonitorRoute[],
    private readonly options: MonitorOptions,
  ) {
    this.auth = options.auth ?? new MonitorAuth(null);
    this.limits = { ...MONITOR_LIMITS, ...options.limits };
    const login: MonitorRoute = {
      path: '/login',
      methods: ['GET', 'HEAD', 'POST'],
      access: 'public',
      handle: (req, res) => {
        if (req.method === 'POST') this.auth.login(req, res, () => options.unauthorized?.());
        else sendLoginPage(res, 200);
      },
    };
    for (const route of [...routes, login]) {
      if (route.path.includes('/*/'))
        this.patterns.push({ route, segments: route.path.split('/') });
      else if (route.path.endsWith('/*')) this.prefixes.push(route);
      else this.exact.set(route.path, route);
    }
    // The longest prefix wins.
    this.prefixes.sort((a, b) => b.path.length - a.path.length);
  }

  private route(path: string): MonitorRoute | undefined {
    const exact = this.exact.get(path);
    if (exact !== undefined) return exact;
    const parts = path.split('/');
    const pattern = this.patterns.find(
      ({ segments }) =>
        segments.length === parts.length &&
        segments.every((s, i) => (s === '*' ? parts[i] !== '' : s === parts[i])),
    );
    return pattern?.route ?? this.prefixes.find((r) => path.startsWith(r.path.slice(0, -1)));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://monitor');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n');
      return;
    }
    if (Number(req.headers['content-length'] ?? 0) > this.limits.maxBodyBytes) {
      res
        .writeHead(413, { 'content-type': 'text/plain', connection: 'close' })
        .end(`the body is larger than ${this.limits.maxBodyBytes} bytes\n`);
      return;
    }
    const route = this.route(url.pathname);
    if (route === undefined) {
      const paths = [...this.exact.keys()].join(', ');
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try ${paths}\n`);
      return;
    }
    const method = req.method ?? 'GET';
    const methods = route.methods ?? DEFAULT_METHODS;
    if (!methods.includes(method)) {
      res.writeHead(405, { allow: methods.join(', ') }).end();
      return;
    }
    if (!this.allowed(route, method, req, res)) return;
    route.handle(req, res, url);
  }

  /** Whether `req` may call `route` with `method`; if not, answers 401 or 403. */
  private allowed(
    route: MonitorRoute,
    method: string,
    req: IncomingMessage,
    res: ServerResponse,
  ): boolean {
    const declared = route.access ?? 'open';
    const access = declared === 'public' || READ_METHODS.has(method) ? declared : 'token';
    if (access === 'public' || (access === 'open' && !this.auth.required)) return true;
    const result = this.auth.check(req);
    if (result === 'ok') return true;
    this.options.unauthorized?.();
    if (result === 'no-token') {
      res
        .writeHead(403, { 'content-type': 'text/plain' })
        .end(
          'this monitor has no token (--monitor-token-file): what changes the broker, or shows messages, is off\n',
        );
    } else if (method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
      sendLoginPage(res, 401, result === 'wrong' ? 'Wrong or expired token.' : '');
    } else {
      res
        .writeHead(401, {
          'content-type': 'text/plain',
          'www-authenticate': 'Bearer realm="zmq-mq monitor"',
        })
        .end(
          `${result === 'wrong' ? 'wrong token' : 'this monitor asks for its token'}: Authorization: Bearer TOKEN\n`,
        );
    }
    return false;
  }

  /** Listens; resolves with the URL (the real port when 0 was asked). */
  async start(): Promise<string> {
    const limits = this.limits;
    const server = createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, limits.headersTimeoutMs),
      },
      (req, res) => this.handle(req, res),
    );
    this.server = server;
    server.keepAliveTimeout = 1000;
    server.maxConnections = limits.maxConnections;
    server.setTimeout(limits.idleTimeoutMs);
    server.on('drop', (peer?: { remoteAddress?: string; remotePort?: number }) => {
      this.options.refused();
      this.warn(
        'refused',
        {
          peer: `${peer?.remoteAddress}:${peer?.remotePort}`,
          maxConnections: limits.maxConnections,
        },
        'monitor connection refused: the monitor has its most connections open',
      );
    });
    server.on('clientError', (err: Error & { code?: string }, socket: Socket) => {
      const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      if (timedOut) {
        this.warn(
          'timed-out',
          {
            peer: `${socket.remoteAddress}:${socket.remotePort}`,
            headersTimeoutMs: limits.headersTimeoutMs,
            requestTimeoutMs: limits.requestTimeoutMs,
          },
          'monitor connection closed: its request did not come in time',
        );
      }
      // As Node answers when no one listens for clientError: one status line, then close.
      if (socket.writable && socket.bytesWritten === 0) {
        const status = timedOut
          ? '408 Request Timeout'
          : err.code === 'HPE_HEADER_OVERFLOW'
            ? '431 Request Header Fields Too Large'
            : '400 Bad Request';
        socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      }
      socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (cause) =>
        reject(new BindError('monitor', `${this.address.host}:${this.address.port}`, { cause })),
      );
      server.listen(this.address.port, this.address.host, () => resolve());
    });
    const bound = server.address();
    const port = typeof bound === 'object' && bound !== null ? bound.port : this.address.port;
    const host = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `http://${host}:${port}`;
  }

  private warn(kind: string, fields: Record<string, unknown>, msg: string): void {
    const notLogged = this.budget.take(kind);
    if (notLogged === undefined) return;
    this.options.log.warn({ ...fields, ...(notLogged > 0 ? { notLogged } : {}) }, msg);
  }

  /** Stops listening and closes open connections. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
