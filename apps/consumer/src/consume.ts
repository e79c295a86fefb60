import { Subscriber, Worker } from '@zmq-mq/client';
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
 * or `stop`. Undecodable messages are reported on stderr and skipped. Resolves with exit code 0.
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
        })
      : new Worker({ connect: options.connect, codec, pushFormat: options.pushFormat, onError });
  receiver.on('handshake', ({ endpoint }) => io.stderr.write(`${NAME}: connected ${endpoint}\n`));
  receiver.on('disconnect', ({ endpoint }) =>
    io.stderr.write(`${NAME}: lost ${endpoint}, reconnecting\n`),
  );
  receiver.ready(Number.POSITIVE_INFINITY).then(
    () => io.stderr.write(`${NAME}: ready (${options.mode} ${options.connect.join(', ')})\n`),
    () => undefined, // closed first
  );
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
