import {
  DEFAULT_INGRESS,
  DEFAULT_PUBLISH,
  DEFAULT_PUSH,
  DEFAULT_RELIABLE,
  MAX_INT32,
  OptionError,
  parseBindEndpoint,
  parseChoice,
  parseInteger,
  PUSH_FORMATS,
  type IntegerRange,
  type PushFormat,
} from '@zmq-mq/protocol';
import { checkSecurityOptions } from './security/security-options';
import {
  DEFAULT_DATA_DIR,
  DEFAULT_DEDUP_WINDOW_MS,
  DEFAULT_MAX_DELIVERIES,
  MAX_MAX_DELIVERIES,
  MAX_REPLICAS,
  MIN_JETSTREAM_DEDUP_WINDOW_MS,
  parseServer,
  StoreOptionError,
  type QueueDefinition,
  type QueueDefinitionInput,
} from '@zmq-mq/queue-store';
import { parseQueueSpecs } from './reliable/queue-spec';

export type { PushFormat };
/** Work messages held while no worker can take them (count). */
export const DEFAULT_QUEUE_MAX_MESSAGES = 100_000;
/** Work messages held while no worker can take them (bytes of all frames): 64 MiB. */
export const DEFAULT_QUEUE_MAX_BYTES = 64 * 1024 * 1024;
/** Messages libzmq queues per subscriber before it drops for that subscriber; 0 = unlimited. */
export const DEFAULT_PUBLISH_HWM = 10_000;
/**
 * Messages libzmq holds per producer at the ingress while the broker is behind (libzmq's own
 * default); past it the producer feels TCP backpressure. 0 = unlimited.
 */
export const DEFAULT_INGRESS_HWM = 1000;
/** Largest message accepted, all frames together (bytes): 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** How long `stop()` keeps delivering queued work to connected workers (ms). */
export const DEFAULT_DRAIN_TIMEOUT_MS = 5000;
/** The monitor HTTP endpoint (`/healthz`, `/metrics`, `/stats`). */
export const DEFAULT_MONITOR = '127.0.0.1:9557';
/** How often drops are summarised in the log (ms). */
export const DEFAULT_DROP_LOG_INTERVAL_MS = 10_000;
/** libzmq I/O threads (libzmq's own default). */
export const DEFAULT_IO_THREADS = 1;
/** A bound on --io-threads: more threads than this only cost memory and wake-ups. */
export const MAX_IO_THREADS = 64;
/**
 * Messages the push socket holds per worker before it counts that worker as full (its send
 * high-water mark; libzmq's default). With --push-send-buffer it bounds what a worker that dies
 * takes with it, uncounted, besides its own receive queue: 1,222-1,232 messages of 100 B
 * measured. Every smaller window measured let the work path fall behind the fan-out at
 * saturation on 2 shared cores (docs/adr/0019-hostile-peers-on-loopback.md).
 */
export const DEFAULT_PUSH_HWM = 1000;
/**
 * The push socket's kernel send buffer per worker connection (SO_SNDBUF, bytes): 64 KiB. Left
 * to the kernel it grows to 4 MiB for a worker that reads slowly; 16 KiB cost throughput.
 */
export const DEFAULT_PUSH_SEND_BUFFER_BYTES = 64 * 1024;
/**
 * The same in native mode (`--push-format full`), unless set: 1 MiB. Native mode already drops
 * at its tap uncounted and is chosen for speed; with messages of 16 KiB and more a 64 KiB buffer
 * made libzmq's I/O thread wake for every message or two (native mode at 64 KiB: 154 against
 * 104 µs of CPU a message), while with 100 B messages a killed worker takes about 15,000 with it
 * instead of 1,800 (docs/adr/0022-io-batches-threads-and-buffers.md).
 */
export const DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES = 1024 * 1024;
/**
 * How long a connection may take to complete its ZeroMQ handshake before the broker closes it
 * (libzmq's ZMQ_HANDSHAKE_IVL, 30 s by default): a connection that never speaks holds a file
 * descriptor until then.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long a durable-queue delivery stays leased without ACK, NAK, TERM or PROGRESS (ms). */
