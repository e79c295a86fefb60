import { Broker, BindError } from '@zmq-mq/broker';
import { parseCli } from './cli';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2), process.env);
  if (cli.kind === 'exit') {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.output.trimEnd() + '\n');
    process.exit(cli.code);
  }
  const broker = new Broker(cli.options);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      process.stderr.write(`zmq-mq-broker: second ${signal}, exiting at once\n`);
      const code = 128 + (SIGNAL_NUMBERS[signal] ?? 1);
      // The proxy threads must end first: process.exit() waits for libzmq, which waits for them.
      // abort() also counts what the work queue held as `shutdown` drops and logs the summary.
      broker.abort().then(
        () => process.exit(code),
        (err: unknown) => {
          process.stderr.write(`zmq-mq-broker: error while aborting: ${String(err)}\n`);
          process.exit(code);
        },
      );
      return;
    }
    stopping = true;
    broker.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`zmq-mq-broker: error while stopping: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  // SIGHUP (the terminal closed, or a supervisor's stop) stops gracefully too: by default it
  // would kill the process at once, with no drain and no counts.
  process.on('SIGHUP', onSignal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await broker.start();
  } catch (err) {
    process.stderr.write(
      `zmq-mq-broker: ${err instanceof BindError ? err.message : String(err)}\n`,
    );
    process.exit(1);
  }
}

void main();
