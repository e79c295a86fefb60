// Command-line options of `npm run bench -- [flags]`.
import { parseArgs } from 'node:util';
import { ALL_BROKER_IDS, BROKER_IDS, CURVE_BROKER_IDS } from './brokers';
import type { BrokerId } from './brokers';
import { DASHBOARD_WATCHES, type DashboardWatch } from './dashboard-watcher';
import type { Meter } from './messages';
import type { Scheduling } from './processes';
import { NATS_PASSWORD_ENV, SYSTEM_IDS } from './reliable/messages';
import type { SystemId } from './reliable/messages';
import type { ExternalNats } from './reliable/nats-store';
import { STORE_FLAGS, parseStoreFlags } from './reliable/store-options';
import type { StoreFlagValues } from './reliable/store-options';

export interface BenchOptions {
  quick: boolean;
  brokers: BrokerId[];
  payloads: number[];
  producers: number[];
  windowMs: number;
  /** Instead of saturation: every broker at this fixed total rate (msgs/s). */
  fixedRate: number | null;
  dropAtProducer: boolean;
  /** How the processes of a fixed-rate run are scheduled (`--sched`). */
  scheduling: Scheduling;
  /** The rate search runs a second time with every process under SCHED_FIFO. */
  fifoSearch: boolean;
  /** The load processes' sockets: the lean ZMTP implementation or zeromq.js. */
  meter: Meter;
  /** Our broker's monitor and dashboard during saturation and rate runs (`--dashboard`). */
  dashboard: DashboardWatch;
  saturation: boolean;
  rateSearch: boolean;
  /** Payload/producer combinations the rate search covers (default: the first of each). */
  rateMatrix: boolean;
  confirmations: number;
  /** Runs at half the highest rate; the report takes the median one. */
  halfRuns: number;
  memory: boolean;
  memoryMessages: number;
  memoryRatePerSec: number;
  memoryQueueBytes: number;
  profile: boolean;
  /** Only the durable-queue benchmark (tools/bench/src/reliable/), nothing else. */
  reliable: boolean;
  /** The systems of the durable-queue benchmark. */
  systems: SystemId[];
  /** Durable queues: unconfirmed publishes per producer at most. */
  confirmWindow: number;
  /** Durable queues: unacked deliveries the consumer holds at most (prefetch, credit). */
  prefetch: number;
  /** Durable queues: the NATS servers of `--store`, or null (a nats-server of each run's own). */
  store: ExternalNats | null;
  /** Only the machine speed check (tools/bench/src/speed-check.ts), then exit. */
  speedCheckOnly: boolean;
  /** CURVE's cost: our broker with and without CURVE, side by side (`--curve`). */
  curve: boolean;
  build: boolean;
  outDir: string;
  name: string;
  help: boolean;
}