export const DEFAULT_ACK_WAIT_MS = 30_000;
export { DEFAULT_DATA_DIR, DEFAULT_DEDUP_WINDOW_MS, DEFAULT_MAX_DELIVERIES };

/** Where durable queues live: `lmdb` on disk in --data-dir (fsync'd confirms), `memory` in the process. */
export type StoreKind = 'lmdb' | 'memory';
export const STORE_KINDS: readonly StoreKind[] = ['lmdb', 'memory'];
/**
 * `--store`: a StoreKind, or NATS JetStream as `nats://HOST:PORT[,HOST:PORT…]` (servers of one
 * cluster, each `nats://` or `tls://` once parsed, joined by commas).
 */
export type StoreSpec = StoreKind | `nats://${string}` | `tls://${string}`;
/** `--nats-replicas`: replicas of every stream, or `auto` (3 on a cluster of 3 servers or more, else 1). */
export type NatsReplicas = number | 'auto';

/** The NATS servers of a JetStream store spec; undefined for lmdb and memory. */
export function natsServers(store: StoreSpec): string[] | undefined {
  return store === 'lmdb' || store === 'memory' ? undefined : store.split(',');
}

/**
 * What happens to a work message when no worker can take it now.
 * - `drop-newest`: queue it; when the queue is full, drop the incoming message.
 * - `drop-oldest`: queue it; when the queue is full, drop the oldest queued message.
 * - `drop`: the original design: never queue, drop it (counted).
 */
export type PushPolicy = 'drop-newest' | 'drop-oldest' | 'drop';
export const PUSH_POLICIES: readonly PushPolicy[] = ['drop-newest', 'drop-oldest', 'drop'];

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

export interface MonitorAddress {
  host: string;
  port: number;
}

/** Validated broker configuration. */
export interface BrokerOptions {
  ingress: string;
  publish: string;
  push: string;
  queueMaxMessages: number;
  queueMaxBytes: number;
  pushPolicy: PushPolicy;
  pushFormat: PushFormat;
  publishHwm: number;
  ingressHwm: number;
  maxMessageBytes: number;
  drainTimeoutMs: number;
  /** null: no monitor endpoint. */
  monitor: MonitorAddress | null;
  logLevel: LogLevel;
  dropLogIntervalMs: number;
  /** libzmq I/O threads for this broker's sockets (more than 1: a context of its own). */
  ioThreads: number;
  /** The broker's CURVE secret key file (`NAME.key`): CURVE on every port; null: plain text. */
  curveSecretKeyFile: string | null;
  /** Public keys allowed to produce (ingress), one a line (docs/security.md); null: none. */
  allowProducers: string | null;
  /** Public keys allowed to subscribe (publish port); null: none. */
  allowSubscribers: string | null;
  /** Public keys allowed to take work (push port); null: none. */
  allowWorkers: string | null;
  /** Bind beyond loopback without CURVE all the same (plain text, a warning at start). */
  insecure: boolean;
  /** The monitor's bearer token, in a file; required for a monitor beyond loopback. */
  monitorTokenFile: string | null;
  /** The push socket's send high-water mark, messages per worker (at least 1). */
  pushHwm: number;
  /**
   * The push socket's kernel send buffer per worker connection, bytes (unless set: 64 KiB, 1 MiB
   * in native mode).
   */
  pushSendBufferBytes: number;
  /** Longest a connection may take to complete its ZeroMQ handshake, ms (at least 1). */
  handshakeTimeoutMs: number;
  /** The reliable port (a bound ROUTER) of the durable queues; null: off. */
  reliable: string | null;
  /** The durable queues' store. */
  store: StoreSpec;
  /** The LMDB store's directory (`store: 'lmdb'`). */
  dataDir: string;
  /** Durable queues declared at start (created, or updated to these limits). */
  queues: QueueDefinition[];
  /** A delivery's lease when CONSUME asks for none (ms). */
  ackWaitMs: number;
  /** Deliveries of a message before it becomes a dead letter. */
  maxDeliveries: number;
  /** How long a confirmed message's id keeps a re-sent copy out (ms). */
  dedupWindowMs: number;
  /** NATS user (with `natsPassword`) for a JetStream store; null: none. */
  natsUser: string | null;
  natsPassword: string | null;
  /** A NATS credentials file for a JetStream store; null: none. */
  natsCreds: string | null;
  /** A PEM file of certificate authorities: TLS to the NATS servers; null: no TLS unless tls:// */
  natsTlsCa: string | null;
  /** Replicas of a JetStream store's streams. */
  natsReplicas: NatsReplicas;
}

