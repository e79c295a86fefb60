import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { BindError } from './errors';
import type { MonitorAddress } from './options';

/** One path the monitor serves. */
export interface MonitorRoute {
  /** The path (`/stats`); one ending in `/*` serves every path below it (`/assets/*`). */
  path: string;
  /** Methods it answers; default GET and HEAD (HEAD answers as GET, without the body). */
  methods?: readonly string[];
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
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

/** The monitor HTTP endpoint: a table of routes (`coreRoutes`, and those a feature adds). */
export class Monitor {
  private server: Server | undefined;
  private readonly exact = new Map<string, MonitorRoute>();
  private readonly prefixes: MonitorRoute[] = [];

  constructor(
    private readonly address: MonitorAddress,
    routes: readonly MonitorRoute[],
  ) {
    for (const route of routes) {
      if (route.path.endsWith('/*')) this.prefixes.push(route);
      else this.exact.set(route.path, route);
    }
    // The longest prefix wins.
    this.prefixes.sort((a, b) => b.path.length - a.path.length);
  }

  private route(path: string): MonitorRoute | undefined {
    return this.exact.get(path) ?? this.prefixes.find((r) => path.startsWith(r.path.slice(0, -1)));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://monitor');
    } catch {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('bad request\n');
      return;
    }
    const route = this.route(url.pathname);
    if (route === undefined) {
      const paths = [...this.exact.keys()].join(', ');
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: try ${paths}\n`);
      return;
    }
    const methods = route.methods ?? DEFAULT_METHODS;
    if (!methods.includes(req.method ?? 'GET')) {
      res.writeHead(405, { allow: methods.join(', ') }).end();
      return;
    }
    route.handle(req, res, url);
  }

  /** Listens; resolves with the URL (the real port when 0 was asked). */
  async start(): Promise<string> {
    const server = createServer((req, res) => this.handle(req, res));
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
