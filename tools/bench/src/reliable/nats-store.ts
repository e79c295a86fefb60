// NATS servers the benchmark did not start (`--reliable --store nats://…`): how its clients
// connect to them, how many replicas its streams get, the fresh names of each run and the
// removal of what each run made there.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  AckPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  RetentionPolicy,
  StorageType,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect, credsAuthenticator } from '@nats-io/transport-node';
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node';
import { JS_CONSUMER } from './messages';
import type { NatsAuth, QueueNames, Target } from './messages';

/** NATS servers and how to log in to them. */
export interface NatsServers {
  /** `nats://HOST:PORT` / `tls://HOST:PORT`. */
  servers: string[];
  auth: NatsAuth;
}

/** The servers of `--store`, the login of `--nats-*`, and `--nats-replicas`. */
export interface ExternalNats extends NatsServers {
  /** Replicas of every stream the run makes, or `auto`: 3 on 3 servers or more, else 1. */
  replicas: number | 'auto';
}

/** What the servers said when the run began. */
export interface NatsCluster {
  servers: string[];
  /** The servers given and those the cluster advertises. */
  serverCount: number;
  /** The replicas every stream of the run is made with, ours and JetStream's alike. */
  replicas: number;
  /** nats-server's version, as the server connected to reports it. */
  version: string;
}

/** An admin request that takes longer fails (a replicated stream is made within seconds). */
const ADMIN_TIMEOUT_MS = 10_000;
/** Connecting to the servers gives up after this. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Removing what one run made gives up after this, and says what is left. */
export const CLEANUP_TIMEOUT_MS = 30_000;

/** Connection options for `servers` (a comma list) with `auth`; no reconnects: a run fails. */
export function natsConnectOptions(servers: string, auth: NatsAuth = {}): ConnectionOptions {
  const options: ConnectionOptions = {
    servers: servers.split(','),
    reconnect: false,
    timeout: CONNECT_TIMEOUT_MS,
  };
  if (auth.user !== undefined) {
    options.user = auth.user;
    options.pass = auth.password;
  }
  if (auth.credsFile !== undefined)
    options.authenticator = credsAuthenticator(readFileSync(auth.credsFile));
  if (auth.tlsCaFile !== undefined) options.tls = { caFile: auth.tlsCaFile };
  return options;
}

/** A load process's target with the NATS password from its environment, when there is one. */
export function withNatsPassword(target: Target, password: string | undefined): Target {
  if (target.nats?.user === undefined || password === undefined) return target;
  return { ...target, nats: { ...target.nats, password } };
}

/** The login without the password: what goes into a load process's arguments. */
export function publicAuth(auth: NatsAuth): NatsAuth {
  const { password: _password, ...rest } = auth;
  return rest;
}

async function withAdmin<T>(
  ext: NatsServers,
  use: (jsm: JetStreamManager, nc: NatsConnection) => Promise<T>,
): Promise<T> {
  const nc = await connect(natsConnectOptions(ext.servers.join(','), ext.auth));
  try {
    return await use(await jetstreamManager(nc, { timeout: ADMIN_TIMEOUT_MS }), nc);
  } finally {
    await nc.close();
  }
}

/** The replicas `auto` means on `serverCount` servers (as the broker's `--nats-replicas auto`). */
export function autoReplicas(serverCount: number): number {
  return serverCount >= 3 ? 3 : 1;
}

/**
 * Connects, checks that JetStream answers, counts the servers (given and advertised, as the
 * broker does) and settles the replica count; throws with the reason when the servers cannot
 * be used.
 */
