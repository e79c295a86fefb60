// What only a store on a shared engine does: several JetStreamStores (several brokers) on one
// JetStream serving the same queues, a holder that dies, JetStream's max-deliveries
// advisories, a server that goes away, servers that ask for a password or TLS, and the options.
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import { waitFor, withTimeout } from '@zmq-mq/protocol/testing';
import {
  JetStreamStore,
  StoreErrorCode,
  type JetStreamStoreOptions,
  type QueueDefinition,
  type QueueStore,
} from '../src';
import { testMessage } from '../testing/conformance';
import { rmSync } from 'node:fs';
import { NatsServers, makeTestCertificates } from '../src/testing';

let servers: NatsServers | undefined;
const stores: QueueStore[] = [];
const connections: NatsConnection[] = [];
let namespaces = 0;

beforeAll(async () => {
  servers = await NatsServers.start(1);
});
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const nc of connections.splice(0)) await nc.close();
});
afterAll(async () => {
  await servers?.stop();
});

/** Two (or more) stores on one namespace: two brokers of one deployment. */
async function brokers(
  n: number,
  options: Partial<JetStreamStoreOptions> = {},
): Promise<JetStreamStore[]> {
  const namespace = `b${++namespaces}`;
  const out: JetStreamStore[] = [];
  for (let i = 0; i < n; i++) {
    const store = new JetStreamStore({ servers: servers?.urls ?? [], namespace, ...options });
    await store.open();
    stores.push(store);
    out.push(store);
  }
  return out;
}

function nextReady(store: QueueStore, queue: string): Promise<void> {
  return withTimeout(
    new Promise<void>((resolve) => store.onReady((q) => q === queue && resolve())),
    5000,
    `onReady(${queue})`,
  );
}

/** A consumer of the queue's stream that pulls one message and never answers: a holder that died. */
async function deadHolder(namespace: string, queue: string): Promise<number> {
  const nc = await connect({ servers: servers?.urls ?? [] });
  connections.push(nc);
  const inbox = createInbox();
  const got = new Promise<number>((resolve) => {
    nc.subscribe(inbox, { max: 1, callback: (_err, m) => resolve(Number(m.reply?.split('.')[5])) });
  });
  nc.publish(
    `$JS.API.CONSUMER.MSG.NEXT.${namespace}_q_${queue}.${namespace}-workers`,
    JSON.stringify({ batch: 1 }),
    {
      reply: inbox,
    },
  );
  const seq = await withTimeout(got, 5000, 'the dead holder’s delivery');
  await nc.close();
  return seq;
}

