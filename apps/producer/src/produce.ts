import { createInterface } from 'node:readline';
import { firstHandshakeErrors, Producer } from '@zmq-mq/client';
import { codecByName } from '@zmq-mq/protocol';
import type { ProduceOptions } from './cli';
import { Confirmations } from './confirmations';

/** Where the program reads and writes; main.ts passes the process's streams. */
export interface ProduceIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

interface Outgoing {
  body: unknown;
  /** How the message is shown by --verbose. */
  text: string;
}

const NAME = 'zmq-mq-produce';
const PROGRESS_EVERY_MS = 1000;

/**
 * Sends what the options say, then closes the producer (every message handed to ZeroMQ) and
 * prints a summary on stderr. Resolves with the exit code: 0 when everything was sent, 1 when
 * the broker could not be reached or some messages were not delivered or not valid. With
 * `--confirm` "sent" means confirmed: stored durably by the broker, each message's answer
 * awaited (up to the SDK's window of them in flight at once).
 */
export async function produce(
  options: ProduceOptions,
  io: ProduceIo,
  stop: AbortSignal,
): Promise<number> {
  const codec = codecByName(options.codec);
  const producer = options.confirm
    ? new Producer({
        confirm: true,
        connect: options.connect,
        codec,
        metadata: options.metadata,
        ...options.curve,
      })
    : new Producer({
        connect: options.connect,
        codec,
        metadata: options.metadata,
        queuePolicy: 'wait',
        ...options.curve,
      });
  const confirmations = options.confirm
    ? new Confirmations((line) =>
        io.stderr.write(`${NAME}: ${line}
`),
      )
    : undefined;
  let linksLost = 0;
  producer.on('down', ({ endpoint }) => {
    linksLost++;
    io.stderr.write(`${NAME}: lost ${endpoint}, reconnecting\n`);
  });
  // A wrong port, a refused key, CURVE on one side only: said once each, naming the fix.
  const firstTime = firstHandshakeErrors();
  producer.on('handshake-error', ({ error }) => {
    const line = firstTime(error);
    if (line !== undefined) io.stderr.write(`${NAME}: ${line}\n`);
  });
  try {
    await abortable(producer.ready(options.readyTimeoutMs), stop);
  } catch (err) {
    await producer.close();
    if (stop.aborted) return 0;
    io.stderr.write(`${NAME}: ${(err as Error).message}\n`);
    return 1;
  }
  const started = Date.now();
  let sent = 0;
  let invalid = 0;
  const terminal = terminalOutput({
    mode: options.mode,
    verbose: options.verbose,
    stdinIsTTY: io.stdin.isTTY === true,
    stderrIsTTY: io.stderr.isTTY === true,
  });
  if (terminal.stdinPrompt) {
    io.stderr.write(`${NAME}: reading messages from standard input, one per line; Ctrl-D ends\n`);
  }
  const progress = terminal.progress ? startProgress(io, () => sent, started) : NO_PROGRESS;
  try {
    const source =
      options.mode === 'stdin'
        ? stdinMessages(options, io, stop, () => invalid++)
        : listMessages(options);
    const limit = options.count ?? (options.mode === 'args' ? options.messages.length : undefined);
    for await (const msg of limit === 0 ? [] : source) {
      if (stop.aborted) break;
      if (confirmations !== undefined) {
        // Confirmed: the answer is followed, not awaited, so that many are in flight at once.
        const room = confirmations.room();
        if (room !== undefined && (await untilStopped(room, stop)) === STOPPED) break;
        confirmations.add(producer.send(options.topic, msg.body));
      } else if ((await untilStopped(producer.send(options.topic, msg.body), stop)) === STOPPED) {
        // With queue policy 'wait', a send waits while the local queue is full (the broker
        // gone): a signal must end that wait, or the program would stop only when it came back.
        break;
      }
      sent++;
      if (options.verbose) io.stdout.write(`sending ${options.topic} ${msg.text}\n`);
      if (limit !== undefined && sent >= limit) break;
      if (options.intervalMs > 0)
        await sleep(started + sent * options.intervalMs - Date.now(), stop);
    }
  } finally {
    progress.stop();
    if (confirmations !== undefined && !stop.aborted) {
      await untilStopped(confirmations.settled(), stop);
    }
    await producer.close(); // what still waits for an answer is refused now (ClosedError)
    await confirmations?.settled();
  }
  const stats = producer.stats();
  const elapsedMs = Date.now() - started;
  // Under a second: milliseconds, and a rate only when there is time enough to mean one.
  const took =
    elapsedMs >= 1000
      ? `${(elapsedMs / 1000).toFixed(2)} s (${Math.round(sent / (elapsedMs / 1000))} msg/s)`
      : elapsedMs >= 100
        ? `${elapsedMs} ms (${Math.round(sent / (elapsedMs / 1000))} msg/s)`
        : `${elapsedMs} ms`;
  const notes = [
    confirmations !== undefined ? `${confirmations.confirmed} confirmed` : '',
    confirmations?.summary() ?? '',
    confirmations === undefined && stats.droppedOnClose > 0
      ? `${stats.droppedOnClose} of them still queued, not delivered`
      : '',
    invalid > 0 ? `${invalid} invalid lines skipped` : '',
    // PUB/SUB has no acknowledgement: what was in flight when a link went down may be gone,
    // and nothing here can count it (the broker's restart log says what it took). Confirmed
    // sends were sent again after the reconnection.
    linksLost > 0 && confirmations === undefined
      ? `the broker link went down ${linksLost} time${linksLost === 1 ? '' : 's'}: messages in flight then may be lost`
      : '',
  ].filter((s) => s !== '');
  io.stderr.write(
    `${NAME}: sent ${sent} message${sent === 1 ? '' : 's'} to ${options.connect.join(', ')} ` +
      `in ${took}${notes.length > 0 ? `; ${notes.join('; ')}` : ''}\n`,
  );
  if (confirmations !== undefined) return confirmations.refused > 0 || invalid > 0 ? 1 : 0;
  return stats.droppedOnClose > 0 || invalid > 0 ? 1 : 0;
}

