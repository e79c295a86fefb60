// The brokers under test, each started as a child process on fresh loopback ports.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPairFiles } from '@zmq-mq/protocol';
import { BROKER_MAIN, LIBZMQ_PROXY_PY, ORIGINAL_BROKER_PY, PYTHON, benchScript } from './paths';
import { watchDashboard, type DashboardWatch } from './dashboard-watcher';
import type { CurveClientKeys } from './messages';
import type { Child, ProcessGroup, Scheduling } from './processes';

export type BrokerId =
  'ours' | 'ours-native' | 'ours-curve' | 'plain' | 'pyzmq' | 'libzmq' | 'direct';

/** The brokers a run compares by default (`ours-curve` only with `--curve` or `--brokers`). */
export const BROKER_IDS: readonly BrokerId[] = [
  'ours',
  'ours-native',
  'plain',
  'pyzmq',
  'libzmq',
  'direct',
];

/** Every broker `--brokers` may name. */
export const ALL_BROKER_IDS: readonly BrokerId[] = [...BROKER_IDS, 'ours-curve'];

/** What `--curve` compares: our broker as it is, and the same with CURVE on every port. */
export const CURVE_BROKER_IDS: readonly BrokerId[] = ['ours', 'ours-curve'];

export interface Endpoints {
  ingress: string;
  publish: string;
  /** null when the broker has no work path (the no-broker ceiling). */
  push: string | null;
  /** Our broker's monitor (`http://…`), when started with one. */
  monitor?: string;
}

export interface RunningBroker {
  endpoints: Endpoints;
  /** A CURVE broker: the keys its load processes connect with (on every allowlist). */
  curve?: CurveClientKeys;
  /** The process whose CPU and memory are measured; null for the no-broker ceiling. */
  child: Child | null;
  stop(): Promise<void>;
}

export interface BrokerKind {
  id: BrokerId;
  label: string;
  /** What the work path delivers. */
  workPath: 'payload' | 'full' | 'none';
  start(group: ProcessGroup, options: StartOptions): Promise<RunningBroker>;
}

export interface StartOptions {
  /** Extra flags for our broker (e.g. queue bounds in the memory test). */
  extraArgs?: string[];
  /** Node flags for our broker (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Our broker: serve its monitor on an ephemeral port (for /stats). */
  monitor?: boolean;
  /**
   * Our broker: `idle` serves the monitor (its dashboard sampling once a second, nobody
   * watching), `open` also keeps one reader on its event stream, as an open page does.
   */
  dashboard?: DashboardWatch;
  /** How the broker process is scheduled (every broker the same way in one run). */
  scheduling?: Scheduling;
}

const START_TIMEOUT_MS = 15_000;
/** Every broker binds ephemeral loopback ports and tells which it got. */
const ANY = 'tcp://127.0.0.1:*';

/** Endpoints from a `ready <ingress> <publish> <push>` line (Python brokers, plain forwarder). */
export function parseReadyLine(line: string): Endpoints {
  const [, ingress, publish, push] = line.trim().split(/\s+/);
  if (!ingress || !publish || !push) throw new Error(`not a ready line: ${line}`);
  return { ingress, publish, push };
}

/** Endpoints from our broker's JSON "broker started" log line. */
export function parseStartedLine(line: string): Endpoints {
  const { ingress, publish, push, monitor } = JSON.parse(line) as Partial<Endpoints>;
  if (!ingress || !publish || !push) throw new Error(`no endpoints in: ${line}`);
  return monitor ? { ingress, publish, push, monitor } : { ingress, publish, push };
}

/** Starts a broker process and reads its bound endpoints from its output. */
async function startProcess(
  group: ProcessGroup,
  id: BrokerId,
  command: string,
  args: string[],
  ready: RegExp,
  parse: (line: string) => Endpoints,
  scheduling: Scheduling | undefined,
): Promise<RunningBroker> {
  const child = group.spawn(id, command, args, scheduling);
  const endpoints = parse(await child.waitForLine(ready, START_TIMEOUT_MS));
  return { endpoints, child, stop: () => child.stop('SIGTERM', 5000) };
}

/** Node flags for our broker from BENCH_BROKER_NODE_ARGS (`--cpu-prof`, ...), every scenario. */
export function brokerNodeArgs(): string[] {
  return process.env['BENCH_BROKER_NODE_ARGS']?.split(' ').filter(Boolean) ?? [];
}

/** Our broker's best-effort sockets, each on an ephemeral loopback port. */
export const SOCKET_FLAGS = ['--ingress', ANY, '--publish', ANY, '--push', ANY];

/** A CURVE broker's key files and the flags that start it with them. */
interface CurveSetup {
  flags: string[];
  client: CurveClientKeys;
}

let curveSetup: CurveSetup | undefined;

/**
 * Keys for `ours-curve`, made once per bench run in a temporary directory (removed at exit):
 * the broker's pair, and one client pair on all three allowlists.
 */
