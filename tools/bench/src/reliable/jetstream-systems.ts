// NATS JetStream in the durable-queue benchmark, used directly and as our broker's store
// (`--store`), either on a nats-server started for each run (Debian's 2.9, one replica) or on
// NATS servers the benchmark did not start (`npm run bench -- --reliable --store nats://…`),
// where each run makes streams of fresh names and removes them afterwards.
import { join } from 'node:path';
import type { Child, ProcessGroup } from '../processes';
import { FULL_COVERAGE } from './figures';
import type { Coverage } from './figures';
import { ensurePackage } from './install';
import { NATS_PASSWORD_ENV } from './messages';
import {
  addWorkQueue,
  brokerLayout,
  publicAuth,
  removeMade,
  streamExists,
  streamReplicas,
} from './nats-store';
import type { ExternalNats, Made, NatsCluster, NatsServers } from './nats-store';
import { START_TIMEOUT_MS, brokerEnv, ourBrokerUnavailable, startOurBroker } from './our-broker';
import type { ReliableSystem, RunningSystem } from './systems';

export const NATS_SERVER = '/usr/sbin/nats-server';

/** One run's JetStream. */
interface JetStreamSite extends NatsServers {
  /** The replicas the run's streams are made with. */
  replicas: number;
  /** nats-server processes started for this run (none on servers it did not start). */
  pids: number[];
  dataDir: string | null;
  stop(): Promise<void>;
}

/** Where the runs' JetStream is. */
export interface JetStreamPlace {
  available(log: (line: string) => void): string | null;
  open(group: ProcessGroup, dir: string): Promise<JetStreamSite>;
  /** Removes what a run made on the servers (a server started for the run goes whole). */
  remove(made: Made): Promise<void>;
  /** What a system's figures cover here, `measured` being the processes of the run's own. */
  coverage(measured: 'broker' | 'none'): Coverage;
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

/** A nats-server of its own for each run, measured with the system. */
export const LOCAL_JETSTREAM: JetStreamPlace = {
  available: (log) => ensurePackage('nats-server', NATS_SERVER, log),
  async open(group, dir) {
    const nats = await startNatsServer(group, dir);
    return {
      servers: [nats.url],
      auth: {},
      replicas: 1,
      pids: [nats.child.pid],
      dataDir: nats.dataDir,
      stop: () => nats.child.stop('SIGTERM', 10_000),
    };
  },
  remove: () => Promise.resolve(),
  coverage: () => FULL_COVERAGE,
};

/**
 * The servers of `--store`: nothing of theirs is measured; what each run made there is removed
 * afterwards, and what could not be is added to `left` (and logged).
 */
export function externalJetStream(
  ext: ExternalNats,
  cluster: NatsCluster,
  left: string[],
  log: (line: string) => void,
): JetStreamPlace {
  const reason = `the NATS servers of --store are not this run's processes or files: their CPU, memory and disk are not measured`;
  return {
    available: () => null,
    open: () =>
      Promise.resolve({
        servers: ext.servers,
        auth: ext.auth,
        replicas: cluster.replicas,
        pids: [],
        dataDir: null,
        stop: () => Promise.resolve(),
      }),
    async remove(made) {
      for (const what of await removeMade(ext, made)) {
        left.push(what);
        log(`could not remove ${what}`);
      }
    },
    coverage: (measured) => ({ processes: measured, disk: false, reason }),
  };
}

export const JETSTREAM_DURABILITY =
  'PubAck once the message is written to the stream’s block file, before any fsync: nats-server 2.9 fsyncs on a timer, not per publish, so a power loss can lose messages it confirmed (checked with strace: tools/bench/README.md)';

/** JetStream used directly: a work-queue stream and a durable pull consumer of the run's names. */
export function jetstreamSystem(place: JetStreamPlace): ReliableSystem {
  return {
    id: 'jetstream',
    drivers: ['jetstream-publish', 'jetstream-core'],
    durability: JETSTREAM_DURABILITY,
    available: (log) => place.available(log),
    async start(group, { driver, dir, prefetch, names }) {
      const site = await place.open(group, dir);
      const made: Made = { streams: [names.queue] };
      const end = async (): Promise<void> => {
        await place.remove(made);
        await site.stop();
      };
      try {
        const replicas = await addWorkQueue(site, names, site.replicas, prefetch);
        return {
          target: {
            driver,
            url: site.servers.join(','),
            ...names,
            nats: publicAuth(site.auth),
          },
          clientEnv: passwordEnv(site),
          pids: site.pids,
          dataDir: site.dataDir,
          replicas,
          coverage: place.coverage('none'),
          stop: end,
        };
      } catch (err) {
        await end();
        throw err;
      }
    },
  };
}

function passwordEnv(site: NatsServers): Record<string, string> {
  return site.auth.password === undefined ? {} : { [NATS_PASSWORD_ENV]: site.auth.password };
}

/** `--store`'s flags for our broker on `site`, its login and replica count included. */
export function brokerStoreArgs(site: JetStreamSite): string[] {
  const { user, credsFile, tlsCaFile } = site.auth;
  return [
    '--store',
    site.servers.join(','),
    '--nats-replicas',
    String(site.replicas),
    ...(user === undefined ? [] : ['--nats-user', user]),
    ...(credsFile === undefined ? [] : ['--nats-creds', credsFile]),
    ...(tlsCaFile === undefined ? [] : ['--nats-tls-ca', tlsCaFile]),
  ];
}

/**
 * Our broker with its queues on JetStream (`--store`): the broker's cost over JetStream used
 * directly, in the same run.
 */
export function zmqMqJetStream(place: JetStreamPlace): ReliableSystem {
  return {
    id: 'zmq-mq-jetstream',
    drivers: ['zmq-mq-jetstream'],
    durability: `CONFIRM after JetStream's PubAck of the message in every queue it goes to; JetStream's: ${JETSTREAM_DURABILITY}`,
    available: (log) => ourBrokerUnavailable() ?? place.available(log),
    async start(group, { dir, names }): Promise<RunningSystem> {
      const site = await place.open(group, dir);
      const layout = brokerLayout(names.queue);
      let broker: Child | null = null;
      let made: Made | null = null;
      const end = async (): Promise<void> => {
        await broker?.stop('SIGTERM', 10_000);
        if (made) await place.remove(made);
        await site.stop();
      };
      try {
        // The namespace's definitions stream goes too if this run made it.
        const hadDefinitions = await streamExists(site, layout.definitions.stream);
        made = {
          streams: layout.streams,
          purge: { ...layout.definitions, dropIfEmpty: !hadDefinitions },
        };
        const env = brokerEnv(passwordEnv(site));
        const started = await startOurBroker(group, names, brokerStoreArgs(site), env);
        broker = started.child;
        return {
          target: { driver: 'zmq-mq-jetstream', url: started.url, ...names },
          pids: [started.child.pid, ...site.pids],
          dataDir: site.dataDir,
          replicas: await streamReplicas(site, layout.streams[0] as string),
          coverage: place.coverage('broker'),
          stop: end,
        };
      } catch (err) {
        await end();
        throw err;
      }
    },
  };
}
