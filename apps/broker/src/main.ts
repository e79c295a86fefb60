import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Broker,
  BindError,
  createLogger,
  hintMallocThresholds,
  loadDashboardPage,
  TokenFileError,
} from '@zmq-mq/broker';
import {
  handleStopSignals,
  KeyError,
  OptionError,
  signalExitCode,
  STOP_SIGNAL_WINDOW_MS,
  writeKeyPairFiles,
} from '@zmq-mq/protocol';
import { parseCli } from './cli';

/** The version in the deploy folder's package.json, beside this bundle. */
function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/**
 * libuv's thread pool for this process, unless UV_THREADPOOL_SIZE sets it. The broker's two
 * proxies hold two of its threads for as long as they run (libs/broker: proxy-threads.ts); the
 * rest serve binds, file reads and the LMDB store's commits, which libuv's default of 4 would
 * leave two of.
 */
const THREAD_POOL_SIZE = '8';

async function main(): Promise<void> {
  // Before anything uses the pool: libuv sizes it once, at its first use.
  process.env.UV_THREADPOOL_SIZE ??= THREAD_POOL_SIZE;
  const cli = parseCli(process.argv.slice(2), process.env);
  if (cli.kind === 'exit') {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.output.trimEnd() + '\n');
    process.exit(cli.code);
  }
  if (cli.kind === 'keygen') {
    try {
      const pair = writeKeyPairFiles(cli.out);
      process.stdout.write(
        `wrote ${pair.secretPath} (secret, mode 0600) and ${pair.publicPath}\npublic key ${pair.publicKey} ${pair.name}\n`,
      );
      process.exit(0);
    } catch (err) {
      if (!(err instanceof KeyError)) throw err;
      process.stderr.write(`zmq-mq-broker keygen: ${err.message}\n`);
      process.exit(1);
    }
  }
  // Large messages: the work path's read regions stay in malloc's heap (libs/broker:
  // malloc-thresholds.ts).
  hintMallocThresholds();
  const log = createLogger(cli.options.logLevel);
  // The dashboard page the build put beside this bundle (web/), read only with a monitor.
  const broker = new Broker(cli.options, {
    logger: log,
    version: version(),
    dashboardPage:
      cli.options.monitor === null ? undefined : loadDashboardPage(join(__dirname, 'web')),
  });
  // SIGHUP (the terminal closed, or a supervisor's stop) stops gracefully too: by default it
  // would kill the process at once, with no drain and no counts.
  const signals = handleStopSignals(
    {
      stop: () => {
        broker
          .stop()
          .then(() => signals.beforeExit())
          .then(
            () => process.exit(0),
            (err: unknown) => {
              process.stderr.write(`zmq-mq-broker: error while stopping: ${String(err)}\n`);
              process.exit(1);
            },
          );
      },
      exitNow: (signal) => {
        process.stderr.write(`zmq-mq-broker: second ${signal}, exiting at once\n`);
        const code = signalExitCode(signal);
        // The proxy threads must end first: process.exit() waits for libzmq, which waits for
        // them. abort() also counts what the work queue held as `shutdown` drops and logs the
        // summary.
        broker.abort().then(
          () => process.exit(code),
          (err: unknown) => {
            process.stderr.write(`zmq-mq-broker: error while aborting: ${String(err)}\n`);
            process.exit(code);
          },
        );
      },
      repeated: (signal, afterMs) =>
        log.debug(
          { signal, afterMs, windowMs: STOP_SIGNAL_WINDOW_MS },
          'stop signal repeated within the window: the same request, still stopping',
        ),
    },
    { signals: ['SIGHUP', 'SIGINT', 'SIGTERM'] },
  );
  // The allowlists are read again when their files change; SIGUSR2 asks for it where a
  // filesystem does not tell (NFS, say).
  process.on('SIGUSR2', () => broker.reloadAllowlists());
  try {
    await broker.start();
  } catch (err) {
    // A key, allowlist, token or NATS file that cannot be used is a configuration error, as a
    // bad flag is: exit 2, one line naming the file (or its flag).
    if (err instanceof KeyError || err instanceof TokenFileError || err instanceof OptionError) {
      process.stderr.write(`zmq-mq-broker: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `zmq-mq-broker: ${err instanceof BindError ? err.message : String(err)}\n`,
    );
    process.exit(1);
  }
}

void main();
