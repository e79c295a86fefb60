import { DEFAULT_PUBLISH, DEFAULT_PUSH, PUSH_FORMATS } from '@zmq-mq/client';
import type { PushFormat } from '@zmq-mq/client';
import { CODEC_NAMES, exactSubscription, OptionError, prefixSubscription } from '@zmq-mq/protocol';
import type { CodecName } from '@zmq-mq/protocol';
import { Command, CommanderError, Option } from 'commander';

export interface ConsumeOptions {
  /** `sub`: the broker's fan-out (SUB); `pull`: its work queue (PULL). */
  mode: 'sub' | 'pull';
  connect: string[];
  /** Topic prefixes (sub only); `['']` is everything. */
  prefixes: string[];
  /** Exact topics (sub only). */
  exact: string[];
  /** Codec for messages without a metadata frame. */
  codec: CodecName;
  /** Print frame 0 as it came instead of a JSON line. */
  raw: boolean;
  /** Exit after this many messages. */
  count: number | undefined;
  pushFormat: PushFormat;
}

export type CliResult =
  { kind: 'run'; options: ConsumeOptions } | { kind: 'exit'; code: number; output: string };

const NAME = 'zmq-mq-consume';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses the command line; bad input gives exit code 2 and one line naming the option. */
export function parseCli(argv: readonly string[]): CliResult {
  let picked: ConsumeOptions | undefined;
  const program = new Command(NAME)
    .description('Print what a zmq-mq broker delivers, one JSON line per message.')
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const common = (cmd: Command, fallback: string): Command =>
    cmd
      .option(
        '-c, --connect <endpoint>',
        `broker endpoint, repeatable (default ${fallback})`,
        collect,
      )
      .option('-n, --count <n>', 'exit after n messages')
      .addOption(
        new Option(
          '--codec <codec>',
          'codec for messages without a metadata frame (default raw)',
        ).choices(CODEC_NAMES),
      )
      .option('--raw', 'print frame 0 as it came, one per line, instead of JSON')
      .helpOption('-h, --help', 'show this help')
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  common(
    program.command('sub').description("subscribe to the broker's fan-out (publish endpoint)"),
    DEFAULT_PUBLISH,
  )
    .option(
      '-t, --topic <prefix>',
      'topic prefix to receive, repeatable (default everything)',
      collect,
    )
    .option('-e, --exact <topic>', 'exact topic to receive, repeatable', collect)
    .action((opts: RawOptions) => {
      picked = toOptions('sub', opts, DEFAULT_PUBLISH);
    });
  common(
    program.command('pull').description("take work from the broker's work queue (push endpoint)"),
    DEFAULT_PUSH,
  )
    .addOption(
      new Option('--push-format <format>', 'what the broker pushes (default payload)').choices(
        PUSH_FORMATS,
      ),
    )
    .action((opts: RawOptions) => {
      picked = toOptions('pull', opts, DEFAULT_PUSH);
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || argv[0] === 'help') {
        // `--help` anywhere, or the `help [command]` command commander lists.
        const sub = program.commands.find((c) => argv.includes(c.name()));
        return { kind: 'exit', code: 0, output: (sub ?? program).helpInformation() };
      }
      const message =
        err.code === 'commander.help' // no command given
          ? 'a command is required: sub or pull'
          : err.message.replace(/^error: /, '').replace(/\n/g, ' ');
      return { kind: 'exit', code: 2, output: `${NAME}: ${message}` };
    }
    if (err instanceof OptionError) {
      return { kind: 'exit', code: 2, output: `${NAME}: ${err.message}` };
    }
    throw err;
  }
  if (picked === undefined) {
    return { kind: 'exit', code: 2, output: `${NAME}: a command is required: sub or pull` };
  }
  return { kind: 'run', options: picked };
}

interface RawOptions {
  connect?: string[];
  count?: string;
  codec?: CodecName;
  raw?: boolean;
  topic?: string[];
  exact?: string[];
  pushFormat?: PushFormat;
}

// Each value must make a subscription; the protocol's reason becomes the option's.
function checkSubscriptions(
  option: string,
  values: string[] | undefined,
  subscription: (value: string) => Buffer,
): void {
  for (const value of values ?? []) {
    try {
      subscription(value);
    } catch (err) {
      throw new OptionError(option, value, (err as Error).message);
    }
  }
}

function toOptions(mode: 'sub' | 'pull', o: RawOptions, fallback: string): ConsumeOptions {
  for (const ep of o.connect ?? []) {
    if (!/^(tcp|ipc|inproc|ws|wss):\/\/\S+$/.test(ep)) {
      throw new OptionError(
        '--connect',
        ep,
        'must be a ZeroMQ endpoint such as tcp://127.0.0.1:5556',
      );
    }
  }
  checkSubscriptions('--topic', o.topic, prefixSubscription);
  checkSubscriptions('--exact', o.exact, exactSubscription);
  let count: number | undefined;
  if (o.count !== undefined) {
    count = Number(o.count);
    if (!/^\d+$/.test(o.count) || !Number.isSafeInteger(count) || count < 1) {
      throw new OptionError('--count', o.count, 'must be an integer >= 1');
    }
  }
  return {
    mode,
    connect: o.connect ?? [fallback],
    prefixes: o.topic ?? (o.exact === undefined ? [''] : []),
    exact: o.exact ?? [],
    codec: o.codec ?? 'raw',
    raw: o.raw === true,
    count,
    pushFormat: o.pushFormat ?? 'payload',
  };
}