export type BrokerOptionKey = keyof BrokerOptions;

/** Raw values as they come from flags, environment or code: strings or typed values. */
export type BrokerOptionsInput = {
  [K in Exclude<BrokerOptionKey, 'queues'>]?: BrokerOptions[K] | string | number | null;
} & {
  /** `--queue` specs (`NAME=PREFIX[,PREFIX…][;key=value…]`) or definitions. */
  queues?: string | readonly (string | QueueDefinitionInput)[] | null;
};

/** The command-line flag and environment variable of each option. */
export const OPTION_NAMES: Record<BrokerOptionKey, { flag: string; env: string }> = {
  ingress: { flag: '--ingress', env: 'ZMQMQ_INGRESS' },
  publish: { flag: '--publish', env: 'ZMQMQ_PUBLISH' },
  push: { flag: '--push', env: 'ZMQMQ_PUSH' },
  queueMaxMessages: { flag: '--queue-max-messages', env: 'ZMQMQ_QUEUE_MAX_MESSAGES' },
  queueMaxBytes: { flag: '--queue-max-bytes', env: 'ZMQMQ_QUEUE_MAX_BYTES' },
  pushPolicy: { flag: '--push-policy', env: 'ZMQMQ_PUSH_POLICY' },
  pushFormat: { flag: '--push-format', env: 'ZMQMQ_PUSH_FORMAT' },
  publishHwm: { flag: '--publish-hwm', env: 'ZMQMQ_PUBLISH_HWM' },
  ingressHwm: { flag: '--ingress-hwm', env: 'ZMQMQ_INGRESS_HWM' },
  maxMessageBytes: { flag: '--max-message-bytes', env: 'ZMQMQ_MAX_MESSAGE_BYTES' },
  drainTimeoutMs: { flag: '--drain-timeout', env: 'ZMQMQ_DRAIN_TIMEOUT' },
  monitor: { flag: '--monitor', env: 'ZMQMQ_MONITOR' },
  logLevel: { flag: '--log-level', env: 'ZMQMQ_LOG_LEVEL' },
  dropLogIntervalMs: { flag: '--drop-log-interval', env: 'ZMQMQ_DROP_LOG_INTERVAL' },
  ioThreads: { flag: '--io-threads', env: 'ZMQMQ_IO_THREADS' },
  curveSecretKeyFile: { flag: '--curve-secret-key-file', env: 'ZMQMQ_CURVE_SECRET_KEY_FILE' },
  allowProducers: { flag: '--allow-producers', env: 'ZMQMQ_ALLOW_PRODUCERS' },
  allowSubscribers: { flag: '--allow-subscribers', env: 'ZMQMQ_ALLOW_SUBSCRIBERS' },
  allowWorkers: { flag: '--allow-workers', env: 'ZMQMQ_ALLOW_WORKERS' },
  insecure: { flag: '--insecure', env: 'ZMQMQ_INSECURE' },
  monitorTokenFile: { flag: '--monitor-token-file', env: 'ZMQMQ_MONITOR_TOKEN_FILE' },
  pushHwm: { flag: '--push-hwm', env: 'ZMQMQ_PUSH_HWM' },
  pushSendBufferBytes: { flag: '--push-send-buffer', env: 'ZMQMQ_PUSH_SEND_BUFFER' },
  handshakeTimeoutMs: { flag: '--handshake-timeout', env: 'ZMQMQ_HANDSHAKE_TIMEOUT' },
  reliable: { flag: '--reliable', env: 'ZMQMQ_RELIABLE' },
  store: { flag: '--store', env: 'ZMQMQ_STORE' },
  dataDir: { flag: '--data-dir', env: 'ZMQMQ_DATA_DIR' },
  queues: { flag: '--queue', env: 'ZMQMQ_QUEUE' },
  ackWaitMs: { flag: '--ack-wait', env: 'ZMQMQ_ACK_WAIT' },
  maxDeliveries: { flag: '--max-deliveries', env: 'ZMQMQ_MAX_DELIVERIES' },
  dedupWindowMs: { flag: '--dedup-window', env: 'ZMQMQ_DEDUP_WINDOW' },
  natsUser: { flag: '--nats-user', env: 'ZMQMQ_NATS_USER' },
  natsPassword: { flag: '--nats-password', env: 'ZMQMQ_NATS_PASSWORD' },
  natsCreds: { flag: '--nats-creds', env: 'ZMQMQ_NATS_CREDS' },
  natsTlsCa: { flag: '--nats-tls-ca', env: 'ZMQMQ_NATS_TLS_CA' },
  natsReplicas: { flag: '--nats-replicas', env: 'ZMQMQ_NATS_REPLICAS' },
};

