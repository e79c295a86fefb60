import { KeyError, OptionError, parseIntegerText, readKeyText } from '@zmq-mq/protocol';
import { Command, CommanderError } from 'commander';

/** The broker's monitor as `npm start` binds it (its --monitor default). */
export const DEFAULT_MONITOR_URL = 'http://127.0.0.1:9557';
/** Dead letters asked for per request (the monitor's largest page). */
export const PAGE_SIZE = 1000;

export type QueuesCommand =
  | { kind: 'list'; json: boolean }
  | { kind: 'dead'; queue: string; limit: number | undefined; after: number }
  | { kind: 'replay'; queue: string; seqs: number[] | undefined }
  | { kind: 'purge'; queue: string };

export interface QueuesOptions {
  /** The monitor's base URL, `http://host:port`. */
  monitor: string;
  /** The monitor's token (`--token-file`), sent as `Authorization: Bearer`; none: not sent. */
  token: string | undefined;
  command: QueuesCommand;
}

/** The variable that names the token file when --token-file does not. */
export const TOKEN_FILE_ENV = 'ZMQMQ_MONITOR_TOKEN_FILE';

export type CliResult =
  { kind: 'run'; options: QueuesOptions } | { kind: 'exit'; code: number; output: string };

const NAME = 'zmq-mq-queues';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `host:port` or `http://host:port` as a base URL. */
function parseMonitor(value: string | undefined): string {
  if (value === undefined) return DEFAULT_MONITOR_URL;
  const url = /^https?:\/\//.test(value) ? value : `http://${value}`;
  try {
    const parsed = new URL(url);
    if (parsed.pathname !== '/' || parsed.search !== '' || parsed.port === '') throw new Error();
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    throw new OptionError(
      '--monitor',
      value,
      "must be the broker's monitor, host:port or http://host:port",
    );
  }
}

/** The first line of the token file (the broker's --monitor-token-file), trimmed. */
function readToken(option: string, path: string): string {
  let text: string;
  try {
    text = readKeyText(path, 64 * 1024);
  } catch (err) {
    if (err instanceof KeyError) {
      throw new OptionError(option, path, err.message.replace(`${path}: `, ''));
    }
    throw err;
  }
  const token = (text.split(/\r?\n/)[0] ?? '').trim();
  if (token === '') {
    throw new OptionError(option, path, "must hold the monitor's token on its first line");
  }
  return token;
}

function queueName(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(value)) {
    throw new OptionError('queue', value, 'must be a queue name: 1..64 of A-Z a-z 0-9 . _ -');
  }
  return value;
}

/**
 * Parses the command line (and `ZMQMQ_MONITOR_TOKEN_FILE` from `env`); bad input gives exit
 * code 2 and one line naming the option.
 */
export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CliResult {
  let picked: QueuesCommand | undefined;
  const program = new Command(NAME)
    .description(
      "Look after a zmq-mq broker's durable queues through its monitor's HTTP API (/queues).",
    )
    .option(
      '-m, --monitor <url>',
      `the broker's monitor, host:port (default ${DEFAULT_MONITOR_URL})`,
    )
    .option(
      '--token-file <file>',
      `the monitor's token on its first line (the broker's --monitor-token-file): needed for dead, replay and purge, and for everything on a monitor with a token [env ${TOKEN_FILE_ENV}]`,
    )
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const sub = (name: string, description: string): Command =>
    program
      .command(name)
      .description(description)
      .helpOption('-h, --help', 'show this help')
      .exitOverride()
      .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  sub('list', 'every durable queue: depth, unacked, dead letters, consumers, counters')
    .option('--json', 'the JSON the monitor answers, instead of a table')
    .action((opts: { json?: boolean }) => {
      picked = { kind: 'list', json: opts.json === true };
    });
  sub('dead', "a queue's dead letters, one JSON line each, oldest first")
    .argument('<queue>')
    .option('-n, --limit <n>', 'at most n (default all)')
    .option('--after <seq>', 'only those after this seq (default 0)')
    .action((queue: string, opts: { limit?: string; after?: string }) => {
      picked = {
        kind: 'dead',
        queue: queueName(queue),
        limit: parseIntegerText('--limit', opts.limit, 1),
        after: parseIntegerText('--after', opts.after, 0) ?? 0,
      };
    });
  sub('replay', "a queue's dead letters back to the queue (all, or the --seq ones)")
    .argument('<queue>')
    .option('--seq <seq>', 'replay this dead letter only, repeatable', collect)
    .action((queue: string, opts: { seq?: string[] }) => {
      picked = {
        kind: 'replay',
        queue: queueName(queue),
        seqs: opts.seq?.map((s) => parseIntegerText('--seq', s, 0) as number),
      };
    });
  sub('purge', "deletes a queue's dead letters")
    .argument('<queue>')
    .action((queue: string) => {
      picked = { kind: 'purge', queue: queueName(queue) };
    });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || argv[0] === 'help') {
        const command = program.commands.find((c) => argv.includes(c.name()));
        return { kind: 'exit', code: 0, output: (command ?? program).helpInformation() };
      }
      const message =
        err.code === 'commander.help'
          ? 'a command is required: list, dead, replay or purge'
          : err.message.replace(/^error: /, '').replace(/\n/g, ' ');
      return { kind: 'exit', code: 2, output: `${NAME}: ${message}` };
    }
    if (err instanceof OptionError)
      return { kind: 'exit', code: 2, output: `${NAME}: ${err.message}` };
    throw err;
  }
  if (picked === undefined) {
    return {
      kind: 'exit',
      code: 2,
      output: `${NAME}: a command is required: list, dead, replay or purge`,
    };
  }
  try {
    const opts = program.opts<{ monitor?: string; tokenFile?: string }>();
    const monitor = parseMonitor(opts.monitor);
    const fromEnv = env[TOKEN_FILE_ENV];
    const token =
      opts.tokenFile !== undefined
        ? readToken('--token-file', opts.tokenFile)
        : fromEnv !== undefined && fromEnv !== ''
          ? readToken(TOKEN_FILE_ENV, fromEnv)
          : undefined;
    return { kind: 'run', options: { monitor, token, command: picked } };
  } catch (err) {
    if (err instanceof OptionError)
      return { kind: 'exit', code: 2, output: `${NAME}: ${err.message}` };
    throw err;
  }
}
