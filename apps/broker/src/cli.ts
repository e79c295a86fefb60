import {
  OPTION_NAMES,
  defaultBrokerOptions,
  formatBytes,
  formatDuration,
  parseBrokerOptions,
  PUSH_FORMATS,
  PUSH_POLICIES,
  LOG_LEVELS,
  type BrokerOptionKey,
  type BrokerOptions,
  type BrokerOptionsInput,
} from '@zmq-mq/broker';
import { OptionError } from '@zmq-mq/protocol';
import { Command, CommanderError, Option } from 'commander';

export type CliResult =
  { kind: 'run'; options: BrokerOptions } | { kind: 'exit'; code: number; output: string };

const d = defaultBrokerOptions();
const monitorDefault = d.monitor ? `${d.monitor.host}:${d.monitor.port}` : 'off';

const DESCRIPTIONS: Record<BrokerOptionKey, [string, string]> = {
  ingress: ['endpoint', `bound SUB that producers' PUB sockets connect to (default ${d.ingress})`],
  publish: [
    'endpoint',
    `bound PUB for subscribers: every message, unchanged (default ${d.publish})`,
  ],
  push: ['endpoint', `bound PUSH for workers: each payload to one worker (default ${d.push})`],
  queueMaxMessages: [
    'n',
    `work messages held while no worker can take them (default ${d.queueMaxMessages})`,
  ],
  queueMaxBytes: [
    'size',
    `bytes held in the work queue, e.g. 128MiB (default ${formatBytes(d.queueMaxBytes)})`,
  ],
  pushPolicy: [
    'policy',
    `${PUSH_POLICIES.join(' | ')}: what to drop when the queue is full; drop = never queue, as the original design (default ${d.pushPolicy})`,
  ],
  pushFormat: [
    'format',
    `${PUSH_FORMATS.join(' | ')}: payload strips the topic; full forwards frames unchanged (default ${d.pushFormat})`,
  ],
  publishHwm: [
    'n',
    `messages queued per subscriber before it misses some; 0 = unlimited, not with --push-format full (default ${d.publishHwm})`,
  ],
  ingressHwm: [
    'n',
    `messages held per producer while the broker is behind, then TCP backpressure; 0 = unlimited (default ${d.ingressHwm})`,
  ],
  maxMessageBytes: [
    'size',
    `largest frame accepted, and largest message (all frames, at most 16) the work path takes (default ${formatBytes(d.maxMessageBytes)})`,
  ],
  drainTimeoutMs: [
    'duration',
    `on SIGTERM, SIGINT or SIGHUP, how long to keep delivering queued work, e.g. 30s (default ${formatDuration(d.drainTimeoutMs)})`,
  ],
  monitor: [
    'host:port|off',
    `HTTP /healthz, /metrics, /stats and the dashboard at / (default ${monitorDefault})`,
  ],
  logLevel: ['level', `${LOG_LEVELS.join(' | ')} (default ${d.logLevel})`],
  dropLogIntervalMs: [
    'duration',
    `how often drops are summarised in the log, at least 100ms (default ${formatDuration(d.dropLogIntervalMs)})`,
  ],
  ioThreads: [
    'n',
    `libzmq I/O threads; 2 can move more large messages and fewer small ones (default ${d.ioThreads})`,
  ],
  pushHwm: [
    'n',
    `work messages in flight to each worker before the push socket waits for it: with the send buffer, the most a worker that dies takes with it (default ${d.pushHwm})`,
  ],
  pushSendBufferBytes: [
    'size',
    `kernel send buffer of each worker connection, at least 4KiB (default ${formatBytes(d.pushSendBufferBytes)})`,
  ],
  handshakeTimeoutMs: [
    'duration',
    `a connection that has not completed its ZeroMQ handshake by then is closed (default ${formatDuration(d.handshakeTimeoutMs)})`,
  ],
};

function flagToKey(): Map<string, BrokerOptionKey> {
  const m = new Map<string, BrokerOptionKey>();
  for (const key of Object.keys(OPTION_NAMES) as BrokerOptionKey[]) {
    const attr = OPTION_NAMES[key].flag
      .replace(/^--/, '')
      .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    m.set(attr, key);
  }
  return m;
}

/**
 * Reads flags (which win) and ZMQMQ_* environment variables into validated options. Bad input
 * gives exit code 2 and one line naming the option (flag or variable) and the problem.
 */
export function parseCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CliResult {
  const program = new Command('zmq-mq-broker')
    .description(
      'zmq-mq broker: ingress SUB -> fan-out PUB + work-queue PUSH. Every flag also reads from its environment variable; sizes take KiB, MiB, GiB (1024s) or KB, MB, GB (1000s), durations ms, s or m. Reference: apps/broker/README.md.',
    )
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const key of Object.keys(OPTION_NAMES) as BrokerOptionKey[]) {
    const [arg, text] = DESCRIPTIONS[key];
    program.addOption(
      new Option(`${OPTION_NAMES[key].flag} <${arg}>`, `${text} [env ${OPTION_NAMES[key].env}]`),
    );
  }
  try {
    program.parse(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
        return { kind: 'exit', code: 0, output: program.helpInformation() };
      }
      return {
        kind: 'exit',
        code: 2,
        output: `zmq-mq-broker: ${err.message.replace(/^error: /, '')}`,
      };
    }
    throw err;
  }
  const input: BrokerOptionsInput = {};
  const names: Partial<Record<BrokerOptionKey, string>> = {};
  const values = program.opts<Record<string, string | undefined>>();
  for (const [attr, key] of flagToKey()) {
    const fromFlag = values[attr];
    const fromEnv = env[OPTION_NAMES[key].env];
    if (fromFlag !== undefined) {
      (input as Record<string, unknown>)[key] = fromFlag;
      names[key] = OPTION_NAMES[key].flag;
    } else if (fromEnv !== undefined && fromEnv !== '') {
      (input as Record<string, unknown>)[key] = fromEnv;
      names[key] = OPTION_NAMES[key].env;
    }
  }
  try {
    return { kind: 'run', options: parseBrokerOptions(input, names) };
  } catch (err) {
    if (err instanceof OptionError)
      return { kind: 'exit', code: 2, output: `zmq-mq-broker: ${err.message}` };
    throw err;
  }
}
