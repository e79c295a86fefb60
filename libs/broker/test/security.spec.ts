// CURVE on every port, checked by the broker's ZAP handler against per-role allowlists: real
// sockets on loopback, keys written as `keygen` writes them.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, nextEvent } from '@zmq-mq/protocol/testing';
import { KeyError } from '@zmq-mq/protocol';
import { Dealer, Publisher, Pull, Subscriber, XPublisher, type EventOfType } from 'zeromq';
import { Broker, type RefusalReason } from '../src';
import { brokerFixture, receiveWork, waitFor, warmUp } from './helpers';
import { KeyRing } from './security-helpers';

describe('a CURVE broker', () => {
  const { sockets, broker: startBroker } = brokerFixture();
  let ring: KeyRing;
  beforeEach(() => {
    ring = new KeyRing();
  });
  afterEach(() => ring.remove());

  const refused = (b: Broker, port: string, reason: RefusalReason): number =>
    b.stats().security?.refused[port]?.[reason] ?? 0;

  it('carries messages for an allowed key on every port, and counts them by key name', async () => {
    const b = await startBroker(ring.brokerOptions());
    const { ingress, publish, push } = b.endpoints!;
    const pub = sockets.track(
      new XPublisher({
        linger: 0,
        receiveTimeout: 5000,
        noDrop: true,
        ...ring.socket(ring.producer),
      }),
    );
    pub.connect(ingress);
    const sub = sockets.track(
      new Subscriber({ linger: 0, receiveTimeout: 5000, ...ring.socket(ring.subscriber) }),
    );
    sub.connect(publish);
    sub.subscribe('');
    const pull = sockets.track(
      new Pull({ linger: 0, receiveTimeout: 5000, ...ring.socket(ring.worker) }),
    );
    pull.connect(push);
    await warmUp(b, pub, [sub]);
    await pub.send('orders.created sealed');
    expect((await sub.receive())[0]!.toString()).toBe('orders.created sealed');
    expect((await receiveWork(pull))[0]!.toString()).toBe('sealed');
    const security = b.stats().security!;
    expect(security.curve).toBe(true);
    expect(security.serverKey).toBe(ring.server.publicKey);
    expect(security.accepted).toEqual({
      ingress: { producer: 1 },
      publish: { subscriber: 1 },
      push: { worker: 1 },
    });
    expect(security.allowlists.workers).toMatchObject({ keys: 1, problems: [], generation: 1 });
  });

  it('takes a message of exactly --max-message-bytes: the limit is the message, not its sealed frame', async () => {
    const b = await startBroker({ ...ring.brokerOptions(), maxMessageBytes: 1024 });
    const pub = sockets.track(
      new XPublisher({
        linger: 0,
        receiveTimeout: 5000,
        noDrop: true,
        ...ring.socket(ring.producer),
      }),
    );
    pub.connect(b.endpoints!.ingress);
    const sub = sockets.track(
      new Subscriber({ linger: 0, receiveTimeout: 5000, ...ring.socket(ring.subscriber) }),
    );
    sub.connect(b.endpoints!.publish);
    sub.subscribe('');
    await warmUp(b, pub, [sub]);
    const full = Buffer.concat([Buffer.from('big '), Buffer.alloc(1020, 0x61)]);
    await pub.send(full);
    expect((await sub.receive())[0]).toEqual(full);
  });

  it('refuses a key of another role, an unknown key, plain text and a wrong server key, counted by port and reason', async () => {
    const b = await startBroker(ring.brokerOptions());
    const { ingress, publish, push } = b.endpoints!;
    // A subscriber's key cannot publish, a producer's cannot take work: the client hears
    // "authentication failure" (the ZAP handler's 400).
    const cases: Array<[Publisher | Pull | Subscriber, string, string, RefusalReason]> = [
      [
        new Publisher({ linger: 0, ...ring.socket(ring.subscriber) }),
        ingress,
        'ingress',
        'wrong-role',
      ],
      [new Pull({ linger: 0, ...ring.socket(ring.producer) }), push, 'push', 'wrong-role'],
      [
        new Subscriber({ linger: 0, ...ring.socket(ring.stranger) }),
        publish,
        'publish',
        'unknown-key',
      ],
    ];
    for (const [socket, endpoint, port, reason] of cases) {
      sockets.track(socket).connect(endpoint);
      const event = (await nextEvent(
        socket.events,
        'handshake:error:auth',
      )) as EventOfType<'handshake:error:auth'>;
      expect(event.error.status).toBe(400);
      await waitFor(() => refused(b, port, reason) === 1, 5000, `${port} ${reason}`);
    }
    // A plain-text worker: refused at the mechanism check.
    sockets.track(new Pull({ linger: 0 })).connect(push);
    await waitFor(() => refused(b, 'push', 'plain-text') === 1, 5000, 'push plain-text');
    // A producer given another broker's public key: its hello cannot be opened.
    const elsewhere = ring.stranger.publicKey;
    sockets
      .track(new Publisher({ linger: 0, ...ring.socket(ring.producer, elsewhere) }))
      .connect(ingress);
    await waitFor(() => refused(b, 'ingress', 'wrong-server-key') >= 1, 5000, 'wrong-server-key');
    const security = b.stats().security!;
    expect(security.refused['publish']).toMatchObject({ 'unknown-key': 1, 'plain-text': 0 });
    expect(security.accepted).toEqual({ ingress: {}, publish: {}, push: {} });
  });

  it("takes the producers' and the workers' keys on the reliable port, and refuses a subscriber's", async () => {
    const b = await startBroker({
      ...ring.brokerOptions(),
      reliable: 'tcp://127.0.0.1:*',
      store: 'memory',
    });
    const reliable = b.endpoints!.reliable as string;
    for (const keys of [ring.producer, ring.worker]) {
      const client = sockets.track(new Dealer({ linger: 0, ...ring.socket(keys) }));
      client.connect(reliable);
      await nextEvent(client.events, 'handshake');
    }
    const subscriber = sockets.track(new Dealer({ linger: 0, ...ring.socket(ring.subscriber) }));
    subscriber.connect(reliable);
    await nextEvent(subscriber.events, 'handshake:error:auth');
    await waitFor(() => refused(b, 'reliable', 'wrong-role') === 1, 5000, 'reliable wrong-role');
    const plain = sockets.track(new Dealer({ linger: 0 }));
    plain.connect(reliable);
    await waitFor(() => refused(b, 'reliable', 'plain-text') === 1, 5000, 'reliable plain-text');
    expect(b.stats().security!.accepted['reliable']).toEqual({ producer: 1, worker: 1 });
    expect(b.stats().peers.clients).toBe(2);
  });

  it('refuses a key removed from its allowlist at the next connection, with no restart', async () => {
    const b = await startBroker(ring.brokerOptions());
    const push = b.endpoints!.push;
    const first = sockets.track(new Pull({ linger: 0, ...ring.socket(ring.worker) }));
    first.connect(push);
    await nextEvent(first.events, 'handshake');
    ring.writeList('workers', []);
    await waitFor(() => b.stats().security!.allowlists.workers!.generation === 2, 5000, 'reload');
    expect(b.stats().security!.allowlists.workers!.keys).toBe(0);
    const again = sockets.track(new Pull({ linger: 0, ...ring.socket(ring.worker) }));
    again.connect(push);
    await nextEvent(again.events, 'handshake:error:auth');
    expect(refused(b, 'push', 'unknown-key')).toBe(1);
    // Put back, the key connects again.
    ring.writeList('workers', [ring.worker]);
    await waitFor(() => b.stats().security!.allowlists.workers!.generation === 3, 5000, 'reload');
    const back = sockets.track(new Pull({ linger: 0, ...ring.socket(ring.worker) }));
    back.connect(push);
    await nextEvent(back.events, 'handshake');
  });

  it('reads a list replaced by a rename, and on reloadAllowlists()', async () => {
    const b = await startBroker(ring.brokerOptions());
    const list = ring.list('producers');
    const next = join(ring.dir, 'producers.next');
    writeFileSync(next, `${ring.producer.publicKey} producer\n${ring.stranger.publicKey} new\n`);
    renameSync(next, list);
    await waitFor(() => b.stats().security!.allowlists.producers!.keys === 2, 5000, 'rename');
    b.reloadAllowlists(); // unchanged content: nothing new in force
    expect(b.stats().security!.allowlists.producers!.generation).toBe(2);
  });

  it('leaves out a bad line of an allowlist and keeps the rest', async () => {
    ring.writeList('subscribers', [ring.subscriber], 'not-a-key somebody\n');
    const b = await startBroker(ring.brokerOptions());
    const view = b.stats().security!.allowlists.subscribers!;
    expect(view.keys).toBe(1);
    expect(view.problems).toEqual([{ line: 3, problem: expect.stringMatching(/not-a-key/) }]);
    const sub = sockets.track(new Subscriber({ linger: 0, ...ring.socket(ring.subscriber) }));
    sub.connect(b.endpoints!.publish);
    await nextEvent(sub.events, 'handshake');
  });

  it('refuses every client of a role without an allowlist, and says so in /metrics', async () => {
    const b = await startBroker({
      ...ring.brokerOptions(),
      allowWorkers: null,
      monitor: '127.0.0.1:0',
    });
    expect(b.stats().security!.allowlists.workers).toBeNull();
    const pull = sockets.track(new Pull({ linger: 0, ...ring.socket(ring.worker) }));
    pull.connect(b.endpoints!.push);
    await nextEvent(pull.events, 'handshake:error:auth');
    expect(refused(b, 'push', 'unknown-key')).toBe(1);
    const metrics = await (await fetch(`${b.endpoints!.monitor}/metrics`)).text();
    expect(metrics).toContain('zmqmq_handshakes_refused_total{port="push",reason="unknown-key"} 1');
    expect(metrics).toContain('zmqmq_allowlist_keys{role="producers"} 1');
    expect(metrics).not.toContain('zmqmq_allowlist_keys{role="workers"}');
  });

  it('does not start with a key file that is not one: nothing is bound', async () => {
    const port = await freePort();
    const b = new Broker({
      ...ring.brokerOptions(),
      curveSecretKeyFile: join(ring.dir, 'broker.pub'),
      ingress: `tcp://127.0.0.1:${port}`,
      publish: 'tcp://127.0.0.1:*',
      push: 'tcp://127.0.0.1:*',
      monitor: 'off',
      logLevel: 'silent',
    });
    await expect(b.start()).rejects.toThrow(KeyError);
    await expect(b.start()).rejects.toThrow(/called on a broker that is stopped/);
    // The port is free: the ingress was never bound.
    const probe = sockets.track(new Pull({ linger: 0 }));
    await probe.bind(`tcp://127.0.0.1:${port}`);
  });

  it('counts a CURVE client at a broker without CURVE as wrong-mechanism', async () => {
    const b = await startBroker();
    sockets.track(new Pull({ linger: 0, ...ring.socket(ring.worker) })).connect(b.endpoints!.push);
    await waitFor(() => refused(b, 'push', 'wrong-mechanism') === 1, 5000, 'wrong-mechanism');
    expect(b.stats().security).toMatchObject({ curve: false, serverKey: null });
  });
});
