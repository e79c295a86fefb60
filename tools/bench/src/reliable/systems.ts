// The systems of the durable-queue benchmark, each started as child processes on ephemeral
// loopback ports with a data directory of its own, set up with one durable queue (`bench`)
// and stopped afterwards: zmq-mq's reliable port, NATS JetStream (Debian's nats-server 2.9)
// and RabbitMQ (Debian's rabbitmq-server 3.10, a quorum queue).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AckPolicy, RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import { connect as natsConnect } from '@nats-io/transport-node';
import { connect as amqpConnect } from 'amqplib';
import { Dealer } from 'zeromq';
import { SOCKET_FLAGS, brokerNodeArgs, ourBrokerHelp } from '../brokers';
import { BROKER_MAIN } from '../paths';
import type { Child, ProcessGroup } from '../processes';
import { ensurePackage } from './install';
import { JS_CONSUMER, QUEUE } from './messages';
import type { DriverId, SystemId, Target } from './messages';
import { processTree } from '../proc';
import * as wire from './zmq-mq-protocol';

export const NATS_SERVER = '/usr/sbin/nats-server';
export const RABBITMQ_SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';
export const EPMD = '/usr/bin/epmd';

const START_TIMEOUT_MS = 20_000;
/** RabbitMQ took 25 s to boot here on a busy machine. */
const RABBITMQ_START_TIMEOUT_MS = 120_000;
const RABBITMQ_STOP_GRACE_MS = 20_000;

/** A system's server, running. */
export interface RunningSystem {
  target: Target;
  /** The processes the benchmark started; CPU and memory are those of them and their descendants. */
  pids: number[];
  /** Where it stores messages (its size on disk is sampled). */
  dataDir: string;
  stop(): Promise<void>;
}

export interface ReliableSystem {
  id: SystemId;
  /** Each way of driving it, a run of its own. */
  drivers: DriverId[];
  /** What a confirm promises: when it is sent relative to the disk. */
  durability: string;
  /** Why it cannot run on this machine (after installing what is missing), or null. */
  available(log: (line: string) => void): string | null;
  start(
    group: ProcessGroup,
    driver: DriverId,
    dir: string,
    prefetch: number,
  ): Promise<RunningSystem>;
}

/** A port free on 127.0.0.1 now (for servers that cannot bind port 0 and say which they got). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (bounded). */
async function waitForPort(port: number, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!child.running) throw new Error(`${child.name} exited:\n${child.tail()}`);
    if (Date.now() > deadline)
      throw new Error(`${child.name}: port ${port} not open within ${timeoutMs} ms`);
    await sleep(50);
  }
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

/** Why zmq-mq does not run, when its broker has no reliable port (yet). */
export const ZMQ_MQ_UNAVAILABLE = 'reliable port not available';

/** Our broker with its reliable port on a free port, the queue `bench`, and `storeArgs`. */
async function startOurBroker(
  group: ProcessGroup,
  storeArgs: readonly string[],
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  const child = group.spawn('zmq-mq', process.execPath, [
    ...brokerNodeArgs(),
    BROKER_MAIN,
    ...SOCKET_FLAGS,
    '--monitor',
    'off',
    '--reliable',
    url,
    '--queue',
    `${QUEUE}=${QUEUE}.`,
    ...storeArgs,
  ]);
  try {
    await child.waitForLine(/"msg":"broker started"/, START_TIMEOUT_MS);
    await helloProbe(url);
  } catch (err) {
    await child.stop('SIGTERM', 5000);
    throw new Error(`${ZMQ_MQ_UNAVAILABLE} (${(err as Error).message})`, { cause: err });
  }
  return { child, url };
}

/** Why our broker cannot run here, or null. */
function ourBrokerUnavailable(): string | null {
  if (!existsSync(BROKER_MAIN)) return `${ZMQ_MQ_UNAVAILABLE} (the broker is not built)`;
  return ourBrokerHelp().includes('--reliable')
    ? null
    : `${ZMQ_MQ_UNAVAILABLE} (the broker does not accept --reliable)`;
}

const zmqMq: ReliableSystem = {
  id: 'zmq-mq',
  drivers: ['zmq-mq'],
  durability:
    "CONFIRM once the LMDB transaction holding the message is fdatasync'd, one fdatasync for the messages of one event-loop turn (group commit; checked with strace: tools/bench/README.md)",
  available: () => ourBrokerUnavailable(),
  async start(group, _driver, dir) {
    const dataDir = join(dir, 'data');
    const { child, url } = await startOurBroker(group, ['--data-dir', dataDir]);
    return {
      target: { driver: 'zmq-mq', url },
      pids: [child.pid],
      dataDir,
      stop: () => child.stop('SIGTERM', 10_000),
    };
  },
};

