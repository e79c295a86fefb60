import { curveOptionsFromFiles, DEFAULT_INGRESS, DEFAULT_RELIABLE } from '@zmq-mq/client';
import type { CurveOptions } from '@zmq-mq/client';
import { DEMO_INTERVAL_MS, DEMO_TOPIC } from '@zmq-mq/contracts';
import {
  CODEC_NAMES,
  MAX_INT32,
  OptionError,
  parseConnectEndpoints,
  parseIntegerText,
  topicProblem,
} from '@zmq-mq/protocol';
import type { CodecName } from '@zmq-mq/protocol';
import { Command, CommanderError, Option } from 'commander';

/** The demo of the original design, declared in the team contracts: topic `abc`, once a second. */
export { DEMO_INTERVAL_MS, DEMO_TOPIC };
export const DEFAULT_READY_TIMEOUT_MS = 10_000;

export interface ProduceOptions {
  /** `demo`: `hello<time>` forever (or --count); `args`: the message arguments; `stdin`: one per line. */
  mode: 'demo' | 'args' | 'stdin';
  topic: string;
  messages: string[];
  connect: string[];
  codec: CodecName;
  /** Messages to send; `undefined` means all (args once, every stdin line, demo forever). */
  count: number | undefined;
  /** Milliseconds between messages (0 = as fast as the broker link takes them). */
  intervalMs: number;
  verbose: boolean;
  metadata: boolean;
  readyTimeoutMs: number;
  /** `serverKey` and `keyFile` from --server-key and --key; empty for plain text. */
  curve: CurveOptions;
  /** Confirmed sends on the broker's reliable port: `connect` names reliable endpoints. */
  confirm: boolean;
}

export type CliResult =
  { kind: 'run'; options: ProduceOptions } | { kind: 'exit'; code: number; output: string };

const NAME = 'zmq-mq-produce';

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Parses the command line; bad input gives exit code 2 and one line naming the option. */
export function parseCli(argv: readonly string[]): CliResult {
  const program = new Command(NAME)
    .description(
      'Publish messages to a zmq-mq broker. With no message arguments: the demo of the original ' +
        `design, "hello" plus the current time on topic ${DEMO_TOPIC} once a second.`,
    )
    .argument('[message...]', 'message bodies; "-" sends each line of standard input')
    .option('-t, --topic <topic>', `topic to publish on (default ${DEMO_TOPIC})`)
    .option(
      '-c, --connect <endpoint>',
      `broker ingress, repeatable (default ${DEFAULT_INGRESS}); with --confirm the reliable endpoint (default ${DEFAULT_RELIABLE})`,
      collect,
    )
    .option(
      '--confirm',
      'confirmed sends on the reliable port: each message waits for the broker to store it durably; exits 0 only when every one was confirmed',
    )
    .option('-n, --count <n>', 'number of messages to send (arguments repeat in turn)')
    .option('-i, --interval <ms>', `pause between messages (demo default ${DEMO_INTERVAL_MS})`)
    .option('-r, --rate <per-second>', 'messages per second (instead of --interval)')
    .addOption(
      new Option('--codec <codec>', 'json and msgpack: messages are JSON text; raw: bytes').choices(
        CODEC_NAMES,
      ),
    )
    .option('--no-metadata', 'send bare "topic payload" frames without the metadata frame')
    .option(
      '--ready-timeout <ms>',
      `how long to wait for the broker (default ${DEFAULT_READY_TIMEOUT_MS})`,
    )
    .option('-v, --verbose', 'print every message sent')
    .option(
      '--server-key <file>',
      "the broker's public key file (its .pub): CURVE encryption; repeatable, one per --connect in its order",
      collect,
    )
    .option(
      '--key <file>',
      "this producer's key pair file (NAME.key from keygen), with --server-key",
    )
    .helpOption('-h, --help', 'show this help')
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        return { kind: 'exit', code: 0, output: program.helpInformation() };
      }
      const message = err.message.replace(/^error: /, '').replace(/\n/g, ' ');
      return { kind: 'exit', code: 2, output: `${NAME}: ${message}` };
    }
    throw err;
  }
  try {
    return { kind: 'run', options: toOptions(program) };
  } catch (err) {
    if (err instanceof OptionError)
      return { kind: 'exit', code: 2, output: `${NAME}: ${err.message}` };
    throw err;
  }
}

function toOptions(program: Command): ProduceOptions {
  const o = program.opts<{
    topic?: string;
    connect?: string[];
    count?: string;
    interval?: string;
    rate?: string;
    codec?: CodecName;
    metadata: boolean;
    readyTimeout?: string;
    verbose?: boolean;
    serverKey?: string[];
    key?: string;
    confirm?: boolean;
  }>();
  const args = program.args;
  const mode = args.length === 0 ? 'demo' : args.length === 1 && args[0] === '-' ? 'stdin' : 'args';
  if (mode === 'args' && args.includes('-')) {
    throw new OptionError('message', '-', 'standard input must be the only message argument');
  }
  const topic = o.topic ?? DEMO_TOPIC;
  const problem = topicProblem(topic);
  if (problem !== undefined) throw new OptionError('--topic', topic, problem);
  // The SDK's own rules, named as the user wrote them (the SDK would say `connect:`).
  if (o.connect !== undefined) parseConnectEndpoints('--connect', o.connect, DEFAULT_INGRESS);
  if (o.interval !== undefined && o.rate !== undefined) {
    throw new OptionError('--rate', o.rate, 'cannot be combined with --interval');
  }
  const rate = parseIntegerText('--rate', o.rate, 1);
  // A Node timer holds 32 bits: a longer pause would end after 1 ms.
  const interval = parseIntegerText('--interval', o.interval, 0, MAX_INT32);
  // The demo sends bytes, so that frame 0 is exactly the original's "abc hello<time>".
  const codec = o.codec ?? (mode === 'demo' ? 'raw' : 'json');
  const messages = mode === 'args' ? args : [];
  if (codec !== 'raw') {
    messages.forEach((m, i) => {
      try {
        JSON.parse(m);
      } catch (err) {
        throw new OptionError(
          `message ${i + 1}`,
          m,
          `is not JSON text (${jsonProblem(err as Error)}); use --codec raw for plain text`,
        );
      }
    });
  }
  const confirm = o.confirm === true;
  if (confirm && (o.connect?.length ?? 0) > 1) {
    throw new OptionError('--connect', o.connect, 'takes one reliable endpoint with --confirm');
  }
  const connect = o.connect ?? [confirm ? DEFAULT_RELIABLE : DEFAULT_INGRESS];
  return {
    mode,
    topic,
    messages,
    confirm,
    connect,
    codec,
    count: parseIntegerText('--count', o.count, 0),
    intervalMs:
      rate !== undefined ? 1000 / rate : (interval ?? (mode === 'demo' ? DEMO_INTERVAL_MS : 0)),
    verbose: o.verbose === true || mode === 'demo',
    metadata: o.metadata,
    readyTimeoutMs:
      parseIntegerText('--ready-timeout', o.readyTimeout, 0) ?? DEFAULT_READY_TIMEOUT_MS,
    curve: curveOptionsFromFiles(o.serverKey, o.key, undefined, connect.length),
  };
}

/**
 * JSON.parse's reason without the text it quotes (`Unexpected token 'o', "notjson" is not valid
 * JSON`): the option error quotes the value itself, once.
 */
function jsonProblem(err: Error): string {
  return err.message.replace(/, ".*"(\.\.\.)? is not valid JSON$/s, '');
}