describe('JetStreamStore: several stores on one JetStream', () => {
  it('leases through one store what another appended, telling onReady at once', async () => {
    const [a, b] = await brokers(2);
    await a!.declare({ name: 'jobs', prefixes: ['jobs.'] });
    await waitFor(() => b!.definitions().length === 1, 5000, 'the queue to reach b');
    const ready = nextReady(b!, 'jobs');
    await a!.append([
      { message: testMessage(1, { topic: 'jobs.x' }), queues: ['jobs'], dedupId: 'j1' },
    ]);
    await ready;
    const [d] = await b!.lease('jobs', 10, 30_000);
    expect(d).toMatchObject({ queue: 'jobs', attempt: 1, message: { id: 'm-1' } });
    await b!.ack([d!]);
    // The dedup window is JetStream's: shared by both stores.
    const [again] = await b!.append([
      { message: testMessage(1, { topic: 'jobs.x' }), queues: ['jobs'], dedupId: 'j1' },
    ]);
    expect(again).toEqual({ status: 'duplicate' });
    await a!.refresh();
    expect(a!.stats('jobs')).toMatchObject({ messages: 0, unacked: 0 });
    expect(b!.stats('jobs').counters).toMatchObject({ delivered: 1, acked: 1, duplicates: 1 });
  });

  it('tells another store of a queue declared or changed through one (onDeclared)', async () => {
    const [a, b] = await brokers(2, { maintenanceIntervalMs: 50 });
    const seen: QueueDefinition[] = [];
    b!.onDeclared((def) => seen.push(def));
    await a!.declare({ name: 'audit.eu', prefixes: [''] });
    await waitFor(() => seen.length === 1, 5000, 'onDeclared of audit.eu');
    await a!.declare({ name: 'audit.eu', prefixes: [''], maxMessages: 10 });
    await waitFor(() => seen.length === 2, 5000, 'onDeclared of the change');
    expect(seen[1]).toMatchObject({ name: 'audit.eu', maxMessages: 10 });
    expect(b!.definitions()).toEqual([seen[1]]);
  });

  it('delivers again through another store what a holder that died had, the attempt counted on', async () => {
    const [a, b] = await brokers(2, { serverAckWaitMs: 1000 });
    const ns = a!.options.namespace;
    // Each broker declares its queues (the same --queue flags on every broker).
    for (const s of [a!, b!]) await s.declare({ name: 'q', prefixes: ['orders.'] });
    await a!.append([{ message: testMessage(1), queues: ['q'] }]);
    const seq = await deadHolder(ns, 'q');
    // JetStream's ack wait (1 s) runs out; b's consumer finds it when it asks again.
    expect(await b!.lease('q', 1, 30_000)).toEqual([]);
    let got: Awaited<ReturnType<QueueStore['lease']>> = [];
    for (let i = 0; i < 100 && got.length === 0; i++) {
      await nextReady(b!, 'q');
      got = await b!.lease('q', 1, 30_000);
    }
    expect(got[0]).toMatchObject({ seq, attempt: 2, message: { id: 'm-1' } });
    expect(b!.stats('q').counters.redelivered).toBe(1);
  });

  it('dead-letters, from JetStream’s max-deliveries advisory, what a holder that died had on its last attempt', async () => {
    const [a, b] = await brokers(2, { serverAckWaitMs: 1000, maxDeliveries: 1 });
    const ns = a!.options.namespace;
    for (const s of [a!, b!]) await s.declare({ name: 'q', prefixes: ['orders.'] });
    await a!.append([{ message: testMessage(7), queues: ['q'] }]);
    const seq = await deadHolder(ns, 'q');
    // JetStream gives the message up when a consumer next asks after the ack wait: b asks
    // whenever it is told its queue may have messages (it polls while it finds none).
    expect(await b!.lease('q', 1, 30_000)).toEqual([]);
    for (
      let i = 0;
      i < 100 &&
      b!.jetStreamStats().advisoryDeadLetters + a!.jetStreamStats().advisoryDeadLetters === 0;
      i++
    ) {
      await nextReady(b!, 'q');
      expect(await b!.lease('q', 1, 30_000)).toEqual([]);
    }
    await waitFor(
      async () => (await a!.deadLetters('q', { limit: 10 })).length === 1,
      5000,
      'the dead letter',
    );
    const [dead] = await a!.deadLetters('q', { limit: 10 });
    expect(dead).toMatchObject({
      seq,
      reason: 'max-deliveries',
      attempts: 1,
      message: { id: 'm-7' },
    });
    await b!.refresh();
    expect(b!.stats('q')).toMatchObject({ messages: 0, dead: 1 });
  });

  it('makes streams with one replica on a single server (replicas auto), counting bytes as JetStream does', async () => {
    const [a] = await brokers(1);
    expect(a!.jetStreamStats().replicas).toBe(1);
    await a!.declare({ name: 'q', prefixes: ['orders.'] });
    const nc = await connect({ servers: servers?.urls ?? [] });
    connections.push(nc);
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(`${a!.options.namespace}_q_q`);
    expect(info.config).toMatchObject({ num_replicas: 1, retention: 'workqueue', discard: 'new' });
    // What it counts for a message with a dedup id is what JetStream counts.
    const message = testMessage(1);
    await a!.append([{ message, queues: ['q'], dedupId: 'an-id-é' }]);
    await a!.refresh();
    expect(a!.stats('q').bytes).toBe(a!.storedBytes('q', message, 'an-id-é'));
  });
});

describe('JetStreamStore: a server that goes away', () => {
  it('fails an append with ZMQMQ_ERR_STORE_UNAVAILABLE within the request timeout, and works once the server is back', async () => {
    const own = await NatsServers.start(1);
    try {
      const store = new JetStreamStore({ servers: own.urls, requestTimeoutMs: 500 });
      await store.open();
      stores.push(store);
      await store.declare({ name: 'q', prefixes: ['orders.'] });
      const server = own.servers[0]!;
      await server.kill9();
      const started = Date.now();
      const err = await store
        .append([{ message: testMessage(1), queues: ['q'], dedupId: 'x' }])
        .catch((e: unknown) => e);
      expect(err).toMatchObject({ code: StoreErrorCode.Unavailable });
      expect(Date.now() - started).toBeLessThan(5000);
      await server.start();
      // The client reconnects by itself; the same id is stored once.
      await waitFor(
        () =>
          store.append([{ message: testMessage(1), queues: ['q'], dedupId: 'x' }]).then(
            (r) => r[0]?.status !== undefined,
            () => false,
          ),
        15_000,
        'an append through the restarted server',
      );
      await store.refresh();
      expect(store.stats('q').messages).toBe(1);
    } finally {
      for (const s of stores.splice(0)) await s.close();
      await own.stop();
    }
  });
});

