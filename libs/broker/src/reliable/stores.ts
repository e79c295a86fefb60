import { accessSync, constants } from 'node:fs';
import { OptionError } from '@zmq-mq/protocol';
import { JetStreamStore, LmdbStore, MemoryStore, type QueueStore } from '@zmq-mq/queue-store';
import { natsServers, OPTION_NAMES, type BrokerOptions } from '../options';

/**
 * The store `--store` names: LMDB in `--data-dir`, memory, or NATS JetStream (the queues then
 * live in the JetStream cluster, shared by every broker given the same servers). JetStream's
 * consumers get `--ack-wait` as their own ack wait: how long a message delivered through a
 * broker that died stays out before another broker delivers it.
 */
export function createStore(o: BrokerOptions): QueueStore {
  const common = { maxDeliveries: o.maxDeliveries, dedupWindowMs: o.dedupWindowMs };
  const servers = natsServers(o.store);
  if (servers !== undefined) {
    return new JetStreamStore({
      ...common,
      servers,
      replicas: o.natsReplicas,
      serverAckWaitMs: Math.max(1000, o.ackWaitMs),
      name: 'zmq-mq-broker',
      ...(o.natsUser === null ? {} : { user: o.natsUser, password: o.natsPassword ?? '' }),
      ...(o.natsCreds === null ? {} : { credsFile: o.natsCreds }),
      ...(o.natsTlsCa === null ? {} : { tlsCaFile: o.natsTlsCa }),
    });
  }
  return o.store === 'lmdb'
    ? new LmdbStore({ path: o.dataDir, ...common })
    : new MemoryStore(common);
}

/**
 * The NATS credentials and CA files can be read: they are read when the store connects, and one
 * that cannot be is a configuration error named by its flag (`OptionError`), as a key file is.
 */
export function checkNatsFiles(o: BrokerOptions): void {
  for (const key of ['natsCreds', 'natsTlsCa'] as const) {
    const file = o[key];
    if (file === null) continue;
    try {
      accessSync(file, constants.R_OK);
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new OptionError(OPTION_NAMES[key].flag, file, `cannot be read (${reason})`);
    }
  }
}
