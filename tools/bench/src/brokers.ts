// The brokers under test, each started as a child process on fresh loopback ports.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BROKER_MAIN, LIBZMQ_PROXY_PY, ORIGINAL_BROKER_PY, PYTHON, benchScript } from './paths';
import type { Child, ProcessGroup, Scheduling } from './processes';

export type BrokerId = 'ours' | 'ours-native' | 'plain' | 'pyzmq' | 'libzmq' | 'direct';

export const BROKER_IDS: readonly BrokerId[] = [
  'ours',
  'ours-native',
  'plain',
  'pyzmq',
  'libzmq',
  'direct',
];

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

function ourBroker(id: 'ours' | 'ours-native', pushFormat: 'payload' | 'full'): BrokerKind {
  return {
    id,
    label: pushFormat === 'full' ? 'zmq-mq native (--push-format full)' : 'zmq-mq',
    workPath: pushFormat,
    start: (group, options) =>
      startProcess(
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
          options.monitor ? '127.0.0.1:0' : 'off',
          ...(pushFormat === 'full' ? ['--push-format', 'full'] : []),
          ...(options.extraArgs ?? []),
        ],
        /"msg":"broker started"/,
        parseStartedLine,
        options.scheduling,
      ),
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
