/**
 * The monitor's HTTP API of the durable queues (JSON; the paths and shapes are
 * @zmq-mq/protocol's queue-api.ts). Who may call what is declared on each route and enforced
 * by the monitor (RouteAccess): the figures are as open as `/stats`; the dead letters show
 * messages and need the token; replay and purge need it by their method (POST).
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  decodeMeta,
  DEFAULT_DEAD_LETTER_PAGE,
  MAX_DEAD_LETTER_PAGE,
  SEPARATOR,
  type DeadLettersResponse,
  type DeadLetterView,
  type PurgeResponse,
  type QueueApiError,
  type QueuesResponse,
  type QueueSummary,
  type ReplayResponse,
} from '@zmq-mq/protocol';
import type { DeadLetter } from '@zmq-mq/queue-store';
import { readBody } from '../http-body';
import { MONITOR_LIMITS, type MonitorRoute } from '../monitor';

/** What the API reads and changes. */
export interface QueueApiSource {
  /** Every queue's snapshot (`GET /queues`). */
  queues(): QueueSummary[];
  /** One queue's snapshot, or undefined when it is not declared. */
  queue(name: string): QueueSummary | undefined;
  deadLetters(name: string, after: number, limit: number): Promise<DeadLetter[]>;
  replay(name: string, seqs: number[] | undefined): Promise<number>;
  purge(name: string): Promise<number>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** For 405: the methods the path takes. */
    readonly allowed?: readonly string[],
  ) {
    super(message);
  }
}

/** A dead letter as the API shows it: the payload as text when it is UTF-8, else base64. */
export function deadLetterView(d: DeadLetter): DeadLetterView {
  const frame0 = d.message.frames[0] ?? Buffer.alloc(0);
  const at = frame0.indexOf(SEPARATOR);
  const payload = at < 0 ? frame0 : frame0.subarray(at + 1);
  const text = isUtf8(payload);
  const out: DeadLetterView = {
    seq: d.seq,
    id: d.message.id,
    topic: d.message.topic,
    reason: d.reason,
    attempts: d.attempts,
    deadAt: d.deadAt,
    publishedAt: d.message.publishedAt,
    payload: payload.toString(text ? 'utf8' : 'base64'),
    encoding: text ? 'utf8' : 'base64',
    payloadBytes: payload.length,
  };
  const metaFrame = d.message.frames[1];
  if (metaFrame !== undefined) {
    try {
      const { bare: _bare, headers, ...meta } = decodeMeta(metaFrame);
      out.meta = { ...meta, ...(headers === undefined ? {} : { headers: { ...headers } }) };
    } catch {
      // not a metadata frame: left out
    }
  }
  return out;
}

/** The monitor routes of the API: `/queues` and every path below it. */
export function queueRoutes(source: QueueApiSource): MonitorRoute[] {
  const handle: MonitorRoute['handle'] = (req, res, url) => {
    const parts = url.pathname.split('/').filter((p) => p !== '');
    answer(
      res,
      (async () => {
        if (parts.length > 3) throw new HttpError(404, `not found: ${url.pathname}`);
        let name: string | undefined;
        try {
          name = parts[1] === undefined ? undefined : decodeURIComponent(parts[1]);
        } catch {
          throw new HttpError(400, 'the queue name is not valid percent-encoding');
        }
        return route(req, url, source, name, parts[2]);
      })(),
    );
  };
  return [
    { path: '/queues', handle },
    // A queue's figures; anything deeper that no route below names is a 404 of the handler's.
    { path: '/queues/*', handle },
    // Dead letters carry messages: the token, even to read them.
    { path: '/queues/*/dead', access: 'token', handle },
    { path: '/queues/*/replay', methods: ['POST'], handle },
    { path: '/queues/*/purge', methods: ['POST'], handle },
  ];
}

async function route(
  req: IncomingMessage,
  url: URL,
  source: QueueApiSource,
  name: string | undefined,
  action: string | undefined,
): Promise<unknown> {
  const method = req.method ?? 'GET';
  if (name === undefined) {
    allow(method, ['GET', 'HEAD']);
    return { queues: source.queues() } satisfies QueuesResponse;
  }
  const snapshot = source.queue(name);
  if (snapshot === undefined) throw new HttpError(404, `no queue named ${name}`);
  if (action === undefined) {
    allow(method, ['GET', 'HEAD']);
    return snapshot;
  }
  if (action === 'dead') {
    allow(method, ['GET', 'HEAD']);
    const limit = queryInt(url, 'limit', DEFAULT_DEAD_LETTER_PAGE, 1, MAX_DEAD_LETTER_PAGE);
    const after = queryInt(url, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
    const dead = await source.deadLetters(name, after, limit);
    return {
      queue: name,
      deadLetters: dead.map(deadLetterView),
      next: dead.length === limit ? (dead[dead.length - 1] as DeadLetter).seq : null,
    } satisfies DeadLettersResponse;
  }
  if (action === 'replay' || action === 'purge') return mutate(req, source, name, action);
  throw new HttpError(404, `unknown action ${action}: use dead, replay or purge`);
}

/** Replay and purge: what changes a queue. */
async function mutate(
  req: IncomingMessage,
  source: QueueApiSource,
  name: string,
  action: 'replay' | 'purge',
): Promise<unknown> {
  allow(req.method ?? 'GET', ['POST']);
  if (action === 'purge') {
    return { queue: name, purged: await source.purge(name) } satisfies PurgeResponse;
  }
  const body = await readBody(req, MONITOR_LIMITS.maxBodyBytes);
  let seqs: number[] | undefined;
  if (body.trim() !== '') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new HttpError(400, 'the body must be JSON: {"seqs": [1, 2]} or nothing');
    }
    const list = (parsed as { seqs?: unknown } | null)?.seqs;
    if (
      list !== undefined &&
      !(Array.isArray(list) && list.every((s) => Number.isSafeInteger(s) && s >= 0))
    ) {
      throw new HttpError(400, 'seqs must be a list of whole numbers');
    }
    seqs = list as number[] | undefined;
  }
  return { queue: name, replayed: await source.replay(name, seqs) } satisfies ReplayResponse;
}

function allow(method: string, methods: readonly string[]): void {
  if (!methods.includes(method)) {
    throw new HttpError(405, `${method} not allowed here: use ${methods.join(' or ')}`, methods);
  }
}

function queryInt(url: URL, key: string, fallback: number, min: number, max: number): number {
  const raw = url.searchParams.get(key);
  if (raw === null || raw === '') return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new HttpError(400, `${key} must be a whole number ${min}..${max} (got ${raw})`);
  }
  return n;
}

function answer(res: ServerResponse, result: Promise<unknown>): void {
  result.then(
    (body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 2));
    },
    (err: unknown) => {
      const status = (err as { status?: number }).status ?? 500;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (err instanceof HttpError && err.allowed) headers['allow'] = err.allowed.join(', ');
      if (res.headersSent) return;
      res.writeHead(status, headers);
      res.end(JSON.stringify({ error: (err as Error).message } satisfies QueueApiError));
    },
  );
}