export async function probeCluster(ext: ExternalNats): Promise<NatsCluster> {
  try {
    return await withAdmin(ext, async (jsm, nc) => {
      await jsm.getAccountInfo();
      const urls = new Set(ext.servers.map((s) => s.replace(/^[a-z]+:\/\//, '')));
      for (const u of nc.info?.connect_urls ?? []) urls.add(u);
      const serverCount = nc.info?.cluster === undefined ? 1 : urls.size;
      const replicas = ext.replicas === 'auto' ? autoReplicas(serverCount) : ext.replicas;
      if (replicas > serverCount)
        throw new Error(
          `${replicas} replicas asked for, and the cluster has ${serverCount} servers`,
        );
      return {
        servers: ext.servers,
        serverCount,
        replicas,
        version: nc.info?.version ?? 'unknown',
      };
    });
  } catch (err) {
    throw new Error(
      `--store ${ext.servers.join(',')}: cannot run on these NATS servers: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** A token of the run, in every name it makes: `<time base 36><4 hex>`. */
export function runToken(): string {
  return `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
}

/**
 * The names of the run's `n`-th queue: `zmqmq-bench-TOKEN-N`, with no `.` or `_`, so that it
 * is also the name's encoding in our broker's streams.
 */
export function freshNames(token: string, n: number): QueueNames {
  const queue = `zmqmq-bench-${token}-${n}`;
  return { queue, subject: `${queue}.reliable`, prefix: `${queue}.` };
}

/**
 * Where our broker keeps a queue on JetStream (its store's default namespace `zmqmq`;
 * libs/queue-store/src/jetstream/names.ts): the work stream, the dead letters, and the
 * queue's definition in the namespace's definitions stream.
 */
export function brokerLayout(queue: string): {
  streams: string[];
  definitions: { stream: string; subject: string };
} {
  return {
    streams: [`zmqmq_q_${queue}`, `zmqmq_dead_${queue}`],
    definitions: { stream: 'zmqmq_queues', subject: `zmqmq.def.${queue}` },
  };
}

function notFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}

/** Whether the stream exists. */
export async function streamExists(ext: NatsServers, stream: string): Promise<boolean> {
  return withAdmin(ext, async (jsm) => {
    try {
      await jsm.streams.info(stream);
      return true;
    } catch (err) {
      if (notFound(err)) return false;
      throw err;
    }
  });
}

/** Replicas of the stream as JetStream has it (null when there is no such stream). */
export async function streamReplicas(ext: NatsServers, stream: string): Promise<number | null> {
  return withAdmin(ext, async (jsm) => {
    try {
      return (await jsm.streams.info(stream)).config.num_replicas;
    } catch (err) {
      if (notFound(err)) return null;
      throw err;
    }
  });
}

/**
 * JetStream used directly: a work-queue stream on file storage taking `prefix>` and a durable
 * explicit-ack pull consumer holding at most `prefetch` unacked; resolves with the stream's
 * replicas as JetStream made it.
 */
export async function addWorkQueue(
  at: NatsServers,
  names: QueueNames,
  replicas: number,
  prefetch: number,
): Promise<number> {
  return withAdmin(at, async (jsm) => {
    const info = await jsm.streams.add({
      name: names.queue,
      subjects: [`${names.prefix}>`],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: replicas,
    });
    await jsm.consumers.add(names.queue, {
      durable_name: JS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      max_ack_pending: prefetch,
    });
    return info.config.num_replicas;
  });
}

/** What one run made on the servers, to remove afterwards. */
export interface Made {
  /** Streams to delete (those never made are passed over). */
  streams: string[];
  /** A subject to purge from a shared stream; the stream too when `dropIfEmpty` and it is empty. */
  purge?: { stream: string; subject: string; dropIfEmpty: boolean };
}

/**
 * Removes what a run made, within CLEANUP_TIMEOUT_MS; resolves with what is left (names and
 * reasons), empty when everything went.
 */
export async function removeMade(ext: NatsServers, made: Made): Promise<string[]> {
  const left: string[] = [];
  const work = withAdmin(ext, async (jsm) => {
    for (const stream of made.streams) {
      try {
        await jsm.streams.delete(stream);
      } catch (err) {
        if (!notFound(err)) left.push(`stream ${stream} (${(err as Error).message})`);
      }
    }
    const p = made.purge;
    if (p === undefined) return;
    try {
      await jsm.streams.purge(p.stream, { filter: p.subject });
      if (p.dropIfEmpty && (await jsm.streams.info(p.stream)).state.messages === 0)
        await jsm.streams.delete(p.stream);
    } catch (err) {
      if (!notFound(err))
        left.push(`${p.subject} in stream ${p.stream} (${(err as Error).message})`);
    }
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`not done within ${CLEANUP_TIMEOUT_MS} ms`)),
      CLEANUP_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([work, timeout]);
  } catch (err) {
    const streams = made.streams.join(', ');
    left.push(
      `${streams}${made.purge ? `, ${made.purge.subject}` : ''} (${(err as Error).message})`,
    );
  } finally {
    clearTimeout(timer);
  }
  return left;
}
