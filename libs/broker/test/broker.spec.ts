import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pull, Subscriber, XPublisher } from 'zeromq';
import { BindError, Broker, BrokerStateError } from '../src';
import { brokerFixture, receiveWork, sendWaiting, sleep, waitFor, warmUp } from './helpers';

/** libzmq I/O threads in this process (each context has its own `ZMQbg/IO/<n>`). */
function ioThreadCount(): number {
  return readdirSync('/proc/self/task').filter((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').startsWith('ZMQbg/IO/');
    } catch {
      return false; // the thread ended while we looked
    }
  }).length;
}

describe('Broker', () => {
  const { sockets, broker } = brokerFixture();

  it('fans out every message to subscribers by topic prefix', async () => {
    const b = await broker();
    const ep = b.endpoints!;
    const orders = sockets.subscriber(ep.publish, 'orders.');
    const all = sockets.subscriber(ep.publish, '');
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub, [orders, all]);
    for (const m of ['orders.created 1', 'users.new 2', 'orders.deleted 3']) await pub.send(m);
    const got = async (s: typeof all, n: number) => {
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((await s.receive())[0]!.toString());
      return out;
    };
    expect(await got(orders, 2)).toEqual(['orders.created 1', 'orders.deleted 3']);
    expect(await got(all, 3)).toEqual(['orders.created 1', 'users.new 2', 'orders.deleted 3']);
  });

  it('applies a new subscription on an idle broker, so the first message after it is not lost', async () => {
    const b = await broker();
    const ep = b.endpoints!;
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub);
    for (let round = 0; round < 5; round++) {
      const sub = sockets.subscriber(ep.publish, `first${round}`);
      await waitFor(() => b.stats().peers.subscribers === round + 1, 5000, 'subscriber connected');
      await sleep(100); // handshake done and subscription sent; the broker has sent nothing since
      await pub.send(`first${round} hello`);
      expect((await sub.receive())[0]!.toString()).toBe(`first${round} hello`);
    }
  });

  it('hands each payload, topic stripped, to exactly one worker, round-robin', async () => {
    const b = await broker();
    const ep = b.endpoints!;
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub);
    const w1 = sockets.worker(ep.push);
    const w2 = sockets.worker(ep.push);
    await waitFor(() => b.stats().peers.workers === 2, 5000, 'two workers');
    await sleep(50);
    const before = b.stats().pushed.messages;
    for (let i = 0; i < 10; i++) await pub.send(`jobs job-${i}`);
    const a: string[] = [];
    const c: string[] = [];
    await waitFor(() => b.stats().pushed.messages - before >= 10, 5000, '10 pushed');
    for (let i = 0; i < 5; i++) a.push((await receiveWork(w1))[0]!.toString());
    for (let i = 0; i < 5; i++) c.push((await receiveWork(w2))[0]!.toString());
    expect([...a, ...c].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `job-${i}`).sort());
    expect(a.every((x) => !x.startsWith('jobs'))).toBe(true);
  });

  it('strips the topic at the first space only; payloads keep spaces and binary bytes', async () => {
    const b = await broker();
    const ep = b.endpoints!;
    const all = sockets.subscriber(ep.publish, '');
    const pub = sockets.producer(ep.ingress);
    const worker = sockets.worker(ep.push);
    await warmUp(b, pub, [all]);
    const binary = Buffer.from([0x00, 0x20, 0xff, 0x20, 0x00, 0x0a]);
    const frames = [
      Buffer.from('abc hello world  with spaces'),
      Buffer.concat([Buffer.from('bin '), binary]),
      Buffer.from('日本.topic ünïcode payload'),
      Buffer.from('t '),
    ];
    for (const f of frames) await pub.send(f);
    for (const f of frames) expect(Buffer.compare((await all.receive())[0]!, f)).toBe(0);
    const expected = [
      Buffer.from('hello world  with spaces'),
      binary,
      Buffer.from('ünïcode payload'),
      Buffer.alloc(0),
    ];
    for (const e of expected) expect(Buffer.compare((await receiveWork(worker))[0]!, e)).toBe(0);
  });

  it('preserves multipart messages on both paths', async () => {
    const b = await broker();
    const ep = b.endpoints!;
    const all = sockets.subscriber(ep.publish, '');
    const pub = sockets.producer(ep.ingress);
    const worker = sockets.worker(ep.push);
    await warmUp(b, pub, [all]);
    await pub.send([
      Buffer.from('orders.created {"id":1}'),
      Buffer.from('meta'),
      Buffer.from('third'),
    ]);
    expect((await all.receive()).map(String)).toEqual(['orders.created {"id":1}', 'meta', 'third']);
    expect((await receiveWork(worker)).map(String)).toEqual(['{"id":1}', 'meta', 'third']);
  });

  it('forwards frames unchanged to workers with --push-format full', async () => {
    const b = await broker({ pushFormat: 'full' });
    const ep = b.endpoints!;
    const pub = sockets.producer(ep.ingress);
    const worker = sockets.worker(ep.push);
    await warmUp(b, pub);
    await pub.send([Buffer.from('orders.created x y'), Buffer.from('m')]);
    expect((await receiveWork(worker)).map(String)).toEqual(['orders.created x y', 'm']);
  });

  it('native mode keeps both paths running when no worker is connected, then delivers', async () => {
    const b = await broker({ pushFormat: 'full', queueMaxMessages: 50 });
    expect(b.mode).toBe('native');
    const ep = b.endpoints!;
    const all = sockets.subscriber(ep.publish, 'n');
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub, [all]);
    for (let i = 0; i < 300; i++) await pub.send(`n before${i}`);
    for (let i = 0; i < 300; i++) expect((await all.receive())[0]!.toString()).toBe(`n before${i}`);
    const worker = sockets.worker(ep.push);
    const first = (await receiveWork(worker))[0]!.toString();
    expect(first).toMatch(/^n before\d+$/);
    expect(b.stats()).toMatchObject({ mode: 'native', received: { messages: 0 } });
  });

  it('queues work while no worker is connected and delivers it in order when one connects', async () => {
    const b = await broker({ queueMaxMessages: 1000 });
    const ep = b.endpoints!;
    const all = sockets.subscriber(ep.publish, 'q');
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub, [all]);
    for (let i = 0; i < 200; i++) await pub.send(`q m${i}`);
    // The fan-out did not wait for the missing worker.
    for (let i = 0; i < 200; i++) expect((await all.receive())[0]!.toString()).toBe(`q m${i}`);
    await waitFor(() => b.stats().queue.depth >= 200, 5000, 'queued work');
    const worker = sockets.worker(ep.push);
    const got: string[] = [];
    while (got.length < 200) got.push((await receiveWork(worker))[0]!.toString());
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
    await waitFor(() => b.stats().queue.depth === 0, 5000, 'empty queue');
    expect(b.stats().dropped.total).toBe(0);
    expect(b.stats().queue.queuedTotal).toBeGreaterThanOrEqual(200);
  });

  it.each([
    ['drop-newest', 'queue-full-newest', ['m0', 'm1', 'm2', 'm3', 'm4']],
    // m0 is already waiting in the socket's send (no worker yet): it is never evicted.
    ['drop-oldest', 'queue-full-oldest', ['m0', 'm6', 'm7', 'm8', 'm9']],
  ] as const)('counts overflow under %s', async (pushPolicy, reason, kept) => {
    const b = await broker({ queueMaxMessages: 5, pushPolicy });
    const ep = b.endpoints!;
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub);
    for (let i = 0; i < 10; i++) await pub.send(`t m${i}`);
    await waitFor(() => b.stats().received.messages === 10, 5000, 'received');
    const s = b.stats();
    expect(s.queue.depth).toBe(5);
    expect(s.queue.peakDepth).toBe(5);
    expect(s.dropped[reason]).toBe(5);
    expect(s.dropped.total).toBe(5);
    const worker = sockets.worker(ep.push);
    const got: string[] = [];
    while (got.length < 5) got.push((await receiveWork(worker))[0]!.toString());
    expect(got).toEqual(kept);
  });

  it('publishes every message while the work queue overflows: the fan-out never waits for it', async () => {
    const b = await broker({ queueMaxMessages: 5 });
    const ep = b.endpoints!;
    const all = sockets.subscriber(ep.publish, 'f');
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub, [all]);
    const before = b.stats().received.messages;
    const n = 2000;
    const published = (async () => {
      const got: string[] = [];
      while (got.length < n) got.push((await all.receive())[0]!.toString());
      return got;
    })();
    for (let i = 0; i < n; i++) await sendWaiting(pub, Buffer.from(`f m${i}`));
    expect(await published).toEqual(Array.from({ length: n }, (_, i) => `f m${i}`));
    await waitFor(() => b.stats().received.messages === before + n, 5000, 'all received');
    const s = b.stats();
    // Warm-up probes went to the work path too: queued or dropped, never lost uncounted.
    expect(s.queue.depth).toBe(5);
    expect(s.published.messages).toBe(s.received.messages);
    expect(s.queue.depth + s.dropped['queue-full-newest']).toBe(s.received.messages);
  });

  it('reproduces the original design with --push-policy drop: no queue, drops counted', async () => {
    const b = await broker({ pushPolicy: 'drop' });
    const ep = b.endpoints!;
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub);
    for (let i = 0; i < 20; i++) await pub.send(`t lost${i}`);
    await waitFor(() => b.stats().received.messages === 20, 5000, 'received');
    expect(b.stats().dropped['no-worker']).toBe(20);
    expect(b.stats().dropped.total).toBe(20);
    expect(b.stats().queue.depth).toBe(0);
    const worker = sockets.worker(ep.push);
    await waitFor(() => b.stats().peers.workers === 1, 5000, 'worker');
    await sleep(50);
    await pub.send('t kept');
    expect((await receiveWork(worker))[0]!.toString()).toBe('kept');
  });

  it('keeps memory bounded under a flood with no worker', async () => {
    const b = await broker({
      queueMaxMessages: 500,
      queueMaxBytes: '20KiB',
      maxMessageBytes: '1KiB',
    });
    const ep = b.endpoints!;
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub);
    const frame = Buffer.concat([Buffer.from('flood '), Buffer.alloc(100, 0x61)]);
    const n = 5000;
    for (let i = 0; i < n; i++) await sendWaiting(pub, frame);
    await waitFor(() => b.stats().received.messages === n, 10000, 'flood received');
    const s = b.stats();
    expect(s.queue.peakBytes).toBeLessThanOrEqual(20 * 1024);
    expect(s.queue.peakDepth).toBeLessThanOrEqual(500);
    expect(s.queue.bytes).toBeLessThanOrEqual(20 * 1024);
    expect(s.queue.depth).toBe(Math.floor((20 * 1024) / 100));
    // Every received message is either queued or counted as dropped.
    expect(s.queue.depth + s.dropped['queue-full-newest']).toBe(n);
  });

  it.each(['payload', 'full'] as const)(
    'runs on a context of its own with --io-threads 2 (push format %s)',
    async (pushFormat) => {
      const before = ioThreadCount();
      const b = await broker({ ioThreads: 2, pushFormat });
      expect(ioThreadCount() - before).toBe(2);
      const ep = b.endpoints!;
      const sub = sockets.subscriber(ep.publish, '');
      const pub = sockets.producer(ep.ingress);
      const w = sockets.worker(ep.push);
      await waitFor(() => b.stats().peers.workers === 1, 5000, 'worker connected');
      await warmUp(b, pub, [sub]);
      await pub.send('jobs one');
      expect((await sub.receive())[0]!.toString()).toBe('jobs one');
      const work = (await receiveWork(w))[0]!.toString();
      expect(work).toBe(pushFormat === 'full' ? 'jobs one' : 'one');
    },
  );

  it.each(['payload', 'full'] as const)(
    'gives the ingress the receive high-water mark of --ingress-hwm (push format %s)',
    async (pushFormat) => {
      const b = await broker({ ingressHwm: 37, pushFormat });
      // Read back from libzmq (zmq_getsockopt), not from the options: 37 only if it was set.
      const { ingress } = (b as unknown as { paths: { ingress: { receiveHighWaterMark: number } } })
        .paths;
      expect(ingress.receiveHighWaterMark).toBe(37);
      const ep = b.endpoints!;
      const w = sockets.worker(ep.push);
      const pub = sockets.producer(ep.ingress);
      await waitFor(() => b.stats().peers.workers === 1, 5000, 'worker connected');
      await warmUp(b, pub);
      await pub.send('jobs still flow');
      const work = (await receiveWork(w))[0]!.toString();
      expect(work).toBe(pushFormat === 'full' ? 'jobs still flow' : 'still flow');
    },
  );

  it('binds IPv6 endpoints (libzmq needs its ipv6 option for that)', async () => {
    const any = 'tcp://[::1]:*';
    const b = await broker({ ingress: any, publish: any, push: any });
    const ep = b.endpoints!;
    expect(ep.push).toMatch(/^tcp:\/\/\[::1\]:\d+$/);
    const v6 = { ipv6: true, linger: 0, receiveTimeout: 5000 };
    const sub = sockets.track(new Subscriber(v6));
    sub.connect(ep.publish);
    sub.subscribe();
    const worker = sockets.track(new Pull(v6));
    worker.connect(ep.push);
    const pub = sockets.track(new XPublisher({ ...v6, noDrop: true, verbosity: 'allSubs' }));
    pub.connect(ep.ingress);
    await waitFor(() => b.stats().peers.workers === 1, 5000, 'worker connected');
    await warmUp(b, pub, [sub]);
    await pub.send('jobs over ::1');
    expect((await sub.receive())[0]!.toString()).toBe('jobs over ::1');
    expect((await receiveWork(worker))[0]!.toString()).toBe('over ::1');
  });

  it('works on ipc endpoints too', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-ipc-'));
    try {
      const b = await broker({
        ingress: `ipc://${dir}/in`,
        publish: `ipc://${dir}/pub`,
        push: `ipc://${dir}/push`,
      });
      const ep = b.endpoints!;
      expect(ep.push).toBe(`ipc://${dir}/push`);
      const worker = sockets.worker(ep.push);
      const pub = sockets.producer(ep.ingress);
      await warmUp(b, pub);
      await pub.send('ipc over unix sockets');
      expect((await receiveWork(worker))[0]!.toString()).toBe('over unix sockets');
    } finally {
      sockets.closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('stop() called while start() runs waits for it: start resolves, then everything closes', async () => {
    const b = new Broker({
      ingress: 'tcp://127.0.0.1:*',
      publish: 'tcp://127.0.0.1:*',
      push: 'tcp://127.0.0.1:*',
      monitor: 'off',
      reliable: 'off',
      logLevel: 'silent',
    });
    const starting = b.start();
    const stopping = b.stop();
    const endpoints = await starting;
    expect(endpoints.ingress).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    await expect(stopping).resolves.toMatchObject({ undelivered: 0 });
    await expect(b.start()).rejects.toThrow(BrokerStateError);
  });

  it('rejects start twice and reports bind conflicts', async () => {
    const b = await broker();
    await expect(b.start()).rejects.toThrow(BrokerStateError);
    const clash = new Broker({
      ingress: b.endpoints!.ingress,
      publish: 'tcp://127.0.0.1:*',
      push: 'tcp://127.0.0.1:*',
      monitor: 'off',
      reliable: 'off',
      logLevel: 'silent',
    });
    // libzmq's own reason, not the EAGAIN zeromq.js reports for a socket with a monitor.
    const err = await clash.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BindError);
    expect((err as BindError).message).toBe(
      `cannot bind ingress to ${b.endpoints!.ingress}: Address already in use`,
    );
    await expect(clash.start()).rejects.toThrow(BrokerStateError);
    await clash.stop();
  });

  it('refuses an ipc path another broker listens on, instead of taking it over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-ipc-'));
    try {
      const first = await broker({ ingress: `ipc://${dir}/in`, push: `ipc://${dir}/push` });
      const second = new Broker({
        ingress: `ipc://${dir}/in`,
        publish: 'tcp://127.0.0.1:*',
        push: 'tcp://127.0.0.1:*',
        monitor: 'off',
        reliable: 'off',
        logLevel: 'silent',
      });
      await expect(second.start()).rejects.toThrow(
        `cannot bind ingress to ipc://${dir}/in: Address already in use`,
      );
      await second.stop();
      // The first broker still owns its ingress.
      const worker = sockets.worker(first.endpoints!.push);
      const pub = sockets.producer(first.endpoints!.ingress);
      await warmUp(first, pub);
      await pub.send('t still mine');
      expect((await receiveWork(worker))[0]!.toString()).toBe('still mine');
      // A file no process listens on (a socket file left by a killed broker) is bound over,
      // as libzmq does.
      writeFileSync(`${dir}/stale`, '');
      const third = await broker({ ingress: `ipc://${dir}/stale` });
      expect(third.endpoints!.ingress).toBe(`ipc://${dir}/stale`);
    } finally {
      sockets.closeAll();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says why a bind failed: a unix socket path too long', async () => {
    const path = `/tmp/${'x'.repeat(120)}`; // sun_path holds 107 bytes
    const b = new Broker({
      ingress: 'tcp://127.0.0.1:*',
      publish: 'tcp://127.0.0.1:*',
      push: `ipc://${path}`,
      monitor: 'off',
      reliable: 'off',
      logLevel: 'silent',
    });
    await expect(b.start()).rejects.toThrow(
      `cannot bind push to ipc://${path}: File name too long`,
    );
    await b.stop();
  });
});