/** Options that are on or off: a flag without a value (`true`, `1`, `false`, `0` from a variable). */
export const BOOLEAN_OPTIONS: ReadonlySet<BrokerOptionKey> = new Set(['insecure']);

/** Options whose value is a secret: never shown (the monitor's `/broker` says `(hidden)`). */
export const SECRET_OPTIONS: ReadonlySet<BrokerOptionKey> = new Set(['natsPassword']);

const DEFAULTS: BrokerOptions = {
  ingress: DEFAULT_INGRESS,
  publish: DEFAULT_PUBLISH,
  push: DEFAULT_PUSH,
  queueMaxMessages: DEFAULT_QUEUE_MAX_MESSAGES,
  queueMaxBytes: DEFAULT_QUEUE_MAX_BYTES,
  pushPolicy: 'drop-newest',
  pushFormat: 'payload',
  publishHwm: DEFAULT_PUBLISH_HWM,
  ingressHwm: DEFAULT_INGRESS_HWM,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  drainTimeoutMs: DEFAULT_DRAIN_TIMEOUT_MS,
  monitor: parseMonitor(DEFAULT_MONITOR, '--monitor'),
  logLevel: 'info',
  dropLogIntervalMs: DEFAULT_DROP_LOG_INTERVAL_MS,
  ioThreads: DEFAULT_IO_THREADS,
  curveSecretKeyFile: null,
  allowProducers: null,
  allowSubscribers: null,
  allowWorkers: null,
  insecure: false,
  monitorTokenFile: null,
  pushHwm: DEFAULT_PUSH_HWM,
  pushSendBufferBytes: DEFAULT_PUSH_SEND_BUFFER_BYTES,
  handshakeTimeoutMs: DEFAULT_HANDSHAKE_TIMEOUT_MS,
  reliable: DEFAULT_RELIABLE,
  store: 'lmdb',
  dataDir: DEFAULT_DATA_DIR,
  queues: [],
  ackWaitMs: DEFAULT_ACK_WAIT_MS,
  maxDeliveries: DEFAULT_MAX_DELIVERIES,
  dedupWindowMs: DEFAULT_DEDUP_WINDOW_MS,
  natsUser: null,
  natsPassword: null,
  natsCreds: null,
  natsTlsCa: null,
  natsReplicas: 'auto',
};

/** The defaults, as `npm start` runs them. */
export function defaultBrokerOptions(): BrokerOptions {
  return { ...DEFAULTS, monitor: DEFAULTS.monitor && { ...DEFAULTS.monitor }, queues: [] };
}

/** An endpoint to bind, or `off` (null). */
function parseOptionalEndpoint(name: string, value: unknown): string | null {
  if (value === null || value === 'off' || value === false) return null;
  return parseBindEndpoint(name, value);
}

/** A duration of at least 1 ms. */
function parsePositiveDuration(value: unknown, name: string): number {
  const ms = parseDuration(value, name);
  if (ms < 1) throw new OptionError(name, value, 'must be at least 1ms');
  return ms;
}

/** A count from a flag, an environment variable (text) or code: a whole number min..max. */
function wholeNumber(min: number, max: number, note = ''): IntegerRange {
  return { text: true, min, max, what: `a whole number ${min}..${max}${note}` };
}

const HWM = wholeNumber(0, MAX_INT32, ' (0 means unlimited)');

