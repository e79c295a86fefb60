import { request } from 'node:http';
import type {
  DeadLettersResponse,
  PurgeResponse,
  QueueApiError,
  QueuesResponse,
  QueueSummary,
  ReplayResponse,
} from '@zmq-mq/protocol';
import { PAGE_SIZE, type QueuesOptions } from './cli';

export interface QueuesIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const NAME = 'zmq-mq-queues';
/** A monitor that does not answer within this long is reported (ms). */
const REQUEST_TIMEOUT_MS = 10_000;

/** The monitor answered with an error status, or could not be reached. */
class MonitorError extends Error {}

/**
 * Runs one command against the broker's monitor and resolves with the exit code: 0 done, 1
 * the monitor could not be reached or refused (no such queue, no durable queues), 130/143
 * when `stop` ended it first.
 */
export async function runQueues(
  options: QueuesOptions,
  io: QueuesIo,
  stop: AbortSignal,
): Promise<number> {
  const base = options.monitor;
  const call = (method: string, path: string, body?: string): Promise<unknown> =>
    callMonitor(base, options.token, { method, path, body }, stop);
  try {
    const c = options.command;
    const path = c.kind === 'list' ? '/queues' : `/queues/${encodeURIComponent(c.queue)}`;
    if (c.kind === 'list') {
      const answer = (await call('GET', path)) as QueuesResponse;
      io.stdout.write(c.json ? `${JSON.stringify(answer, null, 2)}\n` : table(answer.queues));
    } else if (c.kind === 'dead') {
      let after = c.after;
      let left = c.limit ?? Number.POSITIVE_INFINITY;
      while (left > 0) {
        const limit = Math.min(left, PAGE_SIZE);
        const page = (await call(
          'GET',
          `${path}/dead?limit=${limit}&after=${after}`,
        )) as DeadLettersResponse;
        for (const d of page.deadLetters) io.stdout.write(`${JSON.stringify(d)}\n`);
        left -= page.deadLetters.length;
        if (page.next === null) break;
        after = page.next;
      }
    } else if (c.kind === 'replay') {
      const body = c.seqs === undefined ? '' : JSON.stringify({ seqs: c.seqs });
      const r = (await call('POST', `${path}/replay`, body)) as ReplayResponse;
      io.stdout.write(
        `replayed ${r.replayed} dead letter${r.replayed === 1 ? '' : 's'} to ${c.queue}\n`,
      );
    } else {
      const r = (await call('POST', `${path}/purge`)) as PurgeResponse;
      io.stdout.write(`purged ${r.purged} dead letter${r.purged === 1 ? '' : 's'} of ${c.queue}\n`);
    }
    return 0;
  } catch (err) {
    if (stop.aborted) return 130;
    io.stderr.write(`${NAME}: ${(err as Error).message}\n`);
    return 1;
  }
}

/** What the monitor says when it refuses for want of the token, and what to do about it. */
function refusal(status: number, text: string, token: string | undefined): string {
  const said = text.trim();
  if (status === 403) {
    return `${said} (start the broker with --monitor-token-file FILE, then give this program --token-file FILE)`;
  }
  return token === undefined
    ? `${said} (give --token-file FILE: the file the broker's --monitor-token-file names)`
    : `${said} (the token of --token-file is not the broker's)`;
}

function callMonitor(
  base: string,
  token: string | undefined,
  { method, path, body }: { method: string; path: string; body: string | undefined },
  stop: AbortSignal,
): Promise<unknown> {
  const headers: Record<string, string> =
    token === undefined ? {} : { authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method, headers, signal: stop, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status === 401 || status === 403) {
            reject(new MonitorError(refusal(status, text, token)));
            return;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            reject(
              new MonitorError(
                `${base}${path} answered ${res.statusCode} with no JSON: is ${base} a zmq-mq monitor?`,
              ),
            );
            return;
          }
          if (res.statusCode === 200) resolve(parsed);
          else {
            const reason = (parsed as Partial<QueueApiError> | null)?.error ?? text;
            const hint =
              res.statusCode === 404 && path === '/queues'
                ? ' (the broker runs without durable queues: --reliable off)'
                : '';
            reject(new MonitorError(`${String(reason)}${hint}`));
          }
        });
      },
    );
    req.on('timeout', () =>
      req.destroy(new MonitorError(`${base} did not answer within ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err instanceof MonitorError) reject(err);
      else {
        reject(
          new MonitorError(
            `cannot reach the broker's monitor at ${base}: ${err.code ?? err.message} (is the broker running, with --monitor there?)`,
          ),
        );
      }
    });
    req.end(body);
  });
}

/** The queues as a table, one line each. */
export function table(queues: QueueSummary[]): string {
  if (queues.length === 0) return 'no durable queues\n';
  const head = [
    'queue',
    'depth',
    'unacked',
    'delayed',
    'dead',
    'consumers',
    'published',
    'acked',
    'oldest',
    'prefixes',
  ];
  const rows = queues.map((q) => [
    q.name,
    String(q.depth),
    String(q.unacked),
    String(q.delayed),
    String(q.dead),
    String(q.consumers.length),
    String(q.counters.published),
    String(q.counters.acked),
    q.oldestAgeMs === 0 ? '-' : `${(q.oldestAgeMs / 1000).toFixed(1)}s`,
    q.prefixes.map((p) => (p === '' ? '(all)' : p)).join(','),
  ]);
  const widths = head.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (r[i] as string).length)),
  );
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
  return [line(head), ...rows.map(line)].join('\n') + '\n';
}