export const USAGE = `usage: npm run bench -- [flags]

  --quick                 saturation only, 100 B, 1 producer, 2 s windows (under a minute)
  --brokers LIST          comma list of ${ALL_BROKER_IDS.join(', ')} (default: all available
                          but ours-curve, our broker with CURVE on every port: it needs --meter zeromq)
  --payloads LIST         payload bytes (default 100,1024,16384,65536)
  --producers LIST        producer counts (default 1,4)
  --window MS             measured window per run (default 3000)
  --rate N                run the matrix at a fixed total rate N msg/s instead of saturation
  --sched default|fifo    with --rate: run every process (broker, producers, consumers) under the
                          default scheduler or under SCHED_FIFO priority 1 (\`chrt --fifo 1\`)
  --meter zmtp|zeromq     producers and consumers speak ZMTP on net sockets (default) or use zeromq.js
  --drop-at-producer      saturation producers drop at their own PUB instead of waiting (noDrop)
  --dashboard off|idle|open
                          our broker's monitor in saturation and rate runs: off (default), idle
                          (on, its dashboard sampling, nobody watching) or open (one reader of
                          its event stream, as an open dashboard page)
  --no-saturation         skip the saturation matrix
  --no-rate-search        skip the rate search
  --rate-matrix           rate-search every payload/producer combination (default: first only)
  --confirmations N       repeat runs that must pass at the found rate (default 2)
  --half-runs N           runs at half the highest rate, the median one reported (default 3)
  --no-fifo               skip the second rate search, every process under SCHED_FIFO
  --no-memory             skip the memory test (default: on unless --quick)
  --memory-messages N     messages in the memory flood (default 1000000)
  --memory-rate N         flood rate, msgs/s (default 100000)
  --memory-queue-bytes N  our broker's --queue-max-bytes in the memory test (default 134217728)
  --profile               run our broker once under saturation with --cpu-prof, list top functions
  --no-build              do not rebuild the broker and the bench first
  --speed-check           only time the machine speed check (a register loop and a memory loop)
  --curve                 CURVE's cost: our broker as it is and with CURVE on every port, side by
                          side, both under zeromq.js load processes (--meter zeromq: the lean ZMTP
                          meter speaks no CURVE); saturation only, payloads 100,16384 and 1 producer
                          unless given
  --reliable              only the durable-queue benchmark: confirmed publish + acked consume at
                          saturation, ours against NATS JetStream and RabbitMQ (installed with
                          apt-get when missing, as root); payloads 100,1024 and 1,4 producers
                          (--quick: 100 B, 1 producer)
  --systems LIST          with --reliable: comma list of ${SYSTEM_IDS.join(', ')} (default: all)
  --confirm-window N      with --reliable: unconfirmed publishes per producer (default 1000)
  --prefetch N            with --reliable: unacked deliveries per consumer (default 1000)
  --store nats://HOST:PORT[,HOST:PORT...]
                          with --reliable: run JetStream on these NATS servers (started by you,
                          e.g. a 3-server cluster) instead of a nats-server of each run's own:
                          our broker with --store on them, JetStream used directly on them, and
                          our broker on LMDB (default --systems zmq-mq,zmq-mq-jetstream,jetstream);
                          each run on streams of fresh names, removed afterwards; their CPU,
                          memory and disk are not measured
  --nats-user U, --nats-password P, --nats-creds FILE, --nats-tls-ca FILE
                          with --store: how to log in to them, as the broker takes them (the
                          password also from ${NATS_PASSWORD_ENV})
  --nats-replicas N|auto  with --store: replicas of every stream, ours and JetStream's alike
                          (default auto: 3 on a cluster of 3 servers or more, else 1)
  --out DIR               results directory (default bench-results)
  --name NAME             result file name (default: quick or full; reliable or reliable-quick;
                          reliable-store or reliable-store-quick with --store)
  --help`;

