import {
  DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES,
  BOOLEAN_OPTIONS,
  OPTION_NAMES,
  defaultBrokerOptions,
  formatBytes,
  formatDuration,
  parseBrokerOptions,
  PUSH_FORMATS,
  PUSH_POLICIES,
  LOG_LEVELS,
  STORE_KINDS,
  type BrokerOptionKey,
  type BrokerOptions,
  type BrokerOptionsInput,
} from '@zmq-mq/broker';
import { OptionError } from '@zmq-mq/protocol';
import { Command, CommanderError, Option } from 'commander';

export type CliResult =
  | { kind: 'run'; options: BrokerOptions }
  | { kind: 'keygen'; out: string }
  | { kind: 'exit'; code: number; output: string };

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
    `libzmq I/O threads; on 2 cores 2 moved more of 1-16 KiB in some runs and less of 100 B in others: measure with your messages (default ${d.ioThreads})`,
  ],
  curveSecretKeyFile: [
    'file',
    "the broker's CURVE secret key (NAME.key from keygen): CURVE on every port, each client checked against its role's allowlist; plain text without it (default none)",
  ],
  allowProducers: [
    'file',
    'public keys that may produce, one a line, a name after each; with CURVE and no list every producer is refused (default none)',
  ],
  allowSubscribers: ['file', 'public keys that may subscribe (default none)'],
  allowWorkers: ['file', 'public keys that may take work (default none)'],
  insecure: ['', 'bind beyond loopback without CURVE all the same, in plain text (default off)'],
  monitorTokenFile: [
    'file',
    'bearer token every monitor request must carry, on its first line; needed for a monitor beyond loopback (default none)',
  ],
  pushHwm: [
    'n',
    `work messages in flight to each worker before the push socket waits for it: with the send buffer, the most a worker that dies takes with it (default ${d.pushHwm})`,
  ],
  pushSendBufferBytes: [
    'size',
    `kernel send buffer of each worker connection, at least 4KiB; ${formatBytes(DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES)} when unset with --push-format full, where it is faster for messages of 16KiB and more (default ${formatBytes(d.pushSendBufferBytes)})`,
  ],
  handshakeTimeoutMs: [
    'duration',
    `a connection that has not completed its ZeroMQ handshake by then is closed (default ${formatDuration(d.handshakeTimeoutMs)})`,
  ],
  reliable: [
    'endpoint|off',
    `bound ROUTER of the durable queues (confirmed publishes, queue workers); off: no durable queues (default ${d.reliable ?? 'off'})`,
  ],
  store: [
    'store',
    `${STORE_KINDS.join(' | ')} | nats://HOST:PORT[,HOST:PORT...]: where durable queues live; lmdb confirms after fsync, NATS JetStream after its PubAck, and brokers on the same servers share the queues (default ${d.store})`,
  ],
  dataDir: ['dir', `directory of the lmdb store, one broker each (default ${d.dataDir})`],
  queues: [
    'spec',
    'a durable queue, repeatable: NAME=PREFIX[,PREFIX...][;max-messages=N][;max-bytes=SIZE][;max-age=DURATION][;overflow=reject|drop-oldest][;max-dead=N]; the variable takes several separated by spaces (default none)',
  ],
  ackWaitMs: [
    'duration',
    `how long a delivery stays leased without ACK, NAK, TERM or PROGRESS (default ${formatDuration(d.ackWaitMs)})`,
  ],
  maxDeliveries: [
    'n',
    `deliveries of a message before it becomes a dead letter, 1..250 (default ${d.maxDeliveries})`,
  ],
  dedupWindowMs: [
    'duration',
    `how long a confirmed message's id keeps a re-sent copy out (default ${formatDuration(d.dedupWindowMs)})`,
  ],
  natsUser: ['user', 'NATS user of a JetStream store, with --nats-password (default none)'],
  natsPassword: ['password', 'NATS password; prefer the variable to the flag (default none)'],
  natsCreds: [
    'file',
    'NATS credentials file (JWT and nkey seed) of a JetStream store (default none)',
  ],
  natsTlsCa: [
    'file',
    'PEM file of the CAs that signed the NATS servers: connect with TLS (default none)',
  ],
  natsReplicas: [
    'n|auto',
    `replicas of each JetStream stream, 1..5; auto: 3 on a cluster of 3 servers or more, else 1 (default ${d.natsReplicas})`,
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
  if (argv[0] === 'keygen') return parseKeygen(argv.slice(1));
  const program = new Command('zmq-mq-broker')
    .description(
      'zmq-mq broker: ingress SUB -> fan-out PUB + work-queue PUSH. Every flag also reads from its environment variable; sizes take KiB, MiB, GiB (1024s) or KB, MB, GB (1000s), durations ms, s or m. `zmq-mq-broker keygen --out NAME` writes a CURVE key pair. Reference: apps/broker/README.md.',
    )
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  for (const key of Object.keys(OPTION_NAMES) as BrokerOptionKey[]) {
    const [arg, text] = DESCRIPTIONS[key];
    const flag = BOOLEAN_OPTIONS.has(key)
      ? OPTION_NAMES[key].flag
      : `${OPTION_NAMES[key].flag} <${arg}>`;
    const option = new Option(flag, `${text} [env ${OPTION_NAMES[key].env}]`);
    // --queue is repeatable: each one a queue.
    if (key === 'queues') option.argParser((v: string, prev?: string[]) => [...(prev ?? []), v]);
    program.addOption(option);
  }
  const stop = parseOrExit(program, argv, 'zmq-mq-broker');
  if (stop !== undefined) return stop;
  const input: BrokerOptionsInput = {};
  const names: Partial<Record<BrokerOptionKey, string>> = {};
  const values = program.opts<Record<string, string | string[] | boolean | undefined>>();
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

/** `keygen --out NAME`: where to write NAME.key and NAME.pub. */
function parseKeygen(argv: readonly string[]): CliResult {
  const program = new Command('zmq-mq-broker keygen')
    .description(
      'Write a new CURVE key pair: NAME.key (the secret, mode 0600; never overwritten) and NAME.pub (its public key, one allowlist line). Give NAME.pub to whoever must trust NAME.',
    )
    .requiredOption('-o, --out <name>', 'path and name of the pair, such as keys/broker')
    .helpOption('-h, --help', 'show this help')
    .allowExcessArguments(false)
    .exitOverride()
    .configureOutput({ writeOut: () => undefined, writeErr: () => undefined });
  const stop = parseOrExit(program, argv, 'zmq-mq-broker keygen');
  if (stop !== undefined) return stop;
  return { kind: 'keygen', out: program.opts<{ out: string }>().out };
}

/**
 * Parses `argv` with `program`: undefined when it may run, else the exit its flags ask for
 * (help: 0; a commander error: 2 with one line starting with `name`).
 */
function parseOrExit(
  program: Command,
  argv: readonly string[],
  name: string,
): CliResult | undefined {
  try {
    program.parse(argv, { from: 'user' });
    return undefined;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help') {
      return { kind: 'exit', code: 0, output: program.helpInformation() };
    }
    return { kind: 'exit', code: 2, output: `${name}: ${err.message.replace(/^error: /, '')}` };
  }
}