/**
 * Checks an endpoint to bind (`tcp://host:port` with port or `*`, `ipc://path`, `inproc://name`):
 * `parseBindEndpoint` of @zmq-mq/protocol, with the value first as in the broker's other parsers.
 */
export function parseEndpoint(value: unknown, name: string): string {
  return parseBindEndpoint(name, value);
}

/** The options of the sockets the broker binds, in bind order (`reliable` may be off: null). */
export const BOUND_ENDPOINT_OPTIONS = ['ingress', 'publish', 'push', 'reliable'] as const;

const LOOPBACK_HOST = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|::1)$/;

/** True when a tcp endpoint is reachable beyond this machine (ipc and inproc are local). */
export function isExposedEndpoint(endpoint: string): boolean {
  const m = /^tcp:\/\/(.+):[^:]+$/.exec(endpoint);
  return m !== null && isExposedHost(m[1] as string);
}

/** True when a host to listen on is not a loopback address (`0.0.0.0` and `::` included). */
export function isExposedHost(host: string): boolean {
  return !LOOPBACK_HOST.test(host);
}

/** A file path option: a non-empty string, or null (none). */
function parseFile(value: unknown, name: string): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new OptionError(name, value, 'must be the path of a file');
}

/** An on/off option: a boolean, or `true`, `1`, `false`, `0` (from an environment variable). */
function parseSwitch(value: unknown, name: string): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new OptionError(name, value, 'must be true, 1, false or 0');
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
};

/** A byte size: a whole number, optionally with a unit (`64MiB`, `512k`, `1GB`). */
export function parseBytes(value: unknown, name: string, min = 1): number {
  if (typeof value === 'number')
    return parseInteger(name, value, { min, what: `a whole number of bytes >= ${min}` });
  const m = typeof value === 'string' ? /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(value) : null;
  const unit = m ? BYTE_UNITS[(m[2] as string).toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new OptionError(name, value, 'must be a size in bytes such as 1048576, 512KiB or 64MiB');
  }
  const bytes = Number(m[1]) * unit;
  if (!Number.isSafeInteger(bytes)) {
    throw new OptionError(name, value, `must be at most ${Number.MAX_SAFE_INTEGER} bytes`);
  }
  return parseInteger(name, bytes, { min, what: `at least ${min} bytes` });
}

/** A duration: milliseconds as a number, or a string with a unit (`5s`, `500ms`, `1m`). */
export function parseDuration(value: unknown, name: string): number {
  const what = `a whole number of milliseconds 0..${MAX_INT32} (about 24.8 days)`;
  if (typeof value === 'number') return parseInteger(name, value, { min: 0, max: MAX_INT32, what });
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(value) : null;
  if (!m) throw new OptionError(name, value, 'must be a duration such as 5000, 500ms, 5s or 1m');
  const factor = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 1;
  const ms = Math.round(Number(m[1]) * factor);
  if (ms > MAX_INT32)
    throw new OptionError(name, value, `must be at most ${MAX_INT32} ms (about 24.8 days)`);
  return ms;
}

const BINARY_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['GiB', 1024 ** 3],
  ['MiB', 1024 ** 2],
  ['KiB', 1024],
];

