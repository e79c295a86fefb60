import type {
  BrokerInfo,
  BrokerStatsSnapshot,
  DashboardTick,
  FlowSample,
  PeerListing,
  RolePeers,
} from '@zmq-mq/broker/dashboard';
import { byId, fill, h, setText, table } from './dom';
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatTime,
  percentOf,
} from './format';

/** The flow's four figures: a card each, its rate and its total since start. */
const FLOWS = [
  { key: 'received', label: 'In, from producers', bytes: 'receivedBytes' },
  { key: 'published', label: 'Out to subscribers', bytes: 'publishedBytes' },
  { key: 'pushed', label: 'Out to workers', bytes: 'pushedBytes' },
] as const;

function card(metric: string, label: string): HTMLElement {
  return h(
    'div',
    { class: 'card', 'data-metric': metric },
    h('span', { class: 'label' }, label),
    h('span', { class: 'rate', 'data-value': 0 }, '–'),
    h('span', { class: 'total', 'data-value': 0 }, '–'),
    h('span', { class: 'detail' }, ''),
  );
}

/** Builds the flow cards once. */
export function flowCards(): void {
  fill(
    byId('flow-cards'),
    ...FLOWS.map((f) => card(f.key, f.label)),
    card('dropped', 'Dropped (not pushed)'),
  );
}

function setCard(metric: string, rate: number, total: number, detail: string): void {
  const el = document.querySelector(`#flow-cards [data-metric="${metric}"]`);
  const part = (name: string): HTMLElement => el?.querySelector(`.${name}`) as HTMLElement;
  if (el === null) return;
  setText(part('rate'), formatRate(rate));
  part('rate').dataset['value'] = String(rate);
  setText(part('total'), `${formatCount(total)} since start`);
  part('total').dataset['value'] = String(total);
  setText(part('detail'), detail);
}

/** The flow cards: this second's rates, the totals since start. */
export function renderFlow(sample: FlowSample | undefined, stats: BrokerStatsSnapshot): void {
  for (const f of FLOWS) {
    const rate = sample?.[f.key] ?? 0;
    const bytes = sample?.[f.bytes] ?? 0;
    setCard(f.key, rate, stats[f.key].messages, `${formatBytes(bytes)}/s`);
  }
  const dropRate = sample ? Object.values(sample.dropped).reduce((a, b) => a + b, 0) : 0;
  const reasons = Object.entries(stats.dropped)
    .filter(([reason, n]) => reason !== 'total' && n > 0)
    .map(([reason, n]) => `${reason} ${formatCount(n)}`);
  setCard('dropped', dropRate, stats.dropped.total, reasons.join(', ') || 'none');
  byId('native-note').hidden = stats.mode !== 'native';
}

function gauge(id: string, value: number, bound: number, text: string): void {
  const el = byId(id);
  const percent = percentOf(value, bound);
  const fillEl = el.querySelector('.fill') as HTMLElement;
  fillEl.style.width = `${percent}%`;
  el.dataset['level'] = percent >= 90 ? 'high' : percent >= 50 ? 'mid' : 'low';
  el.setAttribute('aria-valuenow', String(Math.round(percent)));
  setText(el.querySelector('.text') as HTMLElement, `${text} (${percent.toFixed(1)} %)`);
}

/** The work queue: depth and bytes against their bounds, the oldest message's age. */
export function renderWorkQueue(stats: BrokerStatsSnapshot): void {
  const q = stats.queue;
  const native = stats.mode === 'native';
  byId('queue-native').hidden = !native;
  byId('queue-gauges').hidden = native;
  if (native) return;
  gauge(
    'gauge-depth',
    q.depth,
    q.maxMessages,
    `${formatCount(q.depth)} of ${formatCount(q.maxMessages)} messages`,
  );
  gauge(
    'gauge-bytes',
    q.bytes,
    q.maxBytes,
    `${formatBytes(q.bytes)} of ${formatBytes(q.maxBytes)}`,
  );
  const oldest = byId('queue-oldest');
  setText(oldest, q.depth > 0 ? formatDuration(q.oldestAgeMs) : 'nothing waiting');
  oldest.dataset['value'] = String(q.oldestAgeMs);
  setText(byId('queue-policy'), q.policy);
  setText(byId('queue-peak'), `${formatCount(q.peakDepth)} messages, ${formatBytes(q.peakBytes)}`);
  setText(byId('queue-total'), formatCount(q.queuedTotal));
}

