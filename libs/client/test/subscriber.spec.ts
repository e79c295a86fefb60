import {
  defineTopics,
  encodeEnvelope,
  encodeTyped,
  json,
  jsonCodec,
  msgpackCodec,
  topic,
} from '@zmq-mq/protocol';
import { Publisher } from 'zeromq';
import { ClientErrorCode, Subscriber } from '../src';
import { endpointOf } from '../src/events';
import { Closer, take, waitFor } from '@zmq-mq/protocol/testing';

// A bound PUB stands in for the broker's publish socket. It keeps sending until the subscriber
// has its first message (the subscription takes a moment to reach a bound PUB).
async function publisher(): Promise<Publisher> {
  const pub = new Publisher({ linger: 0 });
  await pub.bind('tcp://127.0.0.1:*');
  return pub;
}

/**
 * Binds `endpoint`, waiting while its port is still taken (bounded): libzmq closes a closed
 * socket's listener asynchronously, in its I/O thread, so a port freed by `close()` a moment
 * ago can still say "Address already in use" (about 1 run in 2 without this wait).
 */
async function bindWhenFree(socket: Publisher, endpoint: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await socket.bind(endpoint);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== 'EADDRINUSE' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const topics = defineTopics({
  'orders.created': topic(msgpackCodec<{ id: number }>()),
  'orders.deleted': topic(jsonCodec<{ id: number }>()),
});

describe('Subscriber', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  async function primed(pub: Publisher, sub: Subscriber<typeof topics>): Promise<void> {
    await sub.ready();
    // Sent until one arrives, then the real test messages follow in order.
    const first = take(sub, 1, 5000);
    let done = false;
    void first.then(() => (done = true));
    for (let i = 0; i < 200 && !done; i++) {
      await pub.send(encodeTyped(topics, 'orders.created', { id: -1 }));
      await new Promise((r) => setTimeout(r, 10));
    }
    await first;
  }

  it('yields typed envelopes and skips undecodable messages, reporting them', async () => {
    const pub = track(await publisher());
    const errors: string[] = [];
    const sub = track(
      new Subscriber({
        connect: pub.lastEndpoint!,
        topics,
        readySettleMs: 0,
        onError: (err, frames) =>
          errors.push(`${(err as { code?: string }).code} ${frames.length}`),
      }),
    );
    await primed(pub, sub);
    const got = take(sub, 2);
    await pub.send(encodeTyped(topics, 'orders.created', { id: 1 }));
    await pub.send([Buffer.from('orders.created \xc1'), Buffer.from('not msgpack meta')]);
    await pub.send(encodeEnvelope('orders.deleted', { id: 2 }, json));
    const [a, b] = await got;
    expect(a).toMatchObject({ topic: 'orders.created', body: { id: 1 } });
    expect(b).toMatchObject({ topic: 'orders.deleted', body: { id: 2 } });
    expect(errors).toEqual(['ZMQMQ_ERR_MALFORMED_META 2']);
    expect(sub.stats()).toMatchObject({ undecodable: 1 });
  });

  it('filters by prefix and by exact topic', async () => {
    const pub = track(await publisher());
    const sub = track(
      new Subscriber({
        connect: pub.lastEndpoint!,
        prefixes: ['orders.c'],
        exact: ['audit'],
        readySettleMs: 0,
      }),
    );
    await sub.ready();
    const got = take(sub, 3, 10000);
    // resend the whole batch until the subscription is in place; duplicates are fine here
    let received = false;
    void got.then(() => (received = true));
    for (let i = 0; i < 100 && !received; i++) {
      for (const [t, body] of [
        ['orders.deleted', 0],
        ['orders.created', 1],
        ['audit.x', 0],
        ['audit', 2],
        ['orders.created.eu', 3],
      ] as const) {
        await pub.send(encodeEnvelope(t, body, json));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const bodies = (await got).map((e) => `${e.topic}=${String(e.body)}`);
    expect(bodies).toEqual(['orders.created=1', 'audit=2', 'orders.created.eu=3']);
  });

  it('merges several endpoints', async () => {
    const a = track(await publisher());
    const b = track(await publisher());
    const sub = track(
      new Subscriber({ connect: [a.lastEndpoint!, b.lastEndpoint!], readySettleMs: 0 }),
    );
    await sub.ready();
    const seen = new Set<string>();
    // Both links come up in their own time: send from both until one message of each has
    // arrived (bounded), then close, which ends the iteration if that never happens.
    const sending = (async () => {
      for (let i = 0; i < 100 && seen.size < 2; i++) {
        await a.send(encodeEnvelope('from.a', 'a', json));
        await b.send(encodeEnvelope('from.b', 'b', json));
        await new Promise((r) => setTimeout(r, 20));
      }
      await sub.close();
    })();
    for await (const e of sub) {
      seen.add(e.topic);
      if (seen.size === 2) break;
    }
    await sending;
    expect([...seen].sort()).toEqual(['from.a', 'from.b']);
  });

  it('ends the iteration on close() and allows one reader at a time', async () => {
    const pub = track(await publisher());
    const sub = new Subscriber({ connect: pub.lastEndpoint! });
    const loop = (async () => {
      const seen = [];
      for await (const env of sub) seen.push(env);
      return seen.length;
    })();
    await new Promise((r) => setTimeout(r, 20));
    await expect(take(sub, 1)).rejects.toMatchObject({ code: ClientErrorCode.Busy });
    await sub.close();
    await sub.close();
    await expect(loop).resolves.toBe(0);
    await expect(take(sub, 1)).rejects.toMatchObject({ code: ClientErrorCode.Closed });
  });

  it('names the endpoint as given in events after a reconnection, and is ready again', async () => {
    const first = track(await publisher());
    const port = /:(\d+)$/.exec(first.lastEndpoint!)![1]!;
    const endpoint = `tcp://localhost:${port}`;
    const sub = track(new Subscriber({ connect: endpoint, readySettleMs: 0 }));
    const seen: string[] = [];
    for (const type of ['connect', 'handshake', 'disconnect'] as const) {
      sub.on(type, (e) => seen.push(`${type} ${e.endpoint}`));
    }
    await sub.ready();
    first.close();
    await waitFor(() => seen.some((s) => s.startsWith('disconnect')), 5000, 'a disconnect');
    const second = track(new Publisher({ linger: 0 }));
    await bindWhenFree(second, `tcp://127.0.0.1:${port}`);
    await waitFor(
      () => seen.filter((s) => s.startsWith('handshake')).length === 2,
      10000,
      'a second handshake',
    );
    await sub.ready(2000);
    expect(new Set(seen.map((s) => s.split(' ')[1]))).toEqual(new Set([endpoint]));
  });

  it('is ready again after a reconnection with two endpoints that resolve to one address', async () => {
    const first = track(await publisher());
    const port = /:(\d+)$/.exec(first.lastEndpoint!)![1]!;
    const sub = track(
      new Subscriber({
        connect: [`tcp://localhost:${port}`, `tcp://127.0.0.1:${port}`],
        readySettleMs: 0,
      }),
    );
    let handshakes = 0;
    sub.on('handshake', () => handshakes++);
    await sub.ready();
    first.close();
    const second = track(new Publisher({ linger: 0 }));
    await bindWhenFree(second, `tcp://127.0.0.1:${port}`);
    await waitFor(() => handshakes === 4, 10000, 'four handshakes');
    await sub.ready(2000);
  });

  it('maps a resolved address back to the endpoint it came from', () => {
    const given = ['tcp://localhost:5556', 'tcp://broker-b:5557', 'ipc:///tmp/x'];
    expect(endpointOf('tcp://127.0.0.1:5556', given)).toBe('tcp://localhost:5556');
    expect(endpointOf('tcp://10.0.0.2:5557', given)).toBe('tcp://broker-b:5557');
    expect(endpointOf('ipc:///tmp/x', given)).toBe('ipc:///tmp/x');
    // Two endpoints on one port: no guess.
    expect(endpointOf('tcp://127.0.0.1:1', ['tcp://a:1', 'tcp://b:1'])).toBe('tcp://127.0.0.1:1');
  });

  it('rejects invalid subscriptions and options', () => {
    const optionError = (options: Record<string, unknown>, message: RegExp): void => {
      expect(() => new Subscriber(options)).toThrow(message);
      expect(() => new Subscriber(options)).toThrow(
        expect.objectContaining({ code: 'ZMQMQ_ERR_INVALID_OPTION' }) as Error,
      );
    };
    optionError({ prefixes: ['a b'] }, /^prefixes: invalid topic "a b": .*space/);
    optionError({ exact: ['a b'] }, /^exact: invalid topic "a b": .*space/);
    optionError({ exact: [''] }, /^exact: invalid topic "": must not be empty/);
    optionError({ prefixes: [5] }, /^prefixes: must be a string \(got 5\)/);
    // A string is not a list of prefixes (it would subscribe to each character).
    optionError({ prefixes: 'orders.' }, /^prefixes: must be an array of strings/);
    optionError({ topics: { 'a b': {} } }, /^topics: invalid topic "a b"/);
    expect(() => new Subscriber({ connect: [] })).toThrow(/^connect: needs at least one endpoint/);
    expect(() => new Subscriber({ receiveHighWaterMark: -1 })).toThrow(/^receiveHighWaterMark/);
    // Past a C int libzmq would say only "Invalid argument"; a 32-bit timer would fire at once.
    expect(() => new Subscriber({ receiveHighWaterMark: 2 ** 31 })).toThrow(
      /^receiveHighWaterMark: must be an integer 0\.\.2147483647/,
    );
    expect(() => new Subscriber({ lingerMs: 3e9 })).toThrow(/^lingerMs: must be an integer 0\.\./);
    expect(() => new Subscriber({ readySettleMs: 3e9 })).toThrow(/^readySettleMs: must be an/);
  });
});
