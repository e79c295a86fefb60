import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  decodeEnvelope,
  defineTopics,
  json,
  jsonCodec,
  msgpackCodec,
  topic,
} from '@zmq-mq/protocol';
import { XSubscriber, Subscriber as ZmqSubscriber } from 'zeromq';
import { ClientErrorCode, Producer } from '../src';
import { Closer, take, waitFor } from '@zmq-mq/protocol/testing';

// A bound SUB subscribed to everything stands in for the broker's ingress. Like the broker, it
// must be reading: a bound SUB sends its subscription to a connecting PUB only once it has
// processed the new connection, which libzmq does inside a socket call.
async function ingress(
  options: { receiveHighWaterMark?: number } = {},
  host = '127.0.0.1',
): Promise<ZmqSubscriber> {
  const sub = new ZmqSubscriber({ linger: 0, ipv6: host.startsWith('['), ...options });
  sub.subscribe();
  await sub.bind(`tcp://${host}:*`);
  return sub;
}

describe('Producer', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  it('sends typed messages with the metadata frame once ready', async () => {
    const sub = track(await ingress());
    const received = take(sub, 2);
    const topics = defineTopics({
      'orders.created': topic(msgpackCodec<{ id: number }>()),
      'audit.line': topic(jsonCodec<string>()),
    });
    const producer = track(new Producer({ connect: sub.lastEndpoint!, topics }));
    await producer.ready();
    await producer.send('orders.created', { id: 7 }, { headers: { k: 'v' } });
    await producer.send('audit.line', 'hello');
    const [a, b] = await received;
    expect(a!.length).toBe(2);
    const envA = decodeEnvelope(a!, { codec: json });
    expect(envA).toMatchObject({ topic: 'orders.created', body: { id: 7 } });
    expect(envA.meta).toMatchObject({ contentType: 'application/msgpack', headers: { k: 'v' } });
    expect(envA.meta.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeEnvelope(b!, { codec: json }).body).toBe('hello');
    expect(producer.stats()).toMatchObject({ accepted: 2, sent: 2, queued: 0, dropped: 0 });
  });

  it('holds messages until the peer has subscribed, then delivers every one (no slow joiner)', async () => {
    // A bound XSUB sends no subscription until told: a PUB would drop what it sent after the
    // handshake; the producer's XPUB link waits for the subscription instead.
    const xsub = track(new XSubscriber({ linger: 0 }));
    await xsub.bind('tcp://127.0.0.1:*');
    const producer = track(new Producer({ connect: xsub.lastEndpoint!, metadata: false }));
    const handshake = new Promise((resolve) => producer.once('handshake', resolve));
    await handshake;
    for (let i = 0; i < 20; i++) await producer.send('t', i);
    await expect(producer.ready(200)).rejects.toMatchObject({ code: ClientErrorCode.NotReady });
    expect(producer.stats()).toMatchObject({ queued: 20, sent: 0, links: [{ up: false }] });
    await xsub.send(Buffer.from([1])); // subscribe to everything
    await producer.ready();
    const bodies = (await take(xsub, 20)).map(([f]) => f!.toString());
    expect(bodies).toEqual(Array.from({ length: 20 }, (_, i) => `t ${i}`));
    expect(producer.stats()).toMatchObject({ queued: 0, sent: 20, dropped: 0 });
  });

  it('rejects a topic outside its map and a body its codec cannot encode', async () => {
    const topics = defineTopics({ a: topic(jsonCodec<unknown>()) });
    const producer = track(new Producer({ connect: 'tcp://127.0.0.1:1', topics }));
    await expect(producer.send('b' as 'a', 1)).rejects.toMatchObject({
      code: 'ZMQMQ_ERR_UNKNOWN_TOPIC',
    });
    await expect(producer.send('a', undefined)).rejects.toMatchObject({
      code: 'ZMQMQ_ERR_CODEC_UNENCODABLE',
    });
  });

  it('sends bare frames when metadata is off, as the original design does', async () => {
    const sub = track(await ingress());
    const received = take(sub, 1);
    const producer = track(
      new Producer({ connect: sub.lastEndpoint!, codec: 'raw', metadata: false }),
    );
    await producer.ready();
    await producer.send('abc', Buffer.from('hello1.5'));
    const [frames] = await received;
    expect(frames).toEqual([Buffer.from('abc hello1.5')]);
  });

  it('queues while no broker is up and delivers in order once it is', async () => {
    // ipc, not a tcp port freed a moment ago: rebinding that port raced libzmq's asynchronous
    // close (and the producer's reconnects to it), "Address already in use" about 1 run in 10.
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-producer-'));
    const endpoint = `ipc://${dir}/ingress`;
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const producer = track(new Producer({ connect: endpoint }));
    for (let i = 0; i < 50; i++) await producer.send('t', i);
    expect(producer.stats()).toMatchObject({ queued: 50, sent: 0 });
    const late = track(new ZmqSubscriber({ linger: 0 }));
    late.subscribe();
    await late.bind(endpoint);
    const bodies = (await take(late, 50)).map((f) => decodeEnvelope(f, { codec: json }).body);
    expect(bodies).toEqual(Array.from({ length: 50 }, (_, i) => i));
    await producer.flush(1000);
  });

  it('applies the queue policy when the queue is full', async () => {
    const options = { connect: 'tcp://127.0.0.1:1', queueMaxMessages: 2, closeTimeoutMs: 0 };
    const failing = track(new Producer(options));
    await failing.send('t', 1);
    await failing.send('t', 2);
    await expect(failing.send('t', 3)).rejects.toMatchObject({ code: ClientErrorCode.QueueFull });
    const dropping = track(new Producer({ ...options, queuePolicy: 'drop' }));
    for (let i = 0; i < 5; i++) await dropping.send('t', i);
    expect(dropping.stats()).toMatchObject({ accepted: 2, dropped: 3, queued: 2 });
    const waiting = track(new Producer({ ...options, queuePolicy: 'wait' }));
    await waiting.send('t', 1);
    await waiting.send('t', 2);
    const third = expect(waiting.send('t', 3)).rejects.toMatchObject({
      code: ClientErrorCode.Closed,
    });
    await waiting.close();
    await third;
    expect(waiting.stats().droppedOnClose).toBe(2);
  });

  it('spreads messages over several endpoints, round-robin', async () => {
    const a = track(await ingress());
    const b = track(await ingress());
    const received = Promise.all([take(a, 5), take(b, 5)]);
    const producer = track(new Producer({ connect: [a.lastEndpoint!, b.lastEndpoint!] }));
    await producer.ready();
    for (let i = 0; i < 10; i++) await producer.send('t', i);
    const [fromA, fromB] = await received;
    const bodies = [...fromA, ...fromB].map((f) => decodeEnvelope(f, { codec: json }).body);
    expect(bodies.sort((x, y) => (x as number) - (y as number))).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(producer.stats().links.map((l) => l.sent)).toEqual([5, 5]);
  });

  it('emits connection events and reports a link down and up again', async () => {
    // ipc, so that rebinding after the close cannot race for a just-freed tcp port.
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-producer-'));
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const endpoint = `ipc://${dir}/ingress`;
    const sub = track(await ingressAt(endpoint));
    sub.receive().catch(() => undefined); // reading, as the broker always is, until closed
    const producer = track(new Producer({ connect: endpoint }));
    const seen: string[] = [];
    for (const name of ['connect', 'handshake', 'up', 'disconnect', 'down'] as const) {
      producer.on(name, (e) => seen.push(`${name} ${e.endpoint === endpoint}`));
    }
    await producer.ready();
    sub.close();
    await waitFor(() => seen.includes('down true'), 5000, 'the link going down');
    const again = track(await ingressAt(endpoint));
    const got = take(again, 1, 10000); // reading, as the broker always is
    await waitFor(
      () => seen.filter((s) => s === 'up true').length === 2,
      10000,
      'the link up again',
    );
    expect(seen.slice(0, 5)).toEqual([
      'connect true',
      'handshake true',
      'up true',
      'disconnect true',
      'down true',
    ]);
    await producer.send('t', 'after');
    expect(decodeEnvelope((await got)[0]!, { codec: json }).body).toBe('after');
  });

  it('retries a link at its high-water mark instead of dropping (noDrop)', async () => {
    // A small receive window so the link fills; 1 message stalled once in a clean-clone CI run
    // (3 of 400 never read within 15 s), so it is 8 here.
    const sub = track(await ingress({ receiveHighWaterMark: 8 }));
    const producer = track(
      new Producer({
        connect: sub.lastEndpoint!,
        sendHighWaterMark: 1,
        queueMaxMessages: 100_000,
      }),
    );
    const first = take(sub, 1);
    await producer.ready();
    const body = 'x'.repeat(64 * 1024);
    const count = 400; // 25 MB: more than the TCP buffers hold, so the link fills up
    for (let i = 0; i < count; i++) await producer.send('t', `${i} ${body}`);
    await first;
    await waitFor(() => producer.stats().blocked > 0, 10000, 'a blocked send');
    const rest = await take(sub, count - 1, 15000);
    const ids = rest.map((f) =>
      Number((decodeEnvelope(f, { codec: json }).body as string).split(' ')[0]),
    );
    expect(ids).toEqual(Array.from({ length: count - 1 }, (_, i) => i + 1));
    await producer.flush(1000);
  });

  it('validates its options with a coded error naming the option', () => {
    expect(() => new Producer({ connect: 'nowhere' })).toThrow(
      /^connect: must be a ZeroMQ endpoint/,
    );
    // A connect libzmq accepts and never links (port out of range, no port, unclosed bracket).
    for (const connect of ['tcp://127.0.0.1:99999', 'tcp://127.0.0.1:0', 'tcp://[::1:5555']) {
      expect(() => new Producer({ connect })).toThrow(/^connect: /);
    }
    expect(() => new Producer({ queueMaxMessages: 0 })).toThrow(
      /^queueMaxMessages: must be an integer >= 1/,
    );
    expect(() => new Producer({ queuePolicy: 'x' as 'drop' })).toThrow(
      /^queuePolicy: must be one of error, drop, wait/,
    );
    expect(() => new Producer({ codec: 'yaml' as 'json' })).toThrow(/^codec: /);
    // Past a C int libzmq would say only "Invalid argument"; a 32-bit timer would fire at once.
    for (const key of ['sendHighWaterMark', 'lingerMs', 'readySettleMs', 'closeTimeoutMs']) {
      expect(() => new Producer({ [key]: 2 ** 31 })).toThrow(
        new RegExp(`^${key}: must be an integer 0\\.\\.2147483647`),
      );
    }
  });

  it('close() is idempotent and rejects later sends', async () => {
    const producer = new Producer({ connect: 'tcp://127.0.0.1:1' });
    const a = producer.close();
    expect(producer.close()).toBe(a);
    await a;
    await expect(producer.send('t', 1)).rejects.toMatchObject({ code: ClientErrorCode.Closed });
    await expect(producer.ready()).rejects.toMatchObject({ code: ClientErrorCode.Closed });
  });

  it('ready() with a timeout longer than a Node timer holds waits instead of failing at once', async () => {
    const producer = track(new Producer({ connect: 'tcp://127.0.0.1:1' }));
    const ready = producer.ready(3e9); // a 32-bit timer would fire after 1 ms
    const outcome = await Promise.race([
      ready.then(
        () => 'resolved',
        (err: { code: string }) => err.code,
      ),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 100)),
    ]);
    expect(outcome).toBe('still waiting');
    await producer.close();
    await expect(ready).rejects.toMatchObject({ code: ClientErrorCode.Closed });
  });

  it('links to an IPv6 endpoint (libzmq needs its ipv6 option for that)', async () => {
    const sub = track(await ingress({}, '[::1]'));
    expect(sub.lastEndpoint).toMatch(/^tcp:\/\/\[::1\]:\d+$/);
    const received = take(sub, 1);
    const producer = track(new Producer({ connect: sub.lastEndpoint!, metadata: false }));
    await producer.ready(5000); // without the option libzmq accepts the connect and never links
    await producer.send('v6', 'over ::1');
    expect((await received)[0]![0]!.toString()).toBe('v6 "over ::1"');
  });

  it('ready() rejects with NotReadyError naming the endpoint when nothing answers', async () => {
    const producer = track(new Producer({ connect: 'tcp://127.0.0.1:1' }));
    await expect(producer.ready(100)).rejects.toMatchObject({
      code: ClientErrorCode.NotReady,
      endpoints: ['tcp://127.0.0.1:1'],
    });
  });
});

async function ingressAt(endpoint: string): Promise<ZmqSubscriber> {
  const sub = new ZmqSubscriber({ linger: 0 });
  sub.subscribe();
  await sub.bind(endpoint);
  return sub;
}