/**
 * A byte count as a user writes it: in the largest binary unit that divides it exactly
 * (`64MiB`, `1536KiB`), or plain bytes (`1000`). `parseBytes` reads it back to the same number.
 */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of BINARY_UNITS) {
    if (bytes !== 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/**
 * Milliseconds as a user writes them: `1m`, `5s` or `250ms`, in the largest unit that divides
 * them exactly. `parseDuration` reads it back to the same number.
 */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * The smallest push send buffer accepted (bytes): the kernel doubles what it is asked for and
 * never goes below about 4.5 KiB, so a smaller request would not mean what it says.
 */
export const MIN_SEND_BUFFER_BYTES = 4096;

/** Shortest drop-summary interval: a summary at most ten times a second. */
export const MIN_DROP_LOG_INTERVAL_MS = 100;

/** A duration of at least MIN_DROP_LOG_INTERVAL_MS (a shorter one would flood the log). */
function parseDropLogInterval(value: unknown, name: string): number {
  const ms = parseDuration(value, name);
  if (ms < MIN_DROP_LOG_INTERVAL_MS) {
    throw new OptionError(name, value, `must be at least ${MIN_DROP_LOG_INTERVAL_MS}ms`);
  }
  return ms;
}

/** `host:port` (port 0 picks a free one), or `off`. */
export function parseMonitor(value: unknown, name: string): MonitorAddress | null {
  if (value === null || value === 'off' || value === false) return null;
  if (typeof value === 'object') {
    const { host, port } = value as Partial<MonitorAddress>;
    if (
      typeof host === 'string' &&
      host !== '' &&
      Number.isInteger(port) &&
      (port as number) >= 0 &&
      (port as number) <= 65535
    ) {
      return { host, port: port as number };
    }
  }
  const m =
    typeof value === 'string'
      ? /^(\[[0-9a-fA-F:.]+\]|[^:\s]+):(\d{1,5})$/.exec(value.trim())
      : null;
  if (!m || Number(m[2]) > 65535) {
    throw new OptionError(name, value, 'must be host:port (such as 127.0.0.1:9557) or off');
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/**
 * Validates every option and fills in defaults. Throws `OptionError` naming the first bad
 * option as the user wrote it (`names` maps an option to its flag or environment variable;
 * the flag by default).
 */
export function parseBrokerOptions(
  input: BrokerOptionsInput = {},
  names: Partial<Record<BrokerOptionKey, string>> = {},
): BrokerOptions {
  const known = new Set(Object.keys(OPTION_NAMES));
  for (const key of Object.keys(input)) {
    if (!known.has(key))
      throw new OptionError(key, (input as Record<string, unknown>)[key], 'is not a broker option');
  }
  const name = (k: BrokerOptionKey): string => names[k] ?? OPTION_NAMES[k].flag;
  const get = <K extends BrokerOptionKey>(k: K): unknown =>
    input[k] === undefined ? DEFAULTS[k] : input[k];

  const options: BrokerOptions = {
    ingress: parseBindEndpoint(name('ingress'), get('ingress')),
    publish: parseBindEndpoint(name('publish'), get('publish')),
    push: parseBindEndpoint(name('push'), get('push')),
    queueMaxMessages: parseInteger(
      name('queueMaxMessages'),
      get('queueMaxMessages'),
      wholeNumber(1, MAX_INT32),
    ),
    queueMaxBytes: parseBytes(get('queueMaxBytes'), name('queueMaxBytes')),
    pushPolicy: parseChoice(name('pushPolicy'), get('pushPolicy'), PUSH_POLICIES),
    pushFormat: parseChoice(name('pushFormat'), get('pushFormat'), PUSH_FORMATS),
    publishHwm: parseInteger(name('publishHwm'), get('publishHwm'), HWM),
    ingressHwm: parseInteger(name('ingressHwm'), get('ingressHwm'), HWM),
    maxMessageBytes: parseBytes(get('maxMessageBytes'), name('maxMessageBytes')),
    drainTimeoutMs: parseDuration(get('drainTimeoutMs'), name('drainTimeoutMs')),
    monitor:
      input.monitor === undefined ? DEFAULTS.monitor : parseMonitor(input.monitor, name('monitor')),
    logLevel: parseChoice(name('logLevel'), get('logLevel'), LOG_LEVELS),
    dropLogIntervalMs: parseDropLogInterval(get('dropLogIntervalMs'), name('dropLogIntervalMs')),
    ioThreads: parseInteger(name('ioThreads'), get('ioThreads'), wholeNumber(1, MAX_IO_THREADS)),
    curveSecretKeyFile: parseFile(get('curveSecretKeyFile'), name('curveSecretKeyFile')),
    allowProducers: parseFile(get('allowProducers'), name('allowProducers')),
    allowSubscribers: parseFile(get('allowSubscribers'), name('allowSubscribers')),
    allowWorkers: parseFile(get('allowWorkers'), name('allowWorkers')),
    insecure: parseSwitch(get('insecure'), name('insecure')),
    monitorTokenFile: parseFile(get('monitorTokenFile'), name('monitorTokenFile')),
    pushHwm: parseInteger(name('pushHwm'), get('pushHwm'), wholeNumber(1, MAX_INT32)),
    pushSendBufferBytes: parseBytes(
      get('pushSendBufferBytes'),
      name('pushSendBufferBytes'),
      MIN_SEND_BUFFER_BYTES,
    ),
    handshakeTimeoutMs: parseDuration(get('handshakeTimeoutMs'), name('handshakeTimeoutMs')),
    reliable: parseOptionalEndpoint(name('reliable'), get('reliable')),
    store: parseStore(get('store'), name('store')),
    dataDir: parseDataDir(get('dataDir'), name('dataDir')),
    queues: parseQueueSpecs(input.queues ?? [], name('queues'), {
      bytes: parseBytes,
      duration: parseDuration,
    }),
    ackWaitMs: parsePositiveDuration(get('ackWaitMs'), name('ackWaitMs')),
    maxDeliveries: parseInteger(
      name('maxDeliveries'),
      get('maxDeliveries'),
      wholeNumber(1, MAX_MAX_DELIVERIES),
    ),
    dedupWindowMs: parsePositiveDuration(get('dedupWindowMs'), name('dedupWindowMs')),
    natsUser: parseOptionalText(get('natsUser'), name('natsUser')),
    natsPassword: parseOptionalText(get('natsPassword'), name('natsPassword'), true),
    natsCreds: parseFile(get('natsCreds'), name('natsCreds')),
    natsTlsCa: parseFile(get('natsTlsCa'), name('natsTlsCa')),
    natsReplicas: parseReplicas(get('natsReplicas'), name('natsReplicas')),
  };
  if (input.pushSendBufferBytes === undefined && options.pushFormat === 'full') {
    options.pushSendBufferBytes = DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES;
  }
  if (options.pushSendBufferBytes > MAX_INT32) {
    throw new OptionError(
      name('pushSendBufferBytes'),
      options.pushSendBufferBytes,
      `must be at most ${MAX_INT32} bytes (a C int in libzmq)`,
    );
  }
  if (options.handshakeTimeoutMs === 0) {
    // libzmq takes 0 as "no limit": a connection that never speaks would hold its descriptor.
    throw new OptionError(name('handshakeTimeoutMs'), 0, 'must be at least 1ms');
  }
  checkNatsOptions(options, input, name);
  // Port * and port 0 both ask for an ephemeral port: such endpoints never collide.
  const sockets = BOUND_ENDPOINT_OPTIONS.filter((k) => options[k] !== null);
  sockets.forEach((key, i) => {
    const endpoint = options[key] as string;
    if (/^tcp:\/\/.+:(\*|0)$/.test(endpoint)) return;
    const earlier = sockets.slice(0, i).find((k) => options[k] === endpoint);
    if (earlier !== undefined) {
      throw new OptionError(name(key), endpoint, `must differ from ${name(earlier)}`);
    }
  });
  // Above one I/O thread, or with CURVE, the broker runs a ZeroMQ context of its own
  // (brokerContext), and an inproc:// endpoint can be reached only from the context that bound
  // it: nothing in the process could connect, and libzmq would not say so.
  const inproc = sockets.find((k) => options[k]?.startsWith('inproc://'));
  const ownContext =
    options.ioThreads > 1
      ? `${name('ioThreads')} above 1`
      : options.curveSecretKeyFile !== null
        ? name('curveSecretKeyFile')
        : undefined;
  if (inproc !== undefined && ownContext !== undefined) {
    throw new OptionError(
      name(inproc),
      options[inproc],
      `cannot be inproc:// with ${ownContext}: the broker then runs a ZeroMQ context of its own, which no other socket in the process can reach`,
    );
  }
  checkSecurityOptions(options, name, {
    endpoints: BOUND_ENDPOINT_OPTIONS,
    isExposedEndpoint,
    isExposedHost,
  });
  if (options.queueMaxBytes < options.maxMessageBytes) {
    throw new OptionError(
      name('queueMaxBytes'),
      options.queueMaxBytes,
      `must be at least ${name('maxMessageBytes')} (${options.maxMessageBytes}) so that any accepted message can be queued`,
    );
  }
  if (options.pushFormat === 'full' && options.publishHwm === 0) {
    // libzmq takes a pipe as unlimited when either end's high-water mark is 0, and in native
    // mode the work path's tap is a pipe of the publish socket (NativePaths).
    throw new OptionError(
      name('publishHwm'),
      0,
      `must be at least 1 with ${name('pushFormat')} full: the publish socket's high-water mark also bounds the native work queue, and 0 would leave it unbounded`,
    );
  }
  if (options.queues.length > 0 && options.reliable === null) {
    throw new OptionError(
      name('queues'),
      input.queues,
      `needs the reliable port, which ${name('reliable')} off turns off: nothing could consume the queue`,
    );
  }
  if (options.queues.length > 0 && options.pushFormat === 'full') {
    throw new OptionError(
      name('queues'),
      input.queues,
      `cannot be used with ${name('pushFormat')} full: in native mode no JavaScript sees plain-ingress messages, so none would reach the queue; queues declared with DECLARE take confirmed publishes only there`,
    );
  }
  return options;
}

/** `lmdb`, `memory` or `nats://HOST:PORT[,HOST:PORT…]` (each server checked). */
function parseStore(value: unknown, name: string): StoreSpec {
  if (value === 'lmdb' || value === 'memory') return value;
  const text = typeof value === 'string' ? value.trim() : '';
  if (/^(nats|tls):\/\//.test(text)) {
    try {
      return text
        .split(',')
        .map((server) => parseServer(server.trim()))
        .join(',') as StoreSpec;
    } catch (err) {
      if (!(err instanceof StoreOptionError)) throw err;
      throw new OptionError(
        name,
        text.replace(/\/\/[^@/,]*@/g, '//***@'),
        'must list NATS servers as nats://HOST:PORT[,HOST:PORT...], without user or password (use --nats-user and --nats-password or --nats-creds)',
      );
    }
  }
  throw new OptionError(name, value, 'must be lmdb, memory or nats://HOST:PORT[,HOST:PORT...]');
}

/** A non-empty text, or null when unset. A secret is not repeated in the error. */
function parseOptionalText(value: unknown, name: string, secret = false): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string' || value === '') {
    throw new OptionError(name, secret ? '(hidden)' : value, 'must be a non-empty text');
  }
  return value;
}

function parseReplicas(value: unknown, name: string): NatsReplicas {
  if (value === 'auto') return 'auto';
  return parseInteger(name, value, wholeNumber(1, MAX_REPLICAS, ' or auto'));
}

/** The NATS options go with a JetStream store only, and in workable combinations. */
function checkNatsOptions(
  o: BrokerOptions,
  input: BrokerOptionsInput,
  name: (k: BrokerOptionKey) => string,
): void {
  // At their defaults they count as not given: parsed BrokerOptions come back here as input.
  const given = (
    ['natsUser', 'natsPassword', 'natsCreds', 'natsTlsCa', 'natsReplicas'] as const
  ).filter((k) => o[k] !== DEFAULTS[k]);
  if (natsServers(o.store) === undefined) {
    const first = given[0];
    if (first !== undefined) {
      throw new OptionError(
        name(first),
        first === 'natsPassword' ? '(hidden)' : input[first],
        `needs ${name('store')} nats://HOST:PORT`,
      );
    }
    return;
  }
  if ((o.natsUser === null) !== (o.natsPassword === null)) {
    const missing = o.natsUser === null ? 'natsUser' : 'natsPassword';
    const other = missing === 'natsUser' ? 'natsPassword' : 'natsUser';
    throw new OptionError(name(missing), undefined, `must be given with ${name(other)}`);
  }
  if (o.natsUser !== null && o.natsCreds !== null) {
    throw new OptionError(
      name('natsCreds'),
      o.natsCreds,
      `cannot be used with ${name('natsUser')}: pick one way to log in`,
    );
  }
  if (o.dedupWindowMs < MIN_JETSTREAM_DEDUP_WINDOW_MS) {
    throw new OptionError(
      name('dedupWindowMs'),
      input.dedupWindowMs,
      `must be at least ${MIN_JETSTREAM_DEDUP_WINDOW_MS}ms with a JetStream store (JetStream's shortest duplicate window)`,
    );
  }
}

/** A directory path (created at start when missing). */
function parseDataDir(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new OptionError(name, value, 'must be a directory path');
  }
  return value;
}