function list(value: string | undefined, fallback: number[]): number[] {
  if (value === undefined) return fallback;
  const out = value.split(',').map((s) => Number(s.trim()));
  if (out.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error(`not a list of positive integers: ${value}`);
  return out;
}

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--${name} must be a positive number, got ${value}`);
  return n;
}

function schedulingOf(value: string | undefined, fixedRate: boolean): Scheduling {
  if (value === undefined || value === 'default') return 'default';
  if (value !== 'fifo') throw new Error(`--sched must be default or fifo, got ${value}`);
  if (!fixedRate)
    throw new Error('--sched fifo needs --rate: saturating real-time processes starve the machine');
  return value;
}

function meterOf(value: string | undefined): Meter {
  if (value === 'zmtp' || value === 'zeromq' || value === undefined) return value ?? 'zmtp';
  throw new Error(`--meter must be zmtp or zeromq, got ${value}`);
}

function dashboardOf(value: string | undefined): DashboardWatch {
  const found = DASHBOARD_WATCHES.find((w) => w === (value ?? 'off'));
  if (found === undefined) throw new Error(`--dashboard must be off, idle or open, got ${value}`);
  return found;
}

/** Result files: bench-results/<name>.{json,md,svg}. */
function defaultName(quick: boolean, reliable: boolean, curve: boolean, store: boolean): string {
  if (reliable) return `reliable${store ? '-store' : ''}${quick ? '-quick' : ''}`;
  if (curve) return 'curve';
  return quick ? 'quick' : 'full';
}

/** Systems with `--store` unless `--systems` says: ours on both stores, JetStream direct. */
const STORE_SYSTEMS: readonly SystemId[] = ['zmq-mq', 'zmq-mq-jetstream', 'jetstream'];

/** Every option, checked; `env` gives the NATS password when no flag does. */
export function parseOptions(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = {},
): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      brokers: { type: 'string' },
      payloads: { type: 'string' },
      producers: { type: 'string' },
      window: { type: 'string' },
      rate: { type: 'string' },
      sched: { type: 'string' },
      'no-fifo': { type: 'boolean', default: false },
      'drop-at-producer': { type: 'boolean', default: false },
      meter: { type: 'string' },
      curve: { type: 'boolean', default: false },
      dashboard: { type: 'string', default: 'off' },
      'no-saturation': { type: 'boolean', default: false },
      'no-rate-search': { type: 'boolean', default: false },
      'rate-matrix': { type: 'boolean', default: false },
      confirmations: { type: 'string' },
      'half-runs': { type: 'string' },
      'no-memory': { type: 'boolean', default: false },
      'memory-messages': { type: 'string' },
      'memory-rate': { type: 'string' },
      'memory-queue-bytes': { type: 'string' },
      profile: { type: 'boolean', default: false },
      'speed-check': { type: 'boolean', default: false },
      reliable: { type: 'boolean', default: false },
      systems: { type: 'string' },
      'confirm-window': { type: 'string' },
      prefetch: { type: 'string' },
      store: { type: 'string' },
      'nats-user': { type: 'string' },
      'nats-password': { type: 'string' },
      'nats-creds': { type: 'string' },
      'nats-tls-ca': { type: 'string' },
      'nats-replicas': { type: 'string' },
      'no-build': { type: 'boolean', default: false },
      out: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const quick = values.quick === true;
  const reliable = values.reliable === true;
  for (const flag of ['systems', 'confirm-window', 'prefetch'] as const)
    if (!reliable && values[flag] !== undefined) throw new Error(`--${flag} needs --reliable`);
  const storeFlags: StoreFlagValues = Object.fromEntries(STORE_FLAGS.map((f) => [f, values[f]]));
  const store = parseStoreFlags(storeFlags, reliable, env[NATS_PASSWORD_ENV] || undefined);
  const systems = (values.systems?.split(',').map((s) => s.trim()) ?? [
    ...(store ? STORE_SYSTEMS : SYSTEM_IDS),
  ]) as SystemId[];
  for (const s of systems) if (!SYSTEM_IDS.includes(s)) throw new Error(`unknown system "${s}"`);
  if (store && !systems.some((s) => s === 'jetstream' || s === 'zmq-mq-jetstream'))
    throw new Error('--store needs zmq-mq-jetstream or jetstream in --systems');
  const curve = values.curve === true;
  if (curve && reliable) throw new Error('--curve and --reliable are separate runs');
  const brokers = (values.brokers?.split(',').map((s) => s.trim()) ?? [
    ...(curve ? CURVE_BROKER_IDS : BROKER_IDS),
  ]) as BrokerId[];
  for (const b of brokers) {
    if (!ALL_BROKER_IDS.includes(b)) throw new Error(`unknown broker "${b}"`);
  }
  // CURVE load processes are zeromq.js sockets: --curve (or ours-curve) means --meter zeromq.
  const needsZeromq = curve || brokers.includes('ours-curve');
  const asked = meterOf(values.meter);
  if (needsZeromq && values.meter !== undefined && asked !== 'zeromq') {
    throw new Error('CURVE needs --meter zeromq: the lean ZMTP meter speaks no CURVE');
  }
  const meter = needsZeromq ? 'zeromq' : asked;
  return {
    quick,
    brokers,
    payloads: list(
      values.payloads,
      quick ? [100] : reliable ? [100, 1024] : curve ? [100, 16384] : [100, 1024, 16384, 65536],
    ),
    producers: list(values.producers, quick || curve ? [1] : [1, 4]),
    windowMs: positive('window', values.window, quick ? 2000 : 3000),
    fixedRate: values.rate === undefined ? null : positive('rate', values.rate, 1),
    dropAtProducer: values['drop-at-producer'] === true,
    scheduling: schedulingOf(values.sched, values.rate !== undefined),
    fifoSearch: values['no-fifo'] !== true,
    meter,
    dashboard: dashboardOf(values.dashboard),
    saturation: values['no-saturation'] !== true && !reliable,
    rateSearch: values['no-rate-search'] !== true && !quick && !reliable && !curve,
    rateMatrix: values['rate-matrix'] === true,
    confirmations: Math.floor(positive('confirmations', values.confirmations, 2)),
    halfRuns: Math.max(1, Math.floor(positive('half-runs', values['half-runs'], 3))),
    memory: values['no-memory'] !== true && !quick && !reliable && !curve,
    memoryMessages: Math.floor(positive('memory-messages', values['memory-messages'], 1_000_000)),
    memoryRatePerSec: positive('memory-rate', values['memory-rate'], 100_000),
    memoryQueueBytes: Math.floor(
      positive('memory-queue-bytes', values['memory-queue-bytes'], 128 * 1024 * 1024),
    ),
    profile: values.profile === true && !reliable,
    reliable,
    systems,
    confirmWindow: Math.floor(positive('confirm-window', values['confirm-window'], 1000)),
    prefetch: Math.floor(positive('prefetch', values.prefetch, 1000)),
    store,
    speedCheckOnly: values['speed-check'] === true,
    curve,
    build: values['no-build'] !== true,
    outDir: values.out ?? 'bench-results',
    name: values.name ?? defaultName(quick, reliable, curve, store !== null),
    help: values.help === true,
  };
}