/** A store on `options` opens, declares a queue and stores a message in it. */
async function expectOpenAndStoring(options: JetStreamStoreOptions): Promise<void> {
  const store = new JetStreamStore(options);
  await store.open();
  stores.push(store);
  await store.declare({ name: 'q', prefixes: ['orders.'] });
  const [r] = await store.append([{ message: testMessage(1), queues: ['q'] }]);
  expect(r?.status).toBe('stored');
}

describe('JetStreamStore: a server that asks for a user and password', () => {
  it('refuses to open without them, with ZMQMQ_ERR_STORE_UNAVAILABLE naming the cause, and opens with them', async () => {
    const own = await NatsServers.start(1, { auth: { user: 'zmq', password: 's3cret' } });
    try {
      const without = new JetStreamStore({ servers: own.urls });
      const err = await without.open().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: StoreErrorCode.Unavailable });
      expect((err as Error).message).toMatch(/Authorization/i);
      const wrong = new JetStreamStore({ servers: own.urls, user: 'zmq', password: 'nope-4d1' });
      const refused = await wrong.open().catch((e: unknown) => e);
      expect(refused).toMatchObject({ code: StoreErrorCode.Unavailable });
      expect(String((refused as Error).stack)).not.toContain('nope-4d1');
      const noCreds = new JetStreamStore({
        servers: own.urls,
        credsFile: '/nonexistent/zmq.creds',
      });
      await expect(noCreds.open()).rejects.toMatchObject({
        code: StoreErrorCode.InvalidOption,
        option: 'credsFile',
      });
      await expectOpenAndStoring({ servers: own.urls, user: 'zmq', password: 's3cret' });
    } finally {
      for (const s of stores.splice(0)) await s.close();
      await own.stop();
    }
  });
});

describe('JetStreamStore: a server that asks for TLS', () => {
  it('refuses to open without the CA that signed the server, or with another, and opens with it', async () => {
    const certs = makeTestCertificates('nats');
    const stranger = makeTestCertificates('stranger');
    const own = await NatsServers.start(1, { tls: certs }).catch((err: unknown) => {
      rmSync(certs.dir, { recursive: true, force: true });
      rmSync(stranger.dir, { recursive: true, force: true });
      throw err;
    });
    try {
      // Without a CA the client upgrades to TLS all the same (the server asks for it) and
      // finds the certificate signed by nobody it trusts.
      const plain = new JetStreamStore({ servers: own.urls });
      const err = await plain.open().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: StoreErrorCode.Unavailable });
      expect((err as Error).message).toMatch(/certificate/i);
      const other = new JetStreamStore({ servers: own.urls, tlsCaFile: stranger.caFile });
      await expect(other.open()).rejects.toMatchObject({ code: StoreErrorCode.Unavailable });
      await expectOpenAndStoring({ servers: own.urls, tlsCaFile: certs.caFile });
    } finally {
      for (const s of stores.splice(0)) await s.close();
      await own.stop();
      rmSync(certs.dir, { recursive: true, force: true });
      rmSync(stranger.dir, { recursive: true, force: true });
    }
  });
});

describe('JetStreamStore options', () => {
  it.each([
    [{ servers: [] }, 'servers'],
    [{ servers: ['nats://u:p@127.0.0.1:4222'] }, 'servers'],
    [{ servers: ['127.0.0.1'] }, 'servers'],
    [{ servers: ['127.0.0.1:4222'], replicas: 7 }, 'replicas'],
    [{ servers: ['127.0.0.1:4222'], namespace: 'a.b' }, 'namespace'],
    [{ servers: ['127.0.0.1:4222'], dedupWindowMs: 50 }, 'dedupWindowMs'],
    [{ servers: ['127.0.0.1:4222'], user: 'u' }, 'password'],
    [{ servers: ['127.0.0.1:4222'], user: 'u', password: 'p', credsFile: '/x.creds' }, 'credsFile'],
    [{ servers: ['127.0.0.1:4222'], maxDeliveries: 0 }, 'maxDeliveries'],
  ])('refuses %j naming %s', (options, option) => {
    expect(() => new JetStreamStore(options as JetStreamStoreOptions)).toThrow(
      expect.objectContaining({ code: StoreErrorCode.InvalidOption, option }),
    );
  });

  it('reads host:port as nats://host:port', () => {
    const store = new JetStreamStore({ servers: ['127.0.0.1:4222', 'tls://nats.example:4443'] });
    expect(store.options.servers).toEqual(['nats://127.0.0.1:4222', 'tls://nats.example:4443']);
    expect(store.options).toMatchObject({
      replicas: 'auto',
      namespace: 'zmqmq',
      serverAckWaitMs: 30_000,
    });
  });
});
