// The reliable port through bare DEALER sockets: what each command gets back, with the memory
// store (the LMDB store's durability is test/reliable-lmdb.spec.ts's).
import {
  encodeAck,
  encodeBye,
  encodeCancel,
  encodeConsume,
  encodeDeclare,
  encodeHeartbeat,
  encodeNak,
  encodeProgress,
  encodePublish,
  encodeTerm,
  encodeHello,
} from '@zmq-mq/protocol';
import type { Broker, BrokerOptionsInput } from '../src';
import { probeUntil } from '@zmq-mq/protocol/testing';
import { brokerFixture, waitFor } from './helpers';
import { frame, RawClient } from './reliable-helpers';

describe('reliable port', () => {
  const fixture = brokerFixture();
  let clients: RawClient[] = [];
  afterEach(() => {
    for (const c of clients) c.close();
    clients = [];
  });

  async function broker(options: BrokerOptionsInput = {}): Promise<Broker> {
    return fixture.broker({
      reliable: 'tcp://127.0.0.1:*',
      store: 'memory',
      queues: ['orders=orders.'],
      ...options,
    });
  }

  function client(b: Broker): RawClient {
    const c = new RawClient(b.endpoints!.reliable!);
    clients.push(c);
    return c;
  }

  const queue = (b: Broker, name = 'orders') =>
    b.stats().reliable!.queues.find((q) => q.name === name)!;

  it('says WELCOME with a session, the epoch and the heartbeat, and resumes a session on a new connection', async () => {
    const b = await broker();
    const first = client(b);
    const welcome = await first.hello({ heartbeat: 5, name: 'tester' });
    expect(welcome).toMatchObject({
      v: 1,
      heartbeat: 100, // a proposal below 100 ms is raised to it
      maxMessageBytes: 1024 * 1024,
      resumed: false,
      epoch: b.stats().reliable!.epoch,
    });
    // A delivery held on the first connection stays valid after the session moves.
    await first.send(encodePublish(['m1'], [[frame('orders.new', 'one')]]));
    await first.next('CONFIRM');
    await first.send(encodeConsume({ queue: 'orders', credit: 5 }));
    const [held] = await first.deliveries(1);
    const second = client(b);
    const again = await second.hello({ session: welcome.session });
    expect(again).toMatchObject({ session: welcome.session, resumed: true });
    await second.send(encodeAck([held!.tag]));
    await waitFor(() => queue(b).counters.acked === 1, 5000, 'the ack through the resumed session');
    // A session the broker does not know is not resumed: a new one starts.
    const third = client(b);
    const fresh = await third.hello({ session: 'forgotten' });
    expect(fresh.resumed).toBe(false);
    expect(fresh.session).not.toBe('forgotten');
  });

  it('confirms once stored, stores a re-sent id once, confirms a message no queue takes, and NACKs what it refuses', async () => {
    const b = await broker({ maxMessageBytes: 1000 });
    const c = client(b);
    await c.send(
      encodePublish(
        ['a', 'b', 'c', 'd'],
        [
          [frame('orders.new', '1')],
          [frame('other.x', '2')], // no queue: confirmed, as it reached the fan-out
          [Buffer.from('no-separator')],
          [frame('orders.big', 'x'.repeat(1000))],
        ],
      ),
    );
    const confirms: string[] = [];
    while (confirms.length < 2) confirms.push(...(await c.next('CONFIRM')).ids);
    expect(confirms.sort()).toEqual(['a', 'b']);
    const nack = await c.next('NACK');
    expect(nack.entries).toEqual([
      expect.objectContaining({ id: 'c', code: 'invalid-topic' }),
      expect.objectContaining({ id: 'd', code: 'too-large', limit: 1000 }),
    ]);
    // The CONFIRM of `a` was "lost": the client sends it again with the same id.
    await c.send(encodePublish(['a'], [[frame('orders.new', '1')]]));
    expect((await c.next('CONFIRM')).ids).toEqual(['a']);
    expect(queue(b)).toMatchObject({ messages: 1, counters: { published: 1, duplicates: 1 } });
    // Mandatory: a message no queue takes is refused.
    await c.send(encodePublish(['e'], [[frame('other.y', '3')]], true));
    expect((await c.next('NACK')).entries).toEqual([
      expect.objectContaining({ id: 'e', code: 'no-queue' }),
    ]);
    expect(b.stats().reliable!.stats).toMatchObject({
      published: 6,
      confirmed: 3,
      duplicates: 1,
      nacked: { 'invalid-topic': 1, 'too-large': 1, 'no-queue': 1 },
    });
  });

  it('stores a message in every queue whose prefix matches, all frames kept', async () => {
    const b = await broker({ queues: ['orders=orders.', 'all=', 'eu=orders.eu,billing.eu'] });
    const c = client(b);
    const meta = Buffer.from([0x80]);
    await c.send(encodePublish(['x'], [[frame('orders.eu.new', 'p'), meta]]));
    await c.next('CONFIRM');
    for (const name of ['orders', 'all', 'eu']) expect(queue(b, name).messages).toBe(1);
    await c.send(encodeConsume({ queue: 'eu', credit: 1 }));
    const [d] = await c.deliveries(1);
    expect(d).toMatchObject({ queue: 'eu', attempt: 1 });
    expect(d!.frames.map((f) => f.toString('hex'))).toEqual([
      frame('orders.eu.new', 'p').toString('hex'),
      '80',
    ]);
  });

  it('refuses past a queue limit (NACK naming the queue and the limit) or drops the oldest, counted', async () => {
    const b = await broker({
      queues: ['small=small.;max-messages=2', 'ring=ring.;max-messages=3;overflow=drop-oldest'],
    });
    const c = client(b);
    const ids = ['s1', 's2', 's3'];
    await c.send(
      encodePublish(
        ids,
        ids.map((id) => [frame('small.x', id)]),
      ),
    );
    expect((await c.next('CONFIRM')).ids).toEqual(['s1', 's2']);
    expect((await c.next('NACK')).entries).toEqual([
      expect.objectContaining({ id: 's3', code: 'queue-full', queue: 'small', limit: 2 }),
    ]);
    const ring = Array.from({ length: 10 }, (_, i) => `r${i}`);
    await c.send(
      encodePublish(
        ring,
        ring.map((id) => [frame('ring.x', id)]),
      ),
    );
    expect((await c.next('CONFIRM')).ids).toHaveLength(10);
    expect(queue(b, 'ring')).toMatchObject({ messages: 3, counters: { droppedOldest: 7 } });
    await c.send(encodeConsume({ queue: 'ring', credit: 10 }));
    const kept = await c.deliveries(3);
    expect(kept.map((d) => d.frames[0]!.toString())).toEqual([
      'ring.x r7',
      'ring.x r8',
      'ring.x r9',
    ]);
  });

  it('delivers at most the credit, more as acks come, and answers unknown tags with one ERROR', async () => {
    const b = await broker();
    const c = client(b);
    const ids = Array.from({ length: 10 }, (_, i) => `m${i}`);
    await c.send(
      encodePublish(
        ids,
        ids.map((id) => [frame('orders.new', id)]),
      ),
    );
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 4 }));
    expect(await c.next('CONSUMING')).toMatchObject({
      queue: 'orders',
      credit: 4,
      ackWaitMs: 30_000,
    });
    const first = await c.deliveries(4);
    expect(first.map((d) => d.attempt)).toEqual([1, 1, 1, 1]);
    // No fifth delivery while four are held: the next DELIVER only follows the ACK.
    expect(queue(b)).toMatchObject({ unacked: 4, depth: 6 });
    await c.send(encodeAck([first[0]!.tag, first[1]!.tag, 12345]));
    const error = await c.next('ERROR');
    expect(error).toMatchObject({ code: 'unknown-tag', command: 'ACK', tags: [12345] });
    const more = await c.deliveries(2);
    expect(more.map((d) => d.frames[0]!.toString())).toEqual(['orders.new m4', 'orders.new m5']);
    expect(queue(b)).toMatchObject({ unacked: 4, counters: { acked: 2 } });
    expect(queue(b).consumers).toEqual([
      expect.objectContaining({ credit: 4, unacked: 4, ackWaitMs: 30_000 }),
    ]);
    // CANCEL: nothing new comes; held deliveries stay held.
    await c.send(encodeCancel('orders'));
    await c.next('CANCELLED');
    await c.send(encodeAck([first[2]!.tag]));
    await waitFor(() => queue(b).counters.acked === 3, 5000, 'the third ack');
    expect(c.inbox.filter((x) => x.type === 'DELIVER')).toEqual([]);
  });

  it('redelivers a NAKed message with the attempt counted, after its delay; TERM and max deliveries make dead letters', async () => {
    const b = await broker({ maxDeliveries: 2 });
    const c = client(b);
    await c.send(encodePublish(['n', 't'], [[frame('orders.n', 'n')], [frame('orders.t', 't')]]));
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 2 }));
    const [n, t] = await c.deliveries(2);
    const nakAt = Date.now();
    await c.send(encodeNak([{ tag: n!.tag, delayMs: 200 }]));
    await c.send(encodeTerm([{ tag: t!.tag, reason: 'bad order' }]));
    const [again] = await c.deliveries(1);
    expect(Date.now() - nakAt).toBeGreaterThanOrEqual(190);
    expect(again).toMatchObject({ attempt: 2 });
    expect(again!.frames[0]!.toString()).toBe('orders.n n');
    // The second failure is the last delivery allowed: a dead letter.
    await c.send(encodeNak([{ tag: again!.tag }]));
    await waitFor(() => queue(b).dead === 2, 5000, 'two dead letters');
    expect(queue(b).counters).toMatchObject({ nacked: 2, deadLettered: 2, redelivered: 1 });
  });

  it('restarts a lease on PROGRESS, and takes a lease back after its ack wait', async () => {
    // PROGRESS every quarter of the ack wait: a loaded machine may run a timer late by
    // hundreds of milliseconds and still keep the lease.
    const b = await broker({ ackWaitMs: 1000 });
    const c = client(b);
    await c.hello({ heartbeat: 5000 }); // the client says nothing for a while: no silence here
    await c.send(encodePublish(['p'], [[frame('orders.p', 'p')]]));
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 1 }));
    const [d] = await c.deliveries(1);
    const started = Date.now();
    for (let i = 0; i < 6; i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      await c.send(encodeProgress([d!.tag]));
    }
    // 1.5 s held, longer than the ack wait, thanks to PROGRESS: still the first attempt.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(queue(b)).toMatchObject({ unacked: 1, counters: { expired: 0 } });
    // Left alone, the lease runs out and the message comes again.
    const [again] = await c.deliveries(1, 5000);
    expect(again).toMatchObject({ attempt: 2 });
    expect(queue(b).counters.expired).toBe(1);
    await c.send(encodeAck([d!.tag]));
    expect(await c.next('ERROR')).toMatchObject({ code: 'unknown-tag', tags: [d!.tag] });
  });

  it('sends HEARTBEATs to an idle session, and ends a silent one: its leases go to another consumer at once', async () => {
    const b = await broker();
    const silent = client(b);
    await silent.hello({ heartbeat: 100 });
    await silent.send(
      encodePublish(['h1', 'h2'], [[frame('orders.a', '1')], [frame('orders.b', '2')]]),
    );
    await silent.next('CONFIRM');
    await silent.send(encodeConsume({ queue: 'orders', credit: 10 }));
    await silent.deliveries(2);
    const other = client(b);
    await other.hello({ heartbeat: 1000 });
    await other.send(encodeConsume({ queue: 'orders', credit: 10 }));
    await other.next('CONSUMING');
    await waitFor(() => silent.heartbeats >= 2, 2000, 'heartbeats from the broker');
    const lastWord = Date.now();
    silent.close(); // says nothing more: dead after 3 intervals (300 ms), not the 30 s ack wait
    const got = await other.deliveries(2, 3000);
    expect(Date.now() - lastWord).toBeLessThan(1500);
    expect(got.map((d) => d.attempt)).toEqual([2, 2]);
    expect(b.stats().reliable!.sessions).toMatchObject({ endedSilent: 1 });
    expect(b.stats().reliable!.stats.leasesReturned).toBe(2);
  });

  it('puts leases back at once on BYE', async () => {
    const b = await broker();
    const c = client(b);
    await c.hello();
    await c.send(encodePublish(['y'], [[frame('orders.y', 'y')]]));
    await c.next('CONFIRM');
    await c.send(encodeConsume({ queue: 'orders', credit: 1 }));
    await c.deliveries(1);
    await c.send(encodeBye());
    await waitFor(() => queue(b).depth === 1, 2000, 'the lease back in the queue');
    expect(queue(b).unacked).toBe(0);
  });

  it('answers bad input with ERROR, at a bounded rate, and never stops serving', async () => {
    const b = await broker();
    const c = client(b);
    await c.send(['NOPE', Buffer.from([0xc0])]);
    expect(await c.next('ERROR')).toMatchObject({ code: 'unknown-command' });
    await c.send(['ACK']); // no body frame
    expect(await c.next('ERROR')).toMatchObject({ code: 'bad-request', command: 'ACK' });
    await c.send([...encodeHeartbeat(), Buffer.from('extra')]);
    expect(await c.next('ERROR')).toMatchObject({ code: 'bad-request', command: 'HEARTBEAT' });
    const consume = encodeConsume({ queue: 'orders', credit: 1 });
    consume[1] = Buffer.from([
      0x82,
      0xa5,
      ...Buffer.from('queue'),
      0xa6,
      ...Buffer.from('orders'),
      0xa6,
      ...Buffer.from('credit'),
      0x00,
    ]);
    await c.send(consume);
    expect(await c.next('ERROR')).toMatchObject({ code: 'bad-credit', command: 'CONSUME' });
    await c.send(encodeConsume({ queue: 'nowhere', credit: 1 }));
    expect(await c.next('ERROR')).toMatchObject({ code: 'unknown-queue', queue: 'nowhere' });
    await c.send([Buffer.from([0xff, 0x00, 0x13]), Buffer.from('garbage')]);
    expect(await c.next('ERROR')).toMatchObject({ code: 'unknown-command' });
    await c.send(
      encodeDeclare({ queue: 'bad', prefixes: ['x'] }).map((f, i) =>
        i === 1 ? Buffer.from([0x81]) : f,
      ),
    );
    expect(await c.next('ERROR')).toMatchObject({ code: 'bad-request', command: 'DECLARE' });
    // A flood of bad commands: 20 answered at once, then about 10 a second; the rest counted.
    for (let i = 0; i < 200; i++) await c.send(['NOPE', Buffer.from([0xc0])]);
    await waitFor(
      () => b.stats().reliable!.stats.badCommands['unknown-command'] >= 202,
      5000,
      'the flood read',
    );
    const s = b.stats().reliable!.stats;
    expect(s.errorsSuppressed).toBeGreaterThan(150);
    expect(s.errorsSuppressed + Object.values(s.errorsSent).reduce((x, y) => x + y, 0)).toBe(207);
    // Still serving, for this client and others.
    const other = client(b);
    expect((await other.hello()).v).toBe(1);
  });

  it('declares queues (persisted definitions, idempotent) and refuses a bad one', async () => {
    const b = await broker({ queues: [] });
    const c = client(b);
    await c.send(encodeDeclare({ queue: 'jobs', prefixes: ['jobs.'], maxMessages: 10 }));
    expect(await c.next('DECLARED')).toEqual({
      type: 'DECLARED',
      queue: 'jobs',
      prefixes: ['jobs.'],
      maxMessages: 10,
      maxBytes: 1024 ** 3,
      maxAgeMs: 0,
      overflow: 'reject',
      maxDeadMessages: 10_000,
    });
    await c.send(encodeDeclare({ queue: 'jobs', prefixes: ['jobs.'], maxMessages: 10 }));
    await c.next('DECLARED');
    await c.send(encodePublish(['j'], [[frame('jobs.run', 'j')]]));
    await c.next('CONFIRM');
    expect(queue(b, 'jobs').messages).toBe(1);
    await c.send(encodeHello({}));
    await c.next('WELCOME');
  });

  it('appends plain-ingress messages whose topic matches a queue, and hands confirmed publishes to subscribers', async () => {
    const b = await broker();
    const ep = b.endpoints!;
    const sub = fixture.sockets.subscriber(ep.publish, 'orders.');
    const pub = fixture.sockets.producer(ep.ingress);
    await pub.receive(); // the ingress's subscription: the link is up
    await waitFor(() => b.stats().peers.subscribers === 1, 5000, 'the subscriber');
    const c = client(b);
    // Plain ingress: matching topics are queued, others not.
    await pub.send('orders.plain 1');
    await pub.send('other.plain 2');
    await waitFor(() => queue(b).messages === 1, 5000, 'the plain message queued');
    expect(b.stats().reliable!.stats.ingressAppended).toBe(1);
    // A confirmed publish reaches the subscriber through the fan-out, after its CONFIRM. The
    // subscriber's subscription reaches the PUB some time after it connected: probe until one
    // gets through.
    const seen: string[] = [];
    const reading = (async () => {
      for (let i = 0; i < 1000; i++) {
        const text = (await sub.receive())[0]!.toString();
        seen.push(text);
        if (text.startsWith('orders.confirmed')) return;
      }
    })();
    await probeUntil(
      async (n) => {
        await c.send(encodePublish([`c${n}`], [[frame('orders.confirmed', String(n))]]));
        await c.next('CONFIRM');
      },
      () => seen.some((t) => t.startsWith('orders.confirmed')),
    );
    await reading;
    expect(seen).not.toContain('other.plain 2');
    expect(b.stats().reliable!.stats.fanOutPublished).toBeGreaterThanOrEqual(1);
  });
});
