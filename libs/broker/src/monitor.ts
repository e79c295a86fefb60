import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { BindError } from './errors';
import type { MonitorAddress } from './options';
import type { RouteHandler } from './reliable/queue-api';

export interface MonitorSources {
  registry: Registry;
  stats(): unknown;
  /** `ok` answers 200; anything else 503 with that word. */
  health(): 'ok' | 'stopping' | 'failed';
  /** More paths (the durable queues' `/queues` API), tried first; it may take other methods. */
  routes?: RouteHandler;
}

/** The monitor HTTP endpoint: `/healthz`, `/metrics` (Prometheus text), `/stats` (JSON). */
export class Monitor {
  private server: Server | undefined;

  constructor(
    private readonly address: MonitorAddress,
    private readonly sources: MonitorSources,
  ) {}

  /** Listens; resolves with the URL (the real port when 0 was asked). */
  async start(): Promise<string> {
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (this.sources.routes !== undefined) {
        let url: URL | undefined;
        try {
          url = new URL(req.url ?? '/', 'http://monitor');
        } catch {
          url = undefined; // not a path: the 404 below
        }
        if (url !== undefined && this.sources.routes(req, res, url)) return;
      }
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
    });
    this.server = server;
    server.keepAliveTimeout = 1000;
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
