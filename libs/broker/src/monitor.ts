import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Registry } from 'prom-client';
import { BindError } from './errors';
import { LogBudget } from './log-budget';
import type { Logger } from './logger';
import type { MonitorAddress } from './options';

/** The limits every monitor route is served under. */
export interface MonitorLimits {
  /**
   * Most connections open at once; past it a new one is closed as soon as it is accepted (and
   * logged, and counted).
   */
  maxConnections: number;
  /** A request's headers must be in within this long of the connection or request start (ms). */
  headersTimeoutMs: number;
  /** A whole request must be in within this long (ms). */
  requestTimeoutMs: number;
  /** An open connection with nothing moving either way is closed after this long (ms). */
  idleTimeoutMs: number;
}

/**
 * The monitor's limits. A scraper and a few people need a handful of connections; the cap keeps
 * slow or idle HTTP clients from taking the file descriptors the ZeroMQ sockets need (1,124 such
 * connections under a limit of 1,024 descriptors locked every ZeroMQ peer out), and the
 * timeouts close them within seconds.
 */
export const MONITOR_LIMITS: Readonly<MonitorLimits> = {
  maxConnections: 32,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 10_000,
};
/** How often Node checks the header and request timeouts (ms; its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 500;

export interface MonitorSources {
  registry: Registry;
  stats(): unknown;
  /** `ok` answers 200; anything else 503 with that word. */
  health(): 'ok' | 'stopping' | 'failed';
  /** A connection was closed at once: the most connections were open. */
  refused(): void;
}

/**
 * The monitor HTTP endpoint: `/healthz`, `/metrics` (Prometheus text), `/stats` (JSON), and any
 * route added to it, all under one set of limits (MONITOR_LIMITS). Refused and timed-out
 * connections are logged at warn (a sample, see LogBudget).
 */
export class Monitor {
  private server: Server | undefined;
  private readonly budget = new LogBudget();

  constructor(
    private readonly address: MonitorAddress,
    private readonly sources: MonitorSources,
    private readonly log: Logger,
    private readonly limits: MonitorLimits = MONITOR_LIMITS,
  ) {}

  /** Listens; resolves with the URL (the real port when 0 was asked). */
  async start(): Promise<string> {
    const server = createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(
          TIMEOUT_CHECK_INTERVAL_MS,
          this.limits.headersTimeoutMs,
        ),
      },
      (req, res) => {
        const path = (req.url ?? '/').split('?')[0];
        if (req.method !== 'GET' && req.method !== 'HEAD') {
          res.writeHead(405, { allow: 'GET, HEAD' }).end();
          return;
        }
        if (path === '/healthz') {
          const status = this.sources.health();
          res.writeHead(status === 'ok' ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status }));
        } else if (path === '/metrics') {
          this.sources.registry.metrics().then(
            (text) =>
              res.writeHead(200, { 'content-type': this.sources.registry.contentType }).end(text),
            (err: Error) => res.writeHead(500).end(err.message),
          );
        } else if (path === '/stats') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(this.sources.stats(), null, 2));
        } else {
          res
            .writeHead(404, { 'content-type': 'text/plain' })
            .end('not found: try /healthz, /metrics or /stats\n');
        }
      },
    );
    this.server = server;
    server.keepAliveTimeout = 1000;
    server.maxConnections = this.limits.maxConnections;
    server.setTimeout(this.limits.idleTimeoutMs);
    server.on('drop', (peer?: { remoteAddress?: string; remotePort?: number }) => {
      this.sources.refused();
      this.warn(
        'refused',
        {
          peer: `${peer?.remoteAddress}:${peer?.remotePort}`,
          maxConnections: this.limits.maxConnections,
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
            headersTimeoutMs: this.limits.headersTimeoutMs,
            requestTimeoutMs: this.limits.requestTimeoutMs,
          },
          'monitor connection closed: its request did not come in time',
        );
      }
      // As Node answers when no one listens for clientError: one status line, then close.
      if (socket.writable && socket.bytesWritten === 0) {
        socket.write(
          timedOut
            ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'
            : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n',
        );
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
    this.log.warn({ ...fields, ...(notLogged > 0 ? { notLogged } : {}) }, msg);
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
