// The systems of the durable-queue benchmark, each started as child processes on ephemeral
// loopback ports with a data directory of its own, set up with one durable queue and stopped
// afterwards: zmq-mq's reliable port (on LMDB, and on JetStream: jetstream-systems.ts), NATS
// JetStream (Debian's nats-server 2.9, or the servers of `--store`) and RabbitMQ (Debian's
// rabbitmq-server 3.10, a quorum queue).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as amqpConnect } from 'amqplib';
import type { Child, ProcessGroup } from '../processes';
import { processTree } from '../proc';
import { FULL_COVERAGE } from './figures';
import type { Coverage } from './figures';
import { ensurePackage } from './install';
import { LOCAL_JETSTREAM, jetstreamSystem, zmqMqJetStream } from './jetstream-systems';
import type { JetStreamPlace } from './jetstream-systems';
import type { DriverId, QueueNames, SystemId, Target } from './messages';
import { START_TIMEOUT_MS, ourBrokerUnavailable, startOurBroker } from './our-broker';
import { freePort, waitForPort } from './ports';

export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
export const EPMD = '/usr/bin/epmd';

/** RabbitMQ took 25 s to boot here on a busy machine. */
const RABBITMQ_START_TIMEOUT_MS = 120_000;
const RABBITMQ_STOP_GRACE_MS = 20_000;

/** A system's server, running. */
export interface RunningSystem {
  target: Target;
  /** Variables the load processes need besides their arguments (the NATS password). */
  clientEnv?: Record<string, string>;
  /**
   * The processes the benchmark started whose CPU and memory are measured (with their
   * descendants): the server's, or on NATS servers it did not start our broker's only.
   */
  pids: number[];
  /** Where it stores messages (its size on disk is sampled); null on servers not started here. */
  dataDir: string | null;
  /** Stream replicas as JetStream made them (the JetStream systems), else null. */
  replicas: number | null;
  coverage: Coverage;
  /** Stops what the run started and removes what it made on servers it did not start. */
  stop(): Promise<void>;
}

/** What one run asks of a system. */
export interface StartSpec {
  driver: DriverId;
  /** A temporary directory of the run's own. */
  dir: string;
  prefetch: number;
  /** The queue (stream) to set up, and the subject of its messages. */
  names: QueueNames;
}

export interface ReliableSystem {
  id: SystemId;
  /** Each way of driving it, a run of its own. */
  drivers: DriverId[];
  /** What a confirm promises: when it is sent relative to the disk. */
  durability: string;
  /** Why it cannot run on this machine (after installing what is missing), or null. */
  available(log: (line: string) => void): string | null;
  start(group: ProcessGroup, spec: StartSpec): Promise<RunningSystem>;
}

/** Stops a server and then any of its descendants still there (processes this run started). */
async function stopTree(child: Child, graceMs: number): Promise<void> {
  const pids = child.running ? processTree(child.pid).slice(1) : [];
  await child.stop('SIGTERM', graceMs);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const zmqMq: ReliableSystem = {
  id: 'zmq-mq',
  drivers: ['zmq-mq'],
  durability:
    "CONFIRM once the LMDB transaction holding the message is fdatasync'd, one fdatasync for the messages of one event-loop turn (group commit; checked with strace: tools/bench/README.md)",
  available: () => ourBrokerUnavailable(),
  async start(group, { dir, names }) {
    const dataDir = join(dir, 'data');
    const { child, url } = await startOurBroker(group, names, [
      '--store',
      'lmdb',
      '--data-dir',
      dataDir,
    ]);
    return {
      target: { driver: 'zmq-mq', url, ...names },
      pids: [child.pid],
      dataDir,
      replicas: null,
      coverage: FULL_COVERAGE,
      stop: () => child.stop('SIGTERM', 10_000),
    };
  },
};

let rabbitNodes = 0;

const rabbitmq: ReliableSystem = {
  id: 'rabbitmq',
  drivers: ['rabbitmq'],
  durability:
    'quorum queue: confirm once the Raft WAL holding the message is fdatasync’d, one fdatasync for a batch of writes (group commit; checked with strace: tools/bench/README.md)',
  available: (log) =>
    ensurePackage('rabbitmq-server', RABBITMQ_SERVER, log) ??
    (existsSync(EPMD) ? null : `${EPMD} missing (package erlang-base)`),
  async start(group, { dir, names }) {
    const [epmdPort, amqpPort, distPort] = [await freePort(), await freePort(), await freePort()];
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
    writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
    const dataDir = join(dir, 'mnesia');
    const node = `bench${process.pid}n${++rabbitNodes}@localhost`;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'],
      LANG: 'C.UTF-8',
      // Its own Erlang cookie, and its own epmd: nothing shared with another node on this host.
      HOME: home,
      ERL_EPMD_ADDRESS: '127.0.0.1',
      ERL_EPMD_PORT: String(epmdPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_NODENAME: node,
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(amqpPort),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_MNESIA_BASE: dataDir,
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    };
    const epmd = group.spawn('epmd', EPMD, ['-address', '127.0.0.1', '-port', String(epmdPort)]);
    let server: Child | null = null;
    try {
      await waitForPort(epmdPort, epmd, START_TIMEOUT_MS);
      server = group.spawn('rabbitmq-server', RABBITMQ_SERVER, [], undefined, env);
      await server.waitForLine(/completed with \d+ plugins/, RABBITMQ_START_TIMEOUT_MS);
      const url = `amqp://guest:guest@127.0.0.1:${amqpPort}`;
      const conn = await amqpConnect(url);
      try {
        const channel = await conn.createChannel();
        await channel.assertQueue(names.queue, {
          durable: true,
          arguments: { 'x-queue-type': 'quorum' },
        });
      } finally {
        await conn.close();
      }
      const running = server;
      return {
        target: { driver: 'rabbitmq', url, ...names },
        pids: [running.pid],
        dataDir,
        replicas: null,
        coverage: FULL_COVERAGE,
        async stop() {
          await stopTree(running, RABBITMQ_STOP_GRACE_MS);
          await epmd.stop('SIGTERM', 5000);
        },
      };
    } catch (err) {
      if (server) await stopTree(server, 5000);
      await epmd.stop('SIGTERM', 5000);
      throw err;
    }
  },
};

/** Every system, JetStream's at `jetstream` (a server of its own per run by default). */
export function reliableSystems(
  jetstream: JetStreamPlace = LOCAL_JETSTREAM,
): Record<SystemId, ReliableSystem> {
  return {
    'zmq-mq': zmqMq,
    'zmq-mq-jetstream': zmqMqJetStream(jetstream),
    jetstream: jetstreamSystem(jetstream),
    rabbitmq,
  };
}

export const DRIVER_LABELS: Record<DriverId, string> = {
  'zmq-mq': 'zmq-mq (reliable port)',
  'zmq-mq-jetstream': 'zmq-mq on JetStream (--store nats://)',
  'jetstream-publish': 'NATS JetStream, js.publish() (documented)',
  'jetstream-core': 'NATS JetStream, core publish + one reply inbox (fastest)',
  rabbitmq: 'RabbitMQ quorum queue',
};