const ROLES = [
  { role: 'producers', label: 'Producers', port: 'ingress' },
  { role: 'subscribers', label: 'Subscribers', port: 'publish' },
  { role: 'workers', label: 'Workers', port: 'push' },
  { role: 'clients', label: 'Reliable clients', port: 'reliable' },
] as const;

/** The broker's endpoints, from its last `BrokerInfo`: a role's port before any peer came. */
let endpoints: BrokerInfo['endpoints'];

function rolePeers(
  { role, label, port }: (typeof ROLES)[number],
  peers: RolePeers,
  now: number,
): HTMLElement {
  const endpoint = peers.endpoint ?? endpoints?.[port];
  const rows = peers.peers.map((p) => [
    p.address ?? '(address not known)',
    h('time', { datetime: new Date(p.since).toISOString() }, formatTime(p.since)),
    h('span', { class: 'ago', 'data-since': p.since }, formatDuration(now - p.since)),
  ]);
  return h(
    'div',
    { class: 'role', 'data-role': role, 'data-connected': peers.connected },
    h(
      'h3',
      {},
      `${label} `,
      h('span', { class: 'count' }, formatCount(peers.connected)),
      h('span', { class: 'endpoint' }, ` on ${port}${endpoint ? ` ${endpoint}` : ''}`),
    ),
    rows.length > 0 ? table(['address', 'since', 'for'], rows) : h('p', { class: 'empty' }, 'none'),
    peers.unlisted > 0
      ? h('p', { class: 'note' }, `and ${formatCount(peers.unlisted)} more, counted, not listed`)
      : null,
  );
}

/** Who is connected, per port. */
export function renderPeers(listing: PeerListing): void {
  const now = Date.now();
  fill(
    byId('peers-list'),
    ...ROLES.filter(
      // The reliable port's clients, when the broker has one (not with --reliable off).
      (r) =>
        r.port !== 'reliable' ||
        endpoints?.reliable !== undefined ||
        listing.roles[r.role].connected > 0,
    ).map((r) => rolePeers(r, listing.roles[r.role], now)),
    listing.addresses === 'none'
      ? h('p', { class: 'note' }, "Peers' own addresses are not known on this system.")
      : null,
  );
}

/** Moves the "for" column on (called every tick, without rebuilding the tables). */
export function agePeers(now: number): void {
  for (const el of document.querySelectorAll<HTMLElement>('#peers-list .ago')) {
    setText(el, formatDuration(now - Number(el.dataset['since'])));
  }
}

function definitions(entries: Array<[string, string]>): HTMLElement {
  return h('dl', {}, ...entries.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

/** What does not change while a broker runs: version, endpoints, options. */
export function renderBroker(info: BrokerInfo): void {
  endpoints = info.endpoints;
  setText(byId('summary'), `${info.version} · ${info.mode} mode`);
  fill(
    byId('broker-facts'),
    definitions([
      ['version', info.version],
      ['mode', info.mode],
      ['started', new Date(info.startedAt).toLocaleString()],
      ['process', `pid ${info.pid}, Node.js ${info.node}, libzmq ${info.libzmq}`],
    ]),
  );
  const bound = Object.entries(info.endpoints ?? {});
  fill(
    byId('broker-endpoints'),
    table(
      ['socket', 'endpoint'],
      bound.map(([k, v]) => [k, String(v)]),
    ),
  );
  fill(
    byId('broker-options'),
    table(
      ['option', 'value'],
      info.options.map((o) => [h('code', {}, o.flag), o.value === null ? 'off' : String(o.value)]),
    ),
  );
}

/** What moves while a broker runs: uptime, CPU, memory, health. */
export function renderBrokerLive(tick: DashboardTick): void {
  const p = tick.sample.process;
  setText(byId('uptime'), formatDuration(tick.stats.uptimeMs));
  setText(byId('cpu'), `${p.cpuPercent.toFixed(1)} %`);
  setText(byId('rss'), formatBytes(p.rssBytes));
  setText(byId('heap'), formatBytes(p.heapUsedBytes));
  const health = byId('health');
  setText(health, tick.health);
  health.dataset['health'] = tick.health;
}
