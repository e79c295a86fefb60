import {
  DASHBOARD_PATHS,
  queuePaths,
  type DeadLettersResponse,
  type DeadLetterView,
  type PurgeResponse,
  type QueueCountersView,
  type QueuesResponse,
  type QueueSummary,
  type ReplayResponse,
} from '@zmq-mq/broker/dashboard';
import { byId, fill, h, table } from './dom';
import {
  describeBody,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  formatTime,
  payloadBytes,
} from './format';

/** Dead letters read at once. */
const DEAD_PAGE = 50;

/**
 * A request to the monitor. On a monitor with a token the browser sends the sign-in cookie
 * itself (same origin, HttpOnly): the page never holds the token.
 */
function monitorFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(path, { ...init, cache: 'no-store', credentials: 'same-origin' });
}

/**
 * Why the monitor refused, as the page says it (inline): a sign-in that expired (401) links to
 * the sign-in form; a monitor without a token (403) says so in its own words.
 */
async function refusal(what: string, res: Response): Promise<HTMLElement> {
  if (res.status === 401) {
    return h(
      'span',
      { class: 'error' },
      `${what}: the monitor asks for its token. `,
      h('a', { href: '/login' }, 'Sign in again'),
    );
  }
  return h('span', { class: 'error' }, `${what}: ${res.status} ${(await res.text()).trim()}`);
}

const RATES = [
  ['published', 'published'],
  ['delivered', 'delivered'],
  ['acked', 'acked'],
  ['redelivered', 'redelivered'],
] as const satisfies ReadonlyArray<readonly [keyof QueueCountersView, string]>;

/**
 * The durable queues: a table of every queue and a dead-letter browser. Shown only while
 * `GET /queues` answers 200 (a broker without durable queues answers 404).
 */
export class QueuesPanel {
  private available = false;
  private readonly previous = new Map<string, { t: number; counters: QueueCountersView }>();
  private selected: string | undefined;
  private busy = false;

  private get section(): HTMLElement {
    return byId('queues');
  }

  /** Reads `/queues` again; `probe` asks even when the last answer said there are none. */
  async refresh(probe = false): Promise<void> {
    if ((!this.available && !probe) || this.busy) return;
    this.busy = true;
    try {
      const res = await monitorFetch(DASHBOARD_PATHS.queues);
      if (res.status === 401) {
        this.available = true;
        this.section.hidden = false;
        fill(byId('queues-table'), h('p', {}, await refusal('Durable queues', res)));
      } else if (res.ok) {
        this.available = true;
        this.section.hidden = false;
        this.render(((await res.json()) as QueuesResponse).queues);
      } else {
        this.available = false;
        this.section.hidden = true;
      }
    } catch {
      // The broker is away: the link says so; the table stays as it was.
    } finally {
      this.busy = false;
    }
  }

  private rates(q: QueueSummary, now: number): string[] {
    const before = this.previous.get(q.name);
    this.previous.set(q.name, { t: now, counters: q.counters });
    return RATES.map(([key]) => {
      if (before === undefined || now <= before.t) return '–';
      return formatRate(
        Math.max(0, q.counters[key] - before.counters[key]) / ((now - before.t) / 1000),
      );
    });
  }

  private render(queues: QueueSummary[]): void {
    const now = Date.now();
    const rows = queues.map((q) => {
      const dead = h(
        'button',
        { type: 'button', 'data-queue': q.name },
        `${formatCount(q.dead)} dead`,
      );
      dead.addEventListener('click', () => void this.openDead(q.name));
      return [
        h('strong', {}, q.name),
        q.prefixes.join(', ') || '(every topic)',
        formatCount(q.depth),
        formatCount(q.unacked),
        formatCount(q.delayed),
        `${formatCount(q.messages)} / ${formatCount(q.maxMessages)}`,
        `${formatBytes(q.bytes)} / ${formatBytes(q.maxBytes)}`,
        q.messages > 0 ? formatDuration(q.oldestAgeMs) : '–',
        formatCount(q.consumers.length),
        ...this.rates(q, now),
        dead,
      ];
    });
    fill(
      byId('queues-table'),
      queues.length === 0
        ? h('p', { class: 'empty' }, 'No durable queue is declared.')
        : table(
            [
              'queue',
              'prefixes',
              'ready',
              'unacked',
              'delayed',
              'messages',
              'bytes',
              'oldest',
              'consumers',
              ...RATES.map(([, label]) => `${label}/s`),
              'dead letters',
            ],
            rows,
            { id: 'queues-grid' },
          ),
    );
    if (this.selected !== undefined && !queues.some((q) => q.name === this.selected)) {
      this.selected = undefined;
      fill(byId('dead-letters'));
    }
  }

