// The other way round: the original design's pyzmq broker (fixtures/original_broker.py) with
// our SDK and our sample apps as its clients. Bare frames and our metadata frame both get
// through it, and our clients decode what they get.
import { Producer, Subscriber, Worker } from '@zmq-mq/client';
import {
  CONTENT_TYPE_JSON,
  CONTENT_TYPE_MSGPACK,
  CONTENT_TYPE_RAW,
  defineTopics,
  jsonCodec,
  msgpackCodec,
  rawCodec,
  topic,
} from '@zmq-mq/protocol';
import type { Envelope, ZmqMqError } from '@zmq-mq/protocol';
import { D, pythonCodec } from '../src/interop-codec';
import {
  frames,
  probeUntil,
  startOriginalBroker,
  waitUntil,
  type RunningBroker,
} from '../src/interop-peers';
import type { TestProcess } from '../src/process';
import { startPython } from '../src/python';

const everyByte = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

interface Closable {
  close(): Promise<void>;
}

/** Reads `source` in the background until it ends (when its receiver is closed). */
function collect<T>(source: AsyncIterable<T>): T[] {
  const items: T[] = [];
  void (async () => {
    for await (const item of source) items.push(item);
  })().catch((err: unknown) => items.push(err as T));
  return items;
}

/** What a test compares: the decoded message without its receipt time. */
function summary(env: Envelope<unknown>) {
  const body = env.body instanceof Uint8Array ? Buffer.from(env.body) : env.body;
  const { id, bare, contentType, topic: metaTopic, headers } = env.meta;
  return { topic: env.topic, body, id, bare, contentType, metaTopic, headers };
}

/** A raw body as Latin-1 text ('' for a body another codec decoded). */
function rawText(env: Envelope<unknown>): string {
  return env.body instanceof Uint8Array ? Buffer.from(env.body).toString('latin1') : '';
}