/** HELLO on the reliable port, answered by WELCOME (bounded): the port is there. */
async function helloProbe(url: string): Promise<void> {
  const socket = new Dealer({ linger: 0, receiveTimeout: START_TIMEOUT_MS });
  try {
    socket.connect(url);
    await socket.send(wire.hello('bench-probe', 1000));
    const reply = wire.decodeCommand(await socket.receive());
    if (reply.name !== 'WELCOME') throw new Error(`HELLO answered by ${reply.name}`);
    await socket.send(wire.bye());
  } finally {
    socket.close();
  }
}

/** Debian's nats-server with JetStream on a random loopback port, storing in `dir`/jetstream. */
async function startNatsServer(
  group: ProcessGroup,
  dir: string,
): Promise<{ child: Child; url: string; dataDir: string }> {
  const dataDir = join(dir, 'jetstream');
  // -p -1: a random port, which the server logs.
  const child = group.spawn('nats-server', NATS_SERVER, [
    '-js',
    '-a',
    '127.0.0.1',
    '-p',
    '-1',
    '-sd',
    dataDir,
  ]);
  try {
    const line = await child.waitForLine(/Listening for client connections on/, START_TIMEOUT_MS);
    const port = /:(\d+)\s*$/.exec(line)?.[1];
    if (!port) throw new Error(`no port in: ${line}`);
    await child.waitForLine(/Server is ready/, START_TIMEOUT_MS);
    return { child, url: `nats://127.0.0.1:${port}`, dataDir };
  } catch (err) {
    await child.stop('SIGTERM', 5000);
    throw err;
  }
}

const JETSTREAM_DURABILITY =
  'PubAck once the message is written to the stream’s block file, before any fsync: nats-server 2.9 fsyncs on a timer, not per publish, so a power loss can lose messages it confirmed (checked with strace: tools/bench/README.md)';

const jetstreamSystem: ReliableSystem = {
  id: 'jetstream',
  drivers: ['jetstream-publish', 'jetstream-core'],
  durability: JETSTREAM_DURABILITY,
  available: (log) => ensurePackage('nats-server', NATS_SERVER, log),
  async start(group, driver, dir, prefetch) {
    const nats = await startNatsServer(group, dir);
    try {
      const nc = await natsConnect({ servers: nats.url, reconnect: false });
      try {
        const jsm = await jetstreamManager(nc);
        await jsm.streams.add({
          name: QUEUE,
          subjects: [`${QUEUE}.>`],
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
        });
        await jsm.consumers.add(QUEUE, {
          durable_name: JS_CONSUMER,
          ack_policy: AckPolicy.Explicit,
          max_ack_pending: prefetch,
        });
      } finally {
        await nc.close();
      }
      return {
        target: { driver, url: nats.url },
        pids: [nats.child.pid],
        dataDir: nats.dataDir,
        stop: () => nats.child.stop('SIGTERM', 10_000),
      };
    } catch (err) {
      await nats.child.stop('SIGTERM', 5000);
      throw err;
    }
  },
};

/**
 * Our broker with its queues on JetStream (`--store nats://…`, one server, one replica): the
 * broker's cost over JetStream used directly, in the same run.
 */
const zmqMqJetStream: ReliableSystem = {
  id: 'zmq-mq-jetstream',
  drivers: ['zmq-mq-jetstream'],
  durability: `CONFIRM after JetStream's PubAck of the message in every queue it goes to; JetStream's: ${JETSTREAM_DURABILITY}`,
  available: (log) => ourBrokerUnavailable() ?? ensurePackage('nats-server', NATS_SERVER, log),
  async start(group, _driver, dir) {
    const nats = await startNatsServer(group, dir);
    try {
      const broker = await startOurBroker(group, ['--store', nats.url]);
      return {
        target: { driver: 'zmq-mq-jetstream', url: broker.url },
        pids: [broker.child.pid, nats.child.pid],
        dataDir: nats.dataDir,
        async stop() {
          await broker.child.stop('SIGTERM', 10_000);
          await nats.child.stop('SIGTERM', 10_000);
        },
      };
    } catch (err) {
      await nats.child.stop('SIGTERM', 5000);
      throw err;
    }
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
  async start(group, _driver, dir) {
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
        await channel.assertQueue(QUEUE, {
          durable: true,
          arguments: { 'x-queue-type': 'quorum' },
        });
      } finally {
        await conn.close();
      }
      const running = server;
      return {
        target: { driver: 'rabbitmq', url },
        pids: [running.pid],
        dataDir,
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

export const SYSTEMS: Record<SystemId, ReliableSystem> = {
  'zmq-mq': zmqMq,
  'zmq-mq-jetstream': zmqMqJetStream,
  jetstream: jetstreamSystem,
  rabbitmq,
};

export const DRIVER_LABELS: Record<DriverId, string> = {
  'zmq-mq': 'zmq-mq (reliable port)',
  'zmq-mq-jetstream': 'zmq-mq on JetStream (--store nats://)',
  'jetstream-publish': 'NATS JetStream, js.publish() (documented)',
  'jetstream-core': 'NATS JetStream, core publish + one reply inbox (fastest)',
  rabbitmq: 'RabbitMQ quorum queue',
};
