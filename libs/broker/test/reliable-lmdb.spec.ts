// The durable queues on their LMDB store across broker restarts, the data directory's lock, and
// the monitor's /queues API and metrics.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeAck, encodeConsume, encodePublish, encodeTerm } from '@zmq-mq/protocol';
import { DataDirLockedError, type BrokerOptionsInput } from '../src';
import { startBroker, waitFor } from './helpers';
import { frame, reliableBrokers } from './reliable-helpers';

const TOKEN = 'queue-api-test-token-3f8a1c';

/** A request to the monitor, with `Authorization: Bearer TOKEN` unless `token` is null. */
function http(
  url: string,
  method = 'GET',
  body?: string,
  token: string | null = TOKEN,
): Promise<{ status: number; body: string; json: () => unknown }> {
  const headers = token === null ? {} : { authorization: `Bearer ${token}` };
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: text, json: () => JSON.parse(text) }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('durable queues on LMDB', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-durable-'));
  });
  const { broker, client } = reliableBrokers(() => ({ dataDir: join(dir, 'data') }));
  // Registered after the fixture's: runs after it (jest runs a block's afterEach hooks in
  // order), once the brokers have stopped.
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps confirmed messages across a restart; a delivery unacked at the stop comes again, attempt 2', async () => {
    const first = await broker();
    const c = client(first);
    const ids = Array.from({ length: 50 }, (_, i) => `k${i}`);
    await c.send(
      encodePublish(
        ids,
        ids.map((id) => [frame('orders.keep', id)]),
      ),
    );
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 3 }));
    const held = await c.deliveries(3);
    await c.send(encodeAck([held[0]!.tag]));
    await waitFor(
      () => first.stats().reliable!.queues[0]!.counters.acked === 1,
      5000,
      'the first ack',
    );
    await c.deliveries(1); // the credit freed by the ack: k3; k1..k3 are held at the stop
    c.close();
    await first.stop();

    const second = await broker({ queues: [] }); // the definition was persisted
    expect(second.stats().reliable!.queues.map((q) => q.name)).toEqual(['orders']);
    expect(second.stats().reliable!.queues[0]).toMatchObject({ messages: 49 });
    const again = client(second);
    await again.send(encodeConsume({ queue: 'orders', credit: 100 }));
    const got = await again.deliveries(49);
    expect(got.slice(0, 3).map((d) => [d.frames[0]!.toString(), d.attempt])).toEqual([
      ['orders.keep k1', 2],
      ['orders.keep k2', 2],
      ['orders.keep k3', 2],
    ]);
    expect(got.slice(3).every((d) => d.attempt === 1)).toBe(true);
    expect(got.map((d) => d.frames[0]!.toString()).sort()).toEqual(
      ids
        .slice(1)
        .map((id) => `orders.keep ${id}`)
        .sort(),
    );
    // The ids are still in the dedup window: sent again, they are confirmed, not stored twice.
    await again.send(encodePublish(['k7'], [[frame('orders.keep', 'k7')]]));
    expect((await again.next('CONFIRM')).ids).toEqual(['k7']);
    expect(second.stats().reliable!.queues[0]!.counters).toMatchObject({ duplicates: 1 });
  });

  it('refuses a data directory another broker uses, and releases it on stop', async () => {
    const first = await broker();
    const clash = startBroker({ reliable: 'tcp://127.0.0.1:*', dataDir: join(dir, 'data') });
    await expect(clash).rejects.toThrow(DataDirLockedError);
    await expect(clash).rejects.toThrow(/in use by another broker in this process/);
    expect(first.stats().reliable!.queues).toHaveLength(1);
    await first.stop();
    await broker();
  });

  /** A monitor with the token, in a file of the test's. */
  function withToken(): BrokerOptionsInput {
    const monitorTokenFile = join(dir, 'monitor.token');
    writeFileSync(monitorTokenFile, `${TOKEN}\n`, { mode: 0o600 });
    return { monitor: '127.0.0.1:0', monitorTokenFile };
  }

  it('serves /queues, dead letters by page, replay and purge, and the durable metrics', async () => {
    const b = await broker(withToken());
    const base = b.endpoints!.monitor!;
    const c = client(b);
    const ids = Array.from({ length: 5 }, (_, i) => `d${i}`);
    await c.send(
      encodePublish(
        ids,
        ids.map((id) => [frame('orders.dead', id)]),
      ),
    );
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 5 }));
    const held = await c.deliveries(5);
    await c.send(encodeTerm(held.map((d) => ({ tag: d.tag, reason: 'always fails' }))));
    await waitFor(() => b.stats().reliable!.queues[0]!.dead === 5, 5000, 'five dead letters');

    const all = await http(`${base}/queues`);
    expect(all.status).toBe(200);
    expect(all.json()).toMatchObject({
      queues: [
        {
          name: 'orders',
          prefixes: ['orders.'],
          depth: 0,
          dead: 5,
          counters: { published: 5, confirmed: 5, delivered: 5, deadLettered: 5 },
          consumers: [expect.objectContaining({ credit: 5, unacked: 0 })],
        },
      ],
    });
    const page = (await http(`${base}/queues/orders/dead?limit=2`)).json() as {
      deadLetters: Array<Record<string, unknown>>;
      next: number | null;
    };
    expect(page.deadLetters).toHaveLength(2);
    expect(page.deadLetters[0]).toMatchObject({
      topic: 'orders.dead',
      payload: 'd0',
      encoding: 'utf8',
      reason: 'term: always fails',
      attempts: 1,
      id: 'd0',
    });
    const rest = (await http(`${base}/queues/orders/dead?after=${page.next}`)).json() as {
      deadLetters: unknown[];
      next: number | null;
    };
    expect(rest).toMatchObject({ next: null });
    expect(rest.deadLetters).toHaveLength(3);

    expect(
      (
        await http(`${base}/queues/orders/replay`, 'POST', JSON.stringify({ seqs: [page.next] }))
      ).json(),
    ).toEqual({ queue: 'orders', replayed: 1 });
    const [replayed] = await c.deliveries(1);
    expect(replayed).toMatchObject({ attempt: 1 });
    expect(replayed!.frames[0]!.toString()).toBe('orders.dead d1');
    expect((await http(`${base}/queues/orders/purge`, 'POST')).json()).toEqual({
      queue: 'orders',
      purged: 4,
    });

    // Every request of a monitor with a token needs it.
    expect((await http(`${base}/queues`, 'GET', undefined, null)).status).toBe(401);
    expect((await http(`${base}/queues/orders/purge`, 'POST', undefined, 'wrong')).status).toBe(
      401,
    );
    expect((await http(`${base}/queues/nope`)).status).toBe(404);
    expect((await http(`${base}/queues/orders/purge`)).status).toBe(405);
    expect((await http(`${base}/queues/orders/dead?limit=0`)).json()).toEqual({
      error: 'limit must be a whole number 1..1000 (got 0)',
    });
    expect((await http(`${base}/queues/orders/replay`, 'POST', '{bad')).status).toBe(400);
    expect((await http(`${base}/queues/%E0%A4%A`)).status).toBe(400);

    const metrics = (await http(`${base}/metrics`)).body;
    expect(metrics).toContain(
      'zmqmq_durable_queue_events_total{queue="orders",event="deadLettered"} 5',
    );
    expect(metrics).toContain('zmqmq_durable_queue_unacked_messages{queue="orders"} 1');
    expect(metrics).toMatch(
      /zmqmq_durable_consumer_credit\{queue="orders",session="[^"]+",client=""\} 5/,
    );
    expect(metrics).toContain('zmqmq_reliable_commands_total{command="PUBLISH"} 1');
    expect(metrics).toContain('zmqmq_connected_peers{role="clients"} 1');
  });

  it('on a monitor without a token: the figures are open, the dead letters, replay and purge refused', async () => {
    const b = await broker({ monitor: '127.0.0.1:0' });
    const base = b.endpoints!.monitor!;
    const c = client(b);
    await c.send(encodePublish(['t0'], [[frame('orders.dead', 't0')]]));
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 1 }));
    const [held] = await c.deliveries(1);
    await c.send(encodeTerm([{ tag: held!.tag, reason: 'no' }]));
    await waitFor(() => b.stats().reliable!.queues[0]!.dead === 1, 5000, 'one dead letter');
    const open = (path: string, method = 'GET'): Promise<number> =>
      http(`${base}${path}`, method, undefined, null).then((r) => r.status);
    expect(await open('/queues')).toBe(200);
    expect(await open('/queues/orders')).toBe(200);
    expect(await open('/queues/orders/dead')).toBe(403);
    expect(await open('/queues/orders/replay', 'POST')).toBe(403);
    expect(await open('/queues/orders/purge', 'POST')).toBe(403);
    expect(b.stats().reliable!.queues[0]).toMatchObject({ dead: 1, depth: 0 });
  });
});