describe('our clients through the original pyzmq broker', () => {
  let broker: RunningBroker;
  const clients: Closable[] = [];
  const processes: TestProcess[] = [];

  beforeEach(async () => {
    broker = await startOriginalBroker();
  });

  afterEach(async () => {
    for (const p of processes.splice(0)) p.kill();
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await broker.stop();
  });

  function track<T extends Closable>(client: T): T {
    clients.push(client);
    return client;
  }

  it('Producer → Subscriber and Worker: typed bodies, ids and headers survive, bare or not', async () => {
    interface Order {
      orderId: string;
      amount: number;
      big: bigint;
    }
    const topics = defineTopics({
      'orders.created': topic(msgpackCodec<Order>()),
      'audit.line': topic(jsonCodec<string>()),
      'blob.raw': topic(rawCodec()),
      probe: topic(jsonCodec<number>()),
    });
    const subscriberErrors: Error[] = [];
    const workerErrors: Error[] = [];
    const producer = track(new Producer({ connect: broker.ingress, topics }));
    const subscriber = track(
      new Subscriber({ connect: broker.publish, topics, onError: (e) => subscriberErrors.push(e) }),
    );
    const worker = track(
      new Worker({ connect: broker.push, topics, onError: (e) => workerErrors.push(e) }),
    );
    await Promise.all([producer.ready(), subscriber.ready(), worker.ready()]);
    const published = collect(subscriber);
    const pushed = collect(worker);
    // The original broker drops work when no worker is connected and a SUB misses what comes
    // before its subscription lands: probe until both ends hear us.
    await probeUntil(
      (n) => producer.send('probe', n),
      () => published.length > 0 && pushed.length > 0,
    );

    const order: Order = { orderId: 'o-1', amount: 12.5, big: 2n ** 63n - 1n };
    await producer.send('orders.created', order, { id: 'id-1', headers: { tenant: 'acme' } });
    await producer.send('audit.line', 'héllo wörld, 日本語 🚀', { id: 'id-2' });
    await producer.send('blob.raw', everyByte, { id: 'id-3' });
    await producer.send('audit.line', 'sent bare', { metadata: false });
    await producer.send('audit.line', 'end', { id: 'id-end' });
    const isEnd = (e: Envelope<unknown>) => e.meta.id === 'id-end';
    await waitUntil(
      'the last message at both ends',
      () => published.some(isEnd) && pushed.some(isEnd),
    );

    const withMeta = (
      t: string,
      body: unknown,
      contentType: string,
      id: string,
      headers?: object,
    ) => ({
      topic: t,
      body,
      id,
      bare: false,
      contentType,
      metaTopic: t,
      headers,
    });
    const expected = [
      withMeta('orders.created', order, CONTENT_TYPE_MSGPACK, 'id-1', { tenant: 'acme' }),
      withMeta('audit.line', 'héllo wörld, 日本語 🚀', CONTENT_TYPE_JSON, 'id-2'),
      withMeta('blob.raw', everyByte, CONTENT_TYPE_RAW, 'id-3'),
      { ...withMeta('audit.line', 'sent bare', CONTENT_TYPE_JSON, ''), bare: true },
      withMeta('audit.line', 'end', CONTENT_TYPE_JSON, 'id-end'),
    ];
    const real = (list: Array<Envelope<unknown>>) =>
      list.filter((e) => e.topic !== 'probe').map(summary);
    expect(real(published)).toEqual(expected);
    expect(subscriberErrors).toEqual([]);
    // A bare work item names no topic (the broker stripped it and no metadata carries it): a
    // typed worker reports it as an unknown topic and goes on.
    expect(real(pushed)).toEqual(expected.filter((e) => !e.bare));
    expect(workerErrors.map((e) => (e as ZmqMqError).code)).toEqual(['ZMQMQ_ERR_UNKNOWN_TOPIC']);
  });

  it('bare frames from a plain Python producer, and its own metadata frame, decode in our clients', async () => {
    const subscriber = track(new Subscriber({ connect: broker.publish, codec: 'raw' }));
    const worker = track(new Worker({ connect: broker.push, codec: 'raw' }));
    await Promise.all([subscriber.ready(), worker.ready()]);
    const published = collect(subscriber);
    const pushed = collect(worker);
    const pub = startPython('producer.py', [
      '--connect',
      broker.ingress,
      '--stdin',
      '--probe',
      'probe',
    ]);
    processes.push(pub);
    await pub.waitForLine(/^ready$/, 10000, 'stdout');
    await waitUntil('a probe at both ends', () => published.length > 0 && pushed.length > 0);

    const [pythonMeta] = pythonCodec('msgpack-encode', [
      D.map({
        v: D.int(1),
        id: D.str('py-1'),
        ts: D.int(1_700_000_000_123),
        ct: D.str('application/json'),
        t: D.str('orders.created'),
        h: D.map({ from: D.str('python') }),
      }),
    ]) as [Buffer];
    const sequence = [
      frames('abc hello1700000000.25'),
      frames(Buffer.concat([Buffer.from('blob '), everyByte])),
      frames('orders.created {"id":7,"note":"café"}', pythonMeta),
      frames('end .'),
    ];
    pub.child.stdin?.end(
      sequence.map((m) => JSON.stringify(m.map((f) => f.toString('hex')))).join('\n') + '\n',
    );
    expect(await pub.waitForExit()).toEqual({ code: 0, signal: null });
    const isEnd = (e: Envelope<unknown>) => rawText(e) === '.';
    await waitUntil(
      'the last message at both ends',
      () => published.some(isEnd) && pushed.some(isEnd),
    );

    const raw = 'application/octet-stream';
    const bare = (t: string, body: Buffer | string) => ({
      topic: t,
      body: Buffer.from(body),
      id: '',
      bare: true,
      contentType: raw,
      metaTopic: t || undefined,
      headers: undefined,
    });
    const fromPython = {
      topic: 'orders.created',
      body: { id: 7, note: 'café' }, // the metadata's content type picks the JSON codec
      id: 'py-1',
      bare: false,
      contentType: 'application/json',
      metaTopic: 'orders.created',
      headers: { from: 'python' },
    };
    const real = (list: Array<Envelope<unknown>>, isProbe: (e: Envelope<unknown>) => boolean) =>
      list.filter((e) => !isProbe(e)).map(summary);
    expect(real(published, (e) => e.topic === 'probe')).toEqual([
      bare('abc', 'hello1700000000.25'),
      bare('blob', everyByte),
      fromPython,
      bare('end', '.'),
    ]);
    expect(real(pushed, (e) => /^probe-\d+$/.test(rawText(e)))).toEqual([
      bare('', 'hello1700000000.25'),
      bare('', everyByte),
      fromPython,
      bare('', '.'),
    ]);
  });
});
