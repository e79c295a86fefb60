import { DEFAULT_PUBLISH, DEFAULT_PUSH, PUSH_FORMATS } from '@zmq-mq/client';
import type { PushFormat } from '@zmq-mq/client';
import {
  CODEC_NAMES,
  exactSubscription,
  MAX_INT32,
  OptionError,
  parseConnectEndpoints,
  parseIntegerText,
  prefixSubscription,
  TopicError,
} from '@zmq-mq/protocol';
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
  /** How long to wait for the broker before saying so on stderr (the consumer keeps waiting). */
  readyTimeoutMs: number;
}

/** How long the consumer waits for the broker before saying it has no link yet. */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;

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
      .option(
        '--ready-timeout <ms>',
        `after how long without a link to say so on stderr; it keeps waiting (default ${DEFAULT_READY_TIMEOUT_MS})`,
      )
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
  readyTimeout?: string;
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
      if (err instanceof TopicError) throw new OptionError(option, value, err.reason);
      throw err;
    }
  }
}

function toOptions(mode: 'sub' | 'pull', o: RawOptions, fallback: string): ConsumeOptions {
  // The SDK's own rules, named as the user wrote them (the SDK would say `connect:`).
  if (o.connect !== undefined) parseConnectEndpoints('--connect', o.connect, DEFAULT_PUBLISH);
  checkSubscriptions('--topic', o.topic, prefixSubscription);
  checkSubscriptions('--exact', o.exact, exactSubscription);
  const count = parseIntegerText('--count', o.count, 1);
  return {
    mode,
    connect: o.connect ?? [fallback],
    prefixes: o.topic ?? (o.exact === undefined ? [''] : []),
    exact: o.exact ?? [],
    codec: o.codec ?? 'raw',
    raw: o.raw === true,
    count,
    pushFormat: o.pushFormat ?? 'payload',
    // A Node timer holds 32 bits: a longer wait would end after 1 ms.
    readyTimeoutMs:
      parseIntegerText('--ready-timeout', o.readyTimeout, 0, MAX_INT32) ?? DEFAULT_READY_TIMEOUT_MS,
  };
}
