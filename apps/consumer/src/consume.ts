import {
  firstHandshakeErrors,
  NotReadyError,
  QueueWorker,
  Subscriber,
  Worker,
  type ConnectionEvents,
} from '@zmq-mq/client';
import { codecByName } from '@zmq-mq/protocol';
import type { EventEmitter } from 'node:events';
import type { ConsumeOptions } from './cli';
import { formatDelivery, formatEnvelope } from './format';

export interface ConsumeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

const NAME = 'zmq-mq-consume';

/**
 * Prints every message (one JSON line, or frame 0 as it came with --raw) until --count messages
 * or `stop`. Undecodable messages are reported on stderr and skipped. On stderr too, once each:
 * an endpoint that refused our socket type (likely the wrong port, naming the right one), and
 * no link after --ready-timeout (it keeps waiting). Resolves with exit code 0.
 */
export async function consume(
  options: ConsumeOptions,
  io: ConsumeIo,
  stop: AbortSignal,
): Promise<number> {
  if (options.mode === 'queue') return consumeQueue(options, io, stop);
  const codec = codecByName(options.codec);
  const onError = undecodable(io);
  const receiver =
    options.mode === 'sub'
      ? new Subscriber({
          connect: options.connect,
          prefixes: options.prefixes,
          exact: options.exact,
          codec,
          onError,
          ...options.curve,
        })
      : new Worker({
          connect: options.connect,
          codec,
          pushFormat: options.pushFormat,
          onError,
          ...options.curve,
        });
  reportLinks(receiver, options, io);
  const close = (): void => void receiver.close();
  stop.addEventListener('abort', close, { once: true });
  let printed = 0;
  try {
    const source = options.raw ? receiver.frames() : receiver;
    for await (const item of source) {
      const line = Array.isArray(item) ? (item[0] as Buffer) : formatEnvelope(item);
      io.stdout.write(line);
      io.stdout.write('\n');
      if (options.count !== undefined && ++printed >= options.count) break;
    }
  } finally {
    stop.removeEventListener('abort', close);
    await receiver.close();
  }
  return 0;
}

/**
 * `consume queue NAME`: each delivery printed (a JSON line with its queue and attempt, or
 * frame 0 with --raw), then acknowledged; undecodable ones are TERMed by the SDK and reported.
 * With --count, exits once that many were acknowledged (the acknowledgements sent first).
 */
async function consumeQueue(
  options: ConsumeOptions,
  io: ConsumeIo,
  stop: AbortSignal,
): Promise<number> {
  const worker = new QueueWorker({
    connect: options.connect,
    queue: options.queue,
    codec: codecByName(options.codec),
    // No more held than will be printed: the rest would go back at close, their attempt spent.
    credit: Math.min(options.credit, options.count ?? options.credit),
    ...(options.ackWaitMs === undefined ? {} : { ackWaitMs: options.ackWaitMs }),
    ...(options.bind.length === 0 ? {} : { declare: { prefixes: options.bind } }),
    onError: undecodable(io),
    ...options.curve,
  });
  reportLinks(worker, options, io);
  worker.on('broker-error', (err) => io.stderr.write(`${NAME}: the broker says: ${err.message}\n`));
  const close = (): void => void worker.close();
  stop.addEventListener('abort', close, { once: true });
  let printed = 0;
  try {
    for await (const d of worker) {
      io.stdout.write(options.raw ? (d.frames[0] as Buffer) : formatDelivery(d));
      io.stdout.write('\n');
      d.ack();
      if (options.count !== undefined && ++printed >= options.count) break;
    }
  } catch (err) {
    if (stop.aborted) return 0;
    io.stderr.write(`${NAME}: ${(err as Error).message}\n`);
    return 1;
  } finally {
    stop.removeEventListener('abort', close);
    await worker.close();
  }
  return 0;
}

function undecodable(io: ConsumeIo): (err: Error) => void {
  return (err) => {
    const code = (err as { code?: string }).code ?? err.name;
    io.stderr.write(`${NAME}: undecodable message skipped: ${code}: ${err.message}\n`);
  };
}

/**
 * On stderr, once each: connected, lost (only a link that was up: a connection dropped during
 * its handshake never was), a failed handshake (a wrong port, a refused key, CURVE on one side
 * only: naming the fix), ready, and no link after --ready-timeout (it keeps waiting).
 */
function reportLinks(
  receiver: Subscriber | Worker | QueueWorker,
  options: ConsumeOptions,
  io: ConsumeIo,
): void {
  // Every receiver emits the connection events alike.
  const events = receiver as unknown as EventEmitter<ConnectionEvents>;
  const linked = new Map<string, number>();
  events.on('handshake', ({ endpoint }) => {
    linked.set(endpoint, (linked.get(endpoint) ?? 0) + 1);
    io.stderr.write(`${NAME}: connected ${endpoint}\n`);
  });
  events.on('disconnect', ({ endpoint }) => {
    const up = linked.get(endpoint) ?? 0;
    if (up === 0) return;
    linked.set(endpoint, up - 1);
    io.stderr.write(`${NAME}: lost ${endpoint}, reconnecting\n`);
  });
  // A wrong port, a refused key, CURVE on one side only: said once each, naming the fix.
  const firstTime = firstHandshakeErrors();
  events.on('handshake-error', ({ error }) => {
    const line = firstTime(error);
    if (line !== undefined) io.stderr.write(`${NAME}: ${line}\n`);
  });
  const ready = (): void => {
    io.stderr.write(`${NAME}: ready (${options.mode} ${options.connect.join(', ')})\n`);
  };
  receiver.ready(options.readyTimeoutMs).then(ready, (err: unknown) => {
    if (!(err instanceof NotReadyError)) return; // closed first
    const notice = noLinkNotice(err);
    if (notice !== undefined) io.stderr.write(`${NAME}: ${notice}\n`);
    receiver.ready(Number.POSITIVE_INFINITY).then(ready, () => undefined);
  });
}

/**
 * What the consumer says once its ready timeout has passed without a link on every endpoint,
 * if anything: nothing when each endpoint still missing refused our socket type or failed a
 * handshake that ZeroMQ does not retry (that was said when it happened, naming the fix).
 */
export function noLinkNotice(err: NotReadyError): string | undefined {
  const said = (e: string): boolean =>
    err.refused.includes(e) || err.handshakes.some((h) => h.endpoint === e && !h.retried);
  if (err.endpoints.every(said)) return undefined;
  return `${err.message} (still waiting)`;
}