/** Demo bodies forever, or the message arguments in turn (once each unless --count). */
function* listMessages(options: ProduceOptions): Generator<Outgoing> {
  if (options.mode === 'demo') {
    for (;;) {
      // The original: 'abc hello' + str(time.time()), seconds since the epoch with a fraction.
      const text = `hello${Date.now() / 1000}`;
      yield { body: options.codec === 'raw' ? Buffer.from(text) : text, text };
    }
  }
  const total = options.count ?? options.messages.length;
  for (let i = 0; i < total; i++) {
    const text = options.messages[i % options.messages.length] as string;
    yield { body: toBody(text, options), text };
  }
}

/** One message per non-empty line of standard input; lines that are not valid are reported. */
async function* stdinMessages(
  options: ProduceOptions,
  io: ProduceIo,
  stop: AbortSignal,
  onInvalid: () => void,
): AsyncGenerator<Outgoing> {
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  const close = (): void => lines.close();
  stop.addEventListener('abort', close, { once: true });
  let n = 0;
  try {
    for await (const line of lines) {
      n++;
      if (line === '') continue;
      try {
        yield { body: toBody(line, options), text: line };
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        onInvalid();
        io.stderr.write(`${NAME}: line ${n}: not JSON text (${err.message}); skipped\n`);
      }
    }
  } finally {
    stop.removeEventListener('abort', close);
    lines.close();
  }
}

function toBody(text: string, options: ProduceOptions): unknown {
  return options.codec === 'raw' ? Buffer.from(text, 'utf8') : JSON.parse(text);
}

/** What the program writes for a person at a terminal. */
export interface TerminalOutput {
  /** One line on stderr saying standard input is read until Ctrl-D. */
  stdinPrompt: boolean;
  /** A progress line on stderr, rewritten in place once a second. */
  progress: boolean;
}

/**
 * Decides the terminal output from where the streams go: a prompt when the messages are typed
 * (stdin mode, stdin a terminal), and a progress line when stderr is a terminal, unless every
 * message is printed (--verbose, the demo) or the user is typing on the same terminal (the
 * line would be rewritten under what they type).
 */
export function terminalOutput(at: {
  mode: ProduceOptions['mode'];
  verbose: boolean;
  stdinIsTTY: boolean;
  stderrIsTTY: boolean;
}): TerminalOutput {
  const typing = at.mode === 'stdin' && at.stdinIsTTY;
  return { stdinPrompt: typing, progress: at.stderrIsTTY && !at.verbose && !typing };
}

const NO_PROGRESS = { stop: () => undefined };

/** A progress line on stderr once the run lasts more than a second. */
function startProgress(io: ProduceIo, sent: () => number, started: number): { stop(): void } {
  let shown = false;
  const timer = setInterval(() => {
    const seconds = (Date.now() - started) / 1000;
    io.stderr.write(`\r${NAME}: ${sent()} sent, ${Math.round(sent() / seconds)} msg/s\x1b[K`);
    shown = true;
  }, PROGRESS_EVERY_MS);
  return {
    stop() {
      clearInterval(timer);
      if (shown) io.stderr.write('\r\x1b[K');
    },
  };
}

function sleep(ms: number, stop: AbortSignal): Promise<void> {
  if (ms <= 0 || stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      stop.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener('abort', done, { once: true });
  });
}

const STOPPED = Symbol('stopped');

/**
 * Waits for `promise`, or resolves with STOPPED once `stop` is aborted (at once if it already
 * is); the promise's later rejection, such as `close()` refusing a waiting send, is then ignored.
 */
function untilStopped<T>(promise: Promise<T>, stop: AbortSignal): Promise<T | typeof STOPPED> {
  if (stop.aborted) {
    promise.catch(() => undefined);
    return Promise.resolve(STOPPED);
  }
  return new Promise((resolve, reject) => {
    const onAbort = (): void => resolve(STOPPED);
    stop.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        stop.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        stop.removeEventListener('abort', onAbort);
        if (!stop.aborted) reject(err as Error);
      },
    );
  });
}

/** Like untilStopped, but a stop rejects with "stopped". */
async function abortable<T>(promise: Promise<T>, stop: AbortSignal): Promise<T> {
  const result = await untilStopped(promise, stop);
  if (result === STOPPED) throw new Error('stopped');
  return result;
}