  /** Lists a queue's dead letters, with its replay and purge buttons. */
  async openDead(name: string): Promise<void> {
    this.selected = name;
    const box = byId('dead-letters');
    const paths = queuePaths(name);
    const res = await monitorFetch(`${paths.dead}?limit=${DEAD_PAGE}`);
    if (!res.ok) {
      fill(box, h('p', {}, await refusal(`Dead letters of ${name}`, res)));
      return;
    }
    const page = (await res.json()) as DeadLettersResponse;
    const replayAll = h('button', { type: 'button', class: 'action' }, 'Replay all');
    replayAll.addEventListener('click', () => void this.act(name, 'replay'));
    const purge = h('button', { type: 'button', class: 'action danger' }, 'Purge');
    purge.addEventListener('click', () => void this.act(name, 'purge'));
    const detail = h('div', { class: 'dead-detail' });
    const rows = page.deadLetters.map((d) => {
      const peek = h('button', { type: 'button', 'data-seq': d.seq }, 'peek');
      peek.addEventListener('click', () => fill(detail, this.deadLetter(name, d)));
      return [String(d.seq), d.topic, String(d.attempts), d.reason, formatTime(d.deadAt), peek];
    });
    fill(
      box,
      h('h3', {}, `Dead letters of ${name}`),
      h('div', { class: 'actions' }, replayAll, purge),
      rows.length === 0
        ? h('p', { class: 'empty' }, 'none')
        : table(['seq', 'topic', 'attempts', 'reason', 'died', ''], rows),
      page.next !== null ? h('p', { class: 'note' }, `the first ${DEAD_PAGE} shown`) : null,
      detail,
    );
  }

  private deadLetter(name: string, d: DeadLetterView): HTMLElement {
    const body = describeBody(payloadBytes(d.payload, d.encoding));
    const replay = h('button', { type: 'button', class: 'action' }, 'Replay this one');
    replay.addEventListener('click', () => void this.act(name, 'replay', [d.seq]));
    const headers = Object.entries(d.meta?.headers ?? {});
    return h(
      'article',
      { class: 'dead-letter', 'data-seq': d.seq },
      h(
        'dl',
        {},
        ...[
          ['topic', d.topic],
          ['id', d.id || '(none)'],
          ['attempts', String(d.attempts)],
          ['reason', d.reason],
          ['published', new Date(d.publishedAt).toLocaleString()],
          ['died', new Date(d.deadAt).toLocaleString()],
          ['content type', d.meta?.contentType ?? '(none)'],
          ['size', formatBytes(d.payloadBytes)],
        ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      headers.length > 0
        ? table(['header', 'value'], headers)
        : h('p', { class: 'note' }, 'no headers'),
      h('pre', { class: `body ${body.kind}`, 'data-kind': body.kind }, body.text || '(empty)'),
      replay,
    );
  }

  private async act(name: string, action: 'replay' | 'purge', seqs?: number[]): Promise<void> {
    const what =
      action === 'purge'
        ? `Delete every dead letter of ${name}? This cannot be undone.`
        : `Put ${seqs ? `dead letter ${seqs.join(', ')}` : 'every dead letter'} of ${name} back in the queue?`;
    if (!window.confirm(what)) return;
    const path = queuePaths(name)[action];
    const res = await monitorFetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(seqs ? { seqs } : {}),
    });
    const status = byId('queues-status');
    if (!res.ok) {
      fill(status, await refusal(`${action} of ${name} failed`, res));
      return;
    }
    const done = (await res.json()) as ReplayResponse | PurgeResponse;
    status.textContent =
      'replayed' in done
        ? `${formatCount(done.replayed)} replayed into ${name}`
        : `${formatCount(done.purged)} purged from ${name}`;
    await this.refresh();
    await this.openDead(name);
  }
}
