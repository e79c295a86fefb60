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
import { probeUntil, waitFor } from '@zmq-mq/protocol/testing';
import { D, pythonCodec, type Desc } from '../src/interop-codec';
import {
  PythonConsumer,
  frames,
  startOriginalBroker,
  type RunningBroker,
} from '../src/interop-peers';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';
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
    await waitFor(
      () => published.some(isEnd) && pushed.some(isEnd),
      10000,
      'the last message at both ends',
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
    await waitFor(() => published.length > 0 && pushed.length > 0, 10000, 'a probe at both ends');

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
    await waitFor(
      () => published.some(isEnd) && pushed.some(isEnd),
      10000,
      'the last message at both ends',
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

  it('the sample apps: produce → the original broker → consume sub and consume pull', async () => {
    const run = (app: 'producer' | 'consumer', args: readonly string[]) => {
      const proc = startNode(appMain(app), args);
      processes.push(proc);
      return proc;
    };
    const sub = run('consumer', ['sub', '--connect', broker.publish, '--topic', 'interop.']);
    const pull = run('consumer', ['pull', '--connect', broker.push]);
    const lines = (proc: TestProcess) =>
      proc.stdoutLines
        .filter((l) => l.startsWith('{'))
        .map(
          (l) => JSON.parse(l) as { topic: string; meta: Record<string, unknown>; body: unknown },
        )
        .filter((m) => m.topic !== 'interop.probe' && m.meta['topic'] !== 'interop.probe');
    const prober = track(new Producer({ connect: broker.ingress }));
    await prober.ready();
    await probeUntil(
      (n) => prober.send('interop.probe', n),
      () => sub.stdoutLines.length > 0 && pull.stdoutLines.length > 0,
    );

    const produce = (args: readonly string[]) =>
      run('producer', ['--connect', broker.ingress, ...args]).waitForExit();
    const ok = { code: 0, signal: null };
    const bodies = ['{"id":1,"note":"café"}', '"héllo wörld 🚀"', '[1,2.5,null,true]'];
    expect(await produce(['--topic', 'interop.orders', '--codec', 'msgpack', ...bodies])).toEqual(
      ok,
    );
    expect(
      await produce(['--topic', 'interop.bare', '--no-metadata', '--codec', 'raw', 'plain bytes']),
    ).toEqual(ok);
    await waitFor(
      () => lines(sub).length >= 4 && lines(pull).length >= 4,
      10000,
      'four messages at each consumer',
    );
    expect(await sub.stop('SIGTERM')).toEqual(ok);
    expect(await pull.stop('SIGTERM')).toEqual(ok);

    const withMeta = (body: unknown) => ({
      topic: 'interop.orders',
      body,
      meta: expect.objectContaining({
        contentType: CONTENT_TYPE_MSGPACK,
        topic: 'interop.orders',
        bare: false,
      }),
    });
    const decoded = bodies.map((b) => withMeta(JSON.parse(b)));
    const plain = Buffer.from('plain bytes').toString('base64');
    const bare = (t: string) => ({
      topic: t,
      body: plain,
      encoding: 'base64',
      meta: expect.objectContaining({ id: '', contentType: CONTENT_TYPE_RAW, bare: true }),
    });
    expect(lines(sub)).toEqual([...decoded, bare('interop.bare')]);
    // A bare work item has lost its topic to the broker's split: the consumer shows ''.
    expect(lines(pull)).toEqual([...decoded, bare('')]);
    const ids = (proc: TestProcess) => lines(proc).map((m) => m.meta['id']);
    expect(ids(sub)).toEqual(ids(pull));
    expect(new Set(ids(sub).slice(0, 3)).size).toBe(3);
  });

  it("the producer app's demo mode is the original design's message, with our metadata frame", async () => {
    const sub = await PythonConsumer.start('sub', broker.publish);
    processes.push(sub.proc);
    const prober = track(new Producer({ connect: broker.ingress }));
    await prober.ready();
    await probeUntil(
      (n) => prober.send('probe', n),
      () => sub.messages().length > 0,
    );

    const demo = startNode(appMain('producer'), [
      '--connect',
      broker.ingress,
      '--count',
      '3',
      '--interval',
      '20',
    ]);
    processes.push(demo);
    expect(await demo.waitForExit()).toEqual({ code: 0, signal: null });
    // ready() before the first send: not one of the three is lost to the slow joiner.
    const isDemo = (m: Buffer[]) => m[0]?.toString().startsWith('abc ') === true;
    await waitFor(() => sub.messages().filter(isDemo).length === 3, 10000, 'three demo messages');
    const demos = sub.messages().filter(isDemo);
    for (const [frame0] of demos) expect(String(frame0)).toMatch(/^abc hello\d+(\.\d+)?$/);
    // Python's msgpack reads our metadata frame.
    const [desc] = pythonCodec('msgpack-decode', [(demos[0] as Buffer[])[1] as Buffer]) as [Desc];
    expect(desc[0]).toBe('map');
    const fields = new Map(
      (desc[1] as ReadonlyArray<readonly [Desc, Desc]>).map(([k, v]) => [k[1], v]),
    );
    expect(fields.get('v')).toEqual(D.int(1));
    expect(fields.get('ct')).toEqual(D.str(CONTENT_TYPE_RAW));
    expect(fields.get('t')).toEqual(D.str('abc'));
    expect(fields.get('id')?.[0]).toBe('str');
    expect(fields.get('ts')?.[0]).toBe('int');
  });
});
