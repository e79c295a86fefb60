import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type MonitorRoute } from '../monitor';
import type { PeerRegistry } from '../peer-registry';
import type { BrokerStats } from '../stats';
import type { BrokerStatsSnapshot } from '../stats-snapshot';
import type { WorkQueue } from '../work-queue';
import { eventText, EventStream } from './events';
import type { DashboardPage, PageFile } from './page-files';
import { FlowSampler } from './sampler';
import { DASHBOARD_PATHS, type BrokerInfo, type DashboardTick } from './shapes';

/** What the dashboard reads from the broker. */
export interface DashboardSources {
  /** `BrokerInfo` without its `events` figures (the dashboard adds them). */
  info(): Omit<BrokerInfo, 'events'>;
  stats(): BrokerStatsSnapshot;
  health(): DashboardTick['health'];
  counters: BrokerStats;
  queue: WorkQueue;
  peers: PeerRegistry;
  /** The built page; without it `/` says so and the JSON paths still answer. */
  page: DashboardPage | undefined;
  /** Pages open at once (default DEFAULT_MAX_EVENT_CLIENTS). */
  maxEventClients?: number;
}

/**
 * The page's content security policy: nothing but this origin, so the page can make no
 * request elsewhere even by mistake.
 */
const PAGE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function sendFile(req: IncomingMessage, res: ServerResponse, file: PageFile, csp: boolean): void {
  const headers: Record<string, string> = {
    'content-type': file.contentType,
    'cache-control': 'no-cache',
    etag: file.etag,
    'x-content-type-options': 'nosniff',
  };
  if (csp) headers['content-security-policy'] = PAGE_POLICY;
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers).end();
    return;
  }
  res.writeHead(200, headers).end(file.body);
}

/**
 * The live dashboard on the monitor: the page, its JSON (`/broker`, `/peers`, `/history`) and
 * the event stream (`/events`). `tick()`, once a second, takes a sample and sends it to open
 * pages; with no page open a tick only reads counters.
 */
export class Dashboard {
  private readonly sampler: FlowSampler;
  private readonly events: EventStream;
  private peersSent = -1;

  constructor(private readonly sources: DashboardSources) {
    this.sampler = new FlowSampler(sources.counters, sources.queue);
    this.events = new EventStream(sources.maxEventClients);
  }

  /** `BrokerInfo`, as `GET /broker` serves it. */
  info(): BrokerInfo {
    const e = this.events;
    return {
      ...this.sources.info(),
      events: { clients: e.size, maxClients: e.maxClients, refused: e.refused, cut: e.cut },
    };
  }

  /** Takes this second's sample and sends it, with the peers when they changed, to open pages. */
  tick(now = Date.now()): void {
    const sample = this.sampler.sample(now);
    if (this.events.size === 0) return;
    let text = eventText('tick', {
      sample,
      stats: this.sources.stats(),
      health: this.sources.health(),
    });
    const peers = this.sources.peers;
    if (peers.version !== this.peersSent) {
      this.peersSent = peers.version;
      text += eventText('peers', peers.list());
    }
    this.events.broadcast(text);
  }

  /** Ends the open event streams. */
  close(): void {
    this.events.close();
  }

  /** The monitor routes it serves. */
  routes(): MonitorRoute[] {
    const page = this.sources.page;
    return [
      {
        path: DASHBOARD_PATHS.page,
        handle: (req, res) => {
          if (page === undefined) {
            res.writeHead(404, { 'content-type': 'text/plain' });
            res.end(
              'the dashboard page is not part of this build (the broker app builds it); ' +
                'its data: /broker, /peers, /history, /stats, /events\n',
            );
            return;
          }
          sendFile(req, res, page.index, true);
        },
      },
      {
        path: '/assets/*',
        handle: (req, res, url) => {
          const file = page?.assets.get(url.pathname.slice('/assets/'.length));
          if (file === undefined) res.writeHead(404, { 'content-type': 'text/plain' }).end();
          else sendFile(req, res, file, false);
        },
      },
      { path: DASHBOARD_PATHS.broker, handle: (_req, res) => sendJson(res, 200, this.info()) },
      {
        path: DASHBOARD_PATHS.peers,
        handle: (_req, res) => sendJson(res, 200, this.sources.peers.list()),
      },
      {
        path: DASHBOARD_PATHS.history,
        handle: (_req, res) => sendJson(res, 200, this.sampler.history()),
      },
      {
        path: DASHBOARD_PATHS.events,
        handle: (req, res) =>
          this.events.attach(req, res, () =>
            eventText('hello', {
              broker: this.info(),
              history: this.sampler.history(),
              peers: this.sources.peers.list(),
              stats: this.sources.stats(),
            }),
          ),
      },
    ];
  }
}