function curveKeys(): CurveSetup {
  if (curveSetup !== undefined) return curveSetup;
  const dir = mkdtempSync(join(tmpdir(), 'zmqmq-bench-curve-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const server = writeKeyPairFiles(join(dir, 'broker'));
  const client = writeKeyPairFiles(join(dir, 'load'));
  const list = join(dir, 'load.keys');
  writeFileSync(list, `${client.publicKey} load\n`);
  curveSetup = {
    flags: [
      ...['--curve-secret-key-file', server.secretPath],
      ...['--allow-producers', list, '--allow-subscribers', list, '--allow-workers', list],
    ],
    client: {
      curveServerKey: server.publicKey,
      curvePublicKey: client.publicKey,
      curveSecretKey: client.secretKey,
    },
  };
  return curveSetup;
}

const OUR_LABELS: Record<'ours' | 'ours-native' | 'ours-curve', string> = {
  ours: 'zmq-mq',
  'ours-native': 'zmq-mq native (--push-format full)',
  'ours-curve': 'zmq-mq with CURVE',
};

function ourBroker(
  id: 'ours' | 'ours-native' | 'ours-curve',
  pushFormat: 'payload' | 'full',
): BrokerKind {
  return {
    id,
    label: OUR_LABELS[id],
    workPath: pushFormat,
    async start(group, options) {
      const dashboard = options.dashboard ?? 'off';
      const curve = id === 'ours-curve' ? curveKeys() : undefined;
      const started = await startProcess(
        group,
        id,
        process.execPath,
        [
          ...(options.nodeArgs ?? []),
          ...brokerNodeArgs(),
          BROKER_MAIN,
          ...SOCKET_FLAGS,
          // The reliable port on, as by default (no queue: the plain paths never touch the
          // store), on a free port and in memory, so that no data directory is left behind.
          ...['--reliable', ANY, '--store', 'memory'],
          '--monitor',
          options.monitor || dashboard !== 'off' ? '127.0.0.1:0' : 'off',
          ...(pushFormat === 'full' ? ['--push-format', 'full'] : []),
          ...(curve?.flags ?? []),
          ...(options.extraArgs ?? []),
        ],
        /"msg":"broker started"/,
        parseStartedLine,
        options.scheduling,
      );
      const running = curve === undefined ? started : { ...started, curve: curve.client };
      const monitor = running.endpoints.monitor;
      if (dashboard !== 'open' || monitor === undefined) return running;
      const watcher = watchDashboard(monitor);
      return {
        ...running,
        async stop() {
          watcher.close();
          await running.stop();
          if (watcher.events === 0) throw new Error(`${id}: the dashboard reader got no event`);
        },
      };
    },
  };
}

function python(id: 'pyzmq' | 'libzmq', label: string, script: string): BrokerKind {
  return {
    id,
    label,
    workPath: id === 'pyzmq' ? 'payload' : 'full',
    start: (group, options) =>
      startProcess(
        group,
        id,
        PYTHON,
        [script, ...SOCKET_FLAGS],
        /^ready /,
        parseReadyLine,
        options.scheduling,
      ),
  };
}

const KINDS: Record<BrokerId, BrokerKind> = {
  ours: ourBroker('ours', 'payload'),
  'ours-native': ourBroker('ours-native', 'full'),
  'ours-curve': ourBroker('ours-curve', 'payload'),
  plain: {
    id: 'plain',
    label: 'plain zeromq.js forwarder',
    workPath: 'payload',
    start: (group, options) =>
      startProcess(
        group,
        'plain',
        process.execPath,
        [benchScript('forwarder'), ANY, ANY, ANY],
        /^ready /,
        parseReadyLine,
        options.scheduling,
      ),
  },
  pyzmq: python('pyzmq', 'pyzmq original design', ORIGINAL_BROKER_PY),
  libzmq: python('libzmq', 'libzmq zmq_proxy (pyzmq)', LIBZMQ_PROXY_PY),
  direct: {
    id: 'direct',
    label: 'no broker (PUB→SUB ceiling)',
    workPath: 'none',
    // The SUB consumer binds the ingress itself; producers connect straight to it.
    start: () =>
      Promise.resolve({
        endpoints: { ingress: ANY, publish: ANY, push: null },
        child: null,
        stop: () => Promise.resolve(),
      }),
  },
};

export function brokerKind(id: BrokerId): BrokerKind {
  return KINDS[id];
}

let pythonOk: boolean | undefined;
function pythonHasZmq(): boolean {
  pythonOk ??= spawnSync(PYTHON, ['-c', 'import zmq'], { stdio: 'ignore' }).status === 0;
  return pythonOk;
}

let brokerHelp: string | undefined;
/** Our broker's --help text ('' when it is not built). */
export function ourBrokerHelp(): string {
  if (brokerHelp === undefined) {
    brokerHelp = existsSync(BROKER_MAIN)
      ? (spawnSync(process.execPath, [BROKER_MAIN, '--help'], { encoding: 'utf8', timeout: 10_000 })
          .stdout ?? '')
      : '';
  }
  return brokerHelp;
}

/** Why a broker cannot run here, or null when it can. */
export function unavailable(id: BrokerId): string | null {
  switch (id) {
    case 'ours':
      return existsSync(BROKER_MAIN) ? null : `${BROKER_MAIN} not built (apps/broker missing?)`;
    case 'ours-curve':
      if (existsSync(BROKER_MAIN) === false) return 'our broker is not built';
      return ourBrokerHelp().includes('--curve-secret-key-file')
        ? null
        : 'the broker has no --curve-secret-key-file flag yet';
    case 'ours-native':
      if (existsSync(BROKER_MAIN) === false) return 'our broker is not built';
      return ourBrokerHelp().includes('--push-format')
        ? null
        : 'the broker has no --push-format flag yet';
    case 'pyzmq':
      if (!existsSync(ORIGINAL_BROKER_PY)) return `${ORIGINAL_BROKER_PY} missing`;
      return pythonHasZmq() ? null : `${PYTHON} has no zmq module`;
    case 'libzmq':
      return pythonHasZmq() ? null : `${PYTHON} has no zmq module`;
    case 'plain':
      return existsSync(join(benchScript('forwarder'))) ? null : 'bench not built';
    case 'direct':
      return null;
  }
}
