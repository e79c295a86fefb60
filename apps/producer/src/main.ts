import { handleStopSignals, OptionError, signalExitCode } from '@zmq-mq/protocol';
import { parseCli } from './cli';
import { produce } from './produce';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2));
  if (cli.kind === 'exit') {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.output.trimEnd() + '\n');
    process.exit(cli.code);
  }
  const stop = new AbortController();
  // One Ctrl-C under npm arrives twice (see handleStopSignals): one stop; a later signal exits.
  const signals = handleStopSignals(
    {
      stop: () => stop.abort(),
      exitNow: (signal) => process.exit(signalExitCode(signal)),
    },
    { signals: ['SIGINT', 'SIGTERM'] },
  );
  const code = await produce(cli.options, process, stop.signal);
  await signals.beforeExit();
  process.exitCode = code;
}

main().catch((err: unknown) => {
  process.stderr.write(`zmq-mq-produce: ${err instanceof Error ? err.message : String(err)}\n`);
  // A value the SDK refused (such as an ipc path too long for a unix socket) is bad input too.
  process.exit(err instanceof OptionError ? 2 : 1);
});
