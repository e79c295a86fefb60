import { handleStopSignals, signalExitCode } from '@zmq-mq/protocol';
import { parseCli } from './cli';
import { runQueues } from './queues';

async function main(): Promise<void> {
  const cli = parseCli(process.argv.slice(2), process.env);
  if (cli.kind === 'exit') {
    (cli.code === 0 ? process.stdout : process.stderr).write(cli.output.trimEnd() + '\n');
    process.exit(cli.code);
  }
  const stop = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  // One Ctrl-C under npm arrives twice (see handleStopSignals): one stop; a later signal exits.
  handleStopSignals(
    {
      stop: (signal) => {
        stoppedBy = signal;
        stop.abort();
      },
      exitNow: (signal) => process.exit(signalExitCode(signal)),
    },
    { signals: ['SIGINT', 'SIGTERM'] },
  );
  const code = await runQueues(cli.options, process, stop.signal);
  process.exitCode = stoppedBy === undefined ? code : signalExitCode(stoppedBy);
}

main().catch((err: unknown) => {
  process.stderr.write(`zmq-mq-queues: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
