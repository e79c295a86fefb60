// A client aimed at a broker socket of the wrong kind (a subscriber at the ingress, a producer
// at the publish port, …): libzmq takes the TCP connection, refuses the ZMTP handshake because
// the socket types cannot talk, reports only `connect` then `disconnect`, and never retries. The
// SDK turns that into a `handshake-error` with a WrongSocketTypeError naming the right port.
import { once } from 'node:events';
import { Publisher, Push, Subscriber as ZmqSubscriber, type Socket } from 'zeromq';
import { Closer, withTimeout } from '@zmq-mq/protocol/testing';
import { ClientErrorCode, Producer, Subscriber, Worker, WrongSocketTypeError } from '../src';
import type { ConnectionEvents } from '../src';

/** A bound socket standing in for one of the broker's three. */
async function bound<T extends Socket>(socket: T): Promise<T> {
  await socket.bind('tcp://127.0.0.1:*');
  return socket;
}

type Client = Producer | Subscriber | Worker;

async function refusal(client: Client): Promise<ConnectionEvents['handshake-error'][0]> {
  const [event] = (await withTimeout(
    once(client, 'handshake-error'),
    5000,
    'a handshake-error event',
  )) as ConnectionEvents['handshake-error'];
  return event;
}

describe('a client aimed at the wrong broker port', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  it.each([
    ['subscriber at the ingress (a SUB)', 'subscriber', () => new ZmqSubscriber({ linger: 0 })],
    ['subscriber at the push port', 'subscriber', () => new Push({ linger: 0 })],
    ['worker at the ingress', 'worker', () => new ZmqSubscriber({ linger: 0 })],
    ['worker at the publish port', 'worker', () => new Publisher({ linger: 0 })],
    ['producer at the publish port', 'producer', () => new Publisher({ linger: 0 })],
    ['producer at the push port', 'producer', () => new Push({ linger: 0 })],
  ] as const)('%s: says so once, and ready() names it', async (_, role, make) => {
    const peer = track(await bound(make()));
    const endpoint = peer.lastEndpoint!;
    const options = { connect: endpoint, readySettleMs: 0 };
    const client = track(
      role === 'producer'
        ? new Producer(options)
        : role === 'subscriber'
          ? new Subscriber(options)
          : new Worker(options),
    );
    const seen: string[] = [];
    for (const type of ['connect', 'handshake', 'disconnect', 'handshake-error'] as const) {
      client.on(type, () => seen.push(type));
    }
    const event = await refusal(client);
    expect(event.endpoint).toBe(endpoint);
    expect(event.error).toBeInstanceOf(WrongSocketTypeError);
    expect(event.error).toMatchObject({
      code: ClientErrorCode.WrongSocketType,
      endpoint,
      role,
      expected: { producer: 'ingress', subscriber: 'publish', worker: 'push' }[role],
    });
    expect(event.error.message).toContain(`${endpoint} refused the handshake`);
    expect(event.error.message).toContain('likely the wrong port');
    const err = await client.ready(300).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: ClientErrorCode.NotReady, refused: [endpoint] });
    expect((err as Error).message).toContain(
      `${endpoint} refused this socket type: likely the wrong port`,
    );
    // ZeroMQ never retried: one connection, refused once, nothing since.
    expect(seen).toEqual(['connect', 'disconnect', 'handshake-error']);
  });

  it('is not taken for a refusal when the peer is of the right kind', async () => {
    const publish = track(await bound(new Publisher({ linger: 0 })));
    const sub = track(new Subscriber({ connect: publish.lastEndpoint!, readySettleMs: 0 }));
    const errors: unknown[] = [];
    sub.on('handshake-error', (e) => errors.push(e));
    await sub.ready();
    publish.close(); // a disconnect after the handshake: a broker gone, not a wrong port
    await withTimeout(once(sub, 'disconnect'), 5000, 'the disconnect');
    expect(errors).toEqual([]);
  });

  it('names the right port from a broker default port, on the same host', () => {
    const sub = new WrongSocketTypeError('tcp://10.0.0.5:5555', 'subscriber');
    expect(sub.message).toBe(
      "tcp://10.0.0.5:5555 refused the handshake: a subscriber's SUB socket cannot talk to the " +
        "socket there, so this is likely the wrong port (5555 is the broker's default ingress " +
        "port, for producers); a subscriber connects to the broker's publish endpoint " +
        '(tcp://10.0.0.5:5556). ZeroMQ does not retry this endpoint.',
    );
    const producer = new WrongSocketTypeError('tcp://localhost:5556', 'producer');
    expect(producer.message).toContain(
      "(5556 is the broker's default publish port, for subscribers)",
    );
    expect(producer.message).toContain('ingress endpoint (tcp://localhost:5555)');
    const worker = new WrongSocketTypeError('tcp://127.0.0.1:7000', 'worker');
    expect(worker.message).toContain(
      "likely the wrong port; a worker connects to the broker's push endpoint (default tcp://127.0.0.1:5557)",
    );
  });
});
