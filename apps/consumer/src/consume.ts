import { firstHandshakeErrors, NotReadyError, Subscriber, Worker } from '@zmq-mq/client';
import { codecByName } from '@zmq-mq/protocol';
import type { ConsumeOptions } from './cli';
import { formatEnvelope } from './format';

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
  const codec = codecByName(options.codec);
  const onError = (err: Error): void => {
    const code = (err as { code?: string }).code ?? err.name;
    io.stderr.write(`${NAME}: undecodable message skipped: ${code}: ${err.message}\n`);
  };
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
  // A link is lost only once it was up: a connection dropped during its handshake (a peer
  // that refuses our socket type, or one that is not ZeroMQ) never was.
  const linked = new Map<string, number>();
  receiver.on('handshake', ({ endpoint }) => {
    linked.set(endpoint, (linked.get(endpoint) ?? 0) + 1);
    io.stderr.write(`${NAME}: connected ${endpoint}\n`);
  });
  receiver.on('disconnect', ({ endpoint }) => {
    const up = linked.get(endpoint) ?? 0;
    if (up === 0) return;
    linked.set(endpoint, up - 1);
    io.stderr.write(`${NAME}: lost ${endpoint}, reconnecting\n`);
  });
  // A wrong port, a refused key, CURVE on one side only: said once each, naming the fix.
  const firstTime = firstHandshakeErrors();
  receiver.on('handshake-error', ({ error }) => {
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
