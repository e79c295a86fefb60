import {
  curveOptionsFromFiles,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  DEFAULT_RELIABLE,
  PUSH_FORMATS,
} from '@zmq-mq/client';
import type { CurveOptions, PushFormat } from '@zmq-mq/client';
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
  /**
   * `sub`: the broker's fan-out (SUB); `pull`: its work queue (PULL); `queue`: a durable queue
   * on its reliable port (each message acknowledged once printed).
   */
  mode: 'sub' | 'pull' | 'queue';
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
  /** `serverKey` and `keyFile` from --server-key and --key; empty for plain text. */
  curve: CurveOptions;
  /** queue: the durable queue to consume. */
  queue: string;
  /** queue: prefixes to declare the queue with first (none: it must exist). */
  bind: string[];
  /** queue: the lease of each delivery, ms (undefined: the broker's --ack-wait). */
  ackWaitMs: number | undefined;
  /** queue: deliveries held unacknowledged at once. */
  credit: number;
}

/** Deliveries `consume queue` holds at once unless --credit says otherwise. */
export const DEFAULT_QUEUE_CREDIT = 100;

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
      .option(
        '--server-key <file>',
        "the broker's public key file (its .pub): CURVE encryption; repeatable, one per --connect in its order",
        collect,
      )
      .option(
        '--key <file>',
        "this client's key pair file (NAME.key from keygen), with --server-key",
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
  common(
    program
      .command('queue')
      .argument('<name>', 'the durable queue')
      .description(
        "consume a durable queue on the broker's reliable port; each message is printed with its attempt, then acknowledged",
      ),
    DEFAULT_RELIABLE,
  )
    .option(
      '-b, --bind <prefix>',
      'declare the queue with this topic prefix first, repeatable',
      collect,
    )
    .option('--ack-wait <duration>', "each delivery's lease, e.g. 30s (default: the broker's)")
    .option('--credit <n>', `deliveries held at once (default ${DEFAULT_QUEUE_CREDIT})`)
    .action((name: string, opts: RawOptions) => {
      picked = toOptions('queue', { ...opts, queue: name }, DEFAULT_RELIABLE);
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
          ? 'a command is required: sub, pull or queue'
          : err.message.replace(/^error: /, '').replace(/\n/g, ' ');
      return { kind: 'exit', code: 2, output: `${NAME}: ${message}` };
    }
    if (err instanceof OptionError) {
      return { kind: 'exit', code: 2, output: `${NAME}: ${err.message}` };
    }
    throw err;
  }
  if (picked === undefined) {
    return { kind: 'exit', code: 2, output: `${NAME}: a command is required: sub, pull or queue` };
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
  serverKey?: string;
  key?: string;
  queue?: string;
  bind?: string[];
  ackWait?: string;
  credit?: string;
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

/** A duration: milliseconds, or a number with `ms`, `s` or `m` (as the broker's flags take). */
function parseDurationText(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(\d+)\s*(ms|s|m)?\s*$/.exec(value);
  const ms = m ? Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 's' ? 1000 : 1) : NaN;
  if (!(ms >= 1 && ms <= MAX_INT32)) {
    throw new OptionError(
      option,
      value,
      'must be a duration of 1 ms to 24.8 days, such as 500ms, 30s or 2m',
    );
  }
  return ms;
}

function toOptions(mode: ConsumeOptions['mode'], o: RawOptions, fallback: string): ConsumeOptions {
  // The SDK's own rules, named as the user wrote them (the SDK would say `connect:`).
  if (o.connect !== undefined) parseConnectEndpoints('--connect', o.connect, fallback);
  checkSubscriptions('--topic', o.topic, prefixSubscription);
  checkSubscriptions('--bind', o.bind, prefixSubscription);
  if (mode === 'queue' && (o.connect?.length ?? 0) > 1) {
    throw new OptionError('--connect', o.connect, 'takes one reliable endpoint for a queue');
  }
  if (mode === 'queue' && !/^[A-Za-z0-9._-]{1,64}$/.test(o.queue ?? '')) {
    throw new OptionError('queue', o.queue, 'must be a queue name: 1..64 of A-Z a-z 0-9 . _ -');
  }
  checkSubscriptions('--exact', o.exact, exactSubscription);
  const count = parseIntegerText('--count', o.count, 1);
  const connect = o.connect ?? [fallback];
  return {
    mode,
    connect,
    prefixes: o.topic ?? (o.exact === undefined ? [''] : []),
    exact: o.exact ?? [],
    codec: o.codec ?? 'raw',
    raw: o.raw === true,
    count,
    pushFormat: o.pushFormat ?? 'payload',
    // A Node timer holds 32 bits: a longer wait would end after 1 ms.
    readyTimeoutMs:
      parseIntegerText('--ready-timeout', o.readyTimeout, 0, MAX_INT32) ?? DEFAULT_READY_TIMEOUT_MS,
    curve: curveOptionsFromFiles(o.serverKey, o.key, undefined, connect.length),
    queue: o.queue ?? '',
    bind: o.bind ?? [],
    ackWaitMs: parseDurationText('--ack-wait', o.ackWait),
    credit: parseIntegerText('--credit', o.credit, 1, 65_535) ?? DEFAULT_QUEUE_CREDIT,
  };
}
