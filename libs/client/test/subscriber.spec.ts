import {
  defineTopics,
  encodeEnvelope,
  encodeTyped,
  json,
  jsonCodec,
  msgpackCodec,
  topic,
} from '@zmq-mq/protocol';
import { once } from 'node:events';
import { Publisher } from 'zeromq';
import { ClientErrorCode, Subscriber } from '../src';
import { endpointOf } from '../src/events';
import {
  Closer,
  freePort,
  nextEvent,
  probeUntil,
  take,
  waitFor,
  withTimeout,
} from '@zmq-mq/protocol/testing';

// A bound PUB stands in for the broker's publish socket. It keeps sending until the subscriber
// has its first message (the subscription takes a moment to reach a bound PUB).
async function publisher(): Promise<Publisher> {
  const pub = new Publisher({ linger: 0 });
  await pub.bind('tcp://127.0.0.1:*');
  return pub;
}

/**
 * Closes a bound PUB so that its port can be bound again at once: libzmq closes a listener
 * asynchronously, in its I/O thread, so a port freed by `close()` alone can still say "Address
 * already in use" a moment later. Unbinding first and awaiting the listener's `close` event
 * (sent once its file descriptor is closed) leaves the port free; `close()` then drops the
 * connections it accepted.
 */
async function closeFreeingPort(socket: Publisher): Promise<void> {
  const closed = nextEvent(socket.events, 'close');
  await socket.unbind(socket.lastEndpoint!);
  await closed;
  socket.close();
}

const topics = defineTopics({
  'orders.created': topic(msgpackCodec<{ id: number }>()),
  'orders.deleted': topic(jsonCodec<{ id: number }>()),
});

describe('Subscriber', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  /**
   * Probes until one arrives (the subscription takes a moment to reach a bound PUB), then sends
   * a fence and reads up to it: the test's own messages come next, in order.
   */
  async function primed<E>(
    pub: Publisher,
    sub: AsyncIterable<E> & { ready(): Promise<void> },
    message: (mark: 'probe' | 'fence') => Buffer[],
    isFence: (env: E) => boolean,
  ): Promise<void> {
    await sub.ready();
    const first = take(sub, 1);
    let arrived = false;
    void first.then(() => (arrived = true));
    await probeUntil(
      () => pub.send(message('probe')),
      () => arrived,
      { intervalMs: 10, timeoutMs: 5000 },
    );
    await first;
    await pub.send(message('fence'));
    const fence = async (): Promise<void> => {
      for await (const env of sub) if (isFence(env)) break;
    };
    await withTimeout(fence(), 5000, 'the fence after the probes');
  }

  const primedTyped = (pub: Publisher, sub: Subscriber<typeof topics>): Promise<void> =>
    primed(
      pub,
      sub,
      (mark) => encodeTyped(topics, 'orders.created', { id: mark === 'probe' ? -1 : -2 }),
      (env) => env.body.id === -2,
    );

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
    await primedTyped(pub, sub);
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
    await primed(
      pub,
      sub,
      (mark) => encodeEnvelope('orders.created', mark, json),
      (env) => env.body === 'fence',
    );
    const got = take(sub, 3);
    for (const [t, body] of [
      ['orders.deleted', 0],
      ['orders.created', 1],
      ['audit.x', 0],
      ['audit', 2],
      ['orders.created.eu', 3],
    ] as const) {
      await pub.send(encodeEnvelope(t, body, json));
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
    // The loop's first next() runs synchronously up to the socket's receive(), so the socket
    // is being read by the time the async function returns.
    const loop = (async () => {
      const seen = [];
      for await (const env of sub) seen.push(env);
      return seen.length;
    })();
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
    await closeFreeingPort(first);
    await waitFor(() => seen.some((s) => s.startsWith('disconnect')), 5000, 'a disconnect');
    const second = track(new Publisher({ linger: 0 }));
    await second.bind(`tcp://127.0.0.1:${port}`);
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
    await closeFreeingPort(first);
    const second = track(new Publisher({ linger: 0 }));
    await second.bind(`tcp://127.0.0.1:${port}`);
    await waitFor(() => handshakes === 4, 10000, 'four handshakes');
    await sub.ready(2000);
  });

  it('ready() times out naming only the endpoints that have no link', async () => {
    const up = track(await publisher());
    const nobody = `tcp://127.0.0.1:${await freePort()}`;
    const sub = track(new Subscriber({ connect: [up.lastEndpoint!, nobody], readySettleMs: 0 }));
    await withTimeout(once(sub, 'handshake'), 5000, 'the handshake with the bound PUB');
    const err = await sub.ready(100).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ClientErrorCode.NotReady, endpoints: [nobody], refused: [] });
    expect((err as Error).message).toBe(
      `no link within 100 ms to ${nobody}; is the broker running?`,
    );
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
    optionError({ prefixes: ['a b'] }, /^prefixes: [^"]*space[^"]* \(got "a b"\)$/);
    optionError({ exact: ['a b'] }, /^exact: [^"]*space[^"]* \(got "a b"\)$/);
    optionError({ exact: [''] }, /^exact: must not be empty \(got ""\)$/);
    optionError({ prefixes: [5] }, /^prefixes: must be a string \(got 5\)/);
    // A string is not a list of prefixes (it would subscribe to each character).
    optionError({ prefixes: 'orders.' }, /^prefixes: must be an array of strings/);
    optionError({ topics: { 'a b': {} } }, /^topics: [^"]*space[^"]* \(got "a b"\)$/);
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
