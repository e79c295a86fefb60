// CURVE on every SDK class: the options, and the coded error each kind of failed handshake
// becomes. The broker is stood in for by bound zeromq sockets (CURVE server or plain), with a
// ZAP handler of the test's own where keys are checked.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCurveKeyPair, writeKeyPairFiles, z85Encode } from '@zmq-mq/protocol';
import type { WrittenKeyPair } from '@zmq-mq/protocol';
import { Closer, optionProblem, take, withTimeout } from '@zmq-mq/protocol/testing';
import { Context, Publisher, Push, Router, XSubscriber, type Socket } from 'zeromq';
import {
  ClientErrorCode,
  ConfirmingProducer,
  firstHandshakeErrors,
  HandshakeError,
  QueueWorker,
  NotReadyError,
  Producer,
  Subscriber,
  Worker,
  type ConnectionEvents,
  type HandshakeFailure,
} from '../src';
import { parseCurveOptions } from '../src/curve-options';

type Client = Producer | Subscriber | Worker;

/** The next `handshake-error` whose failure is `failure` (earlier ones of other kinds skipped). */
async function failure(client: Client, kind: HandshakeFailure): Promise<HandshakeError> {
  const seen: string[] = [];
  return withTimeout(
    (async () => {
      for (let i = 0; i < 100; i++) {
        const [event] = (await once(
          client,
          'handshake-error',
        )) as ConnectionEvents['handshake-error'];
        if (event.error instanceof HandshakeError && event.error.failure === kind)
          return event.error;
        seen.push(event.error instanceof HandshakeError ? event.error.failure : event.error.name);
      }
      throw new Error(`no ${kind} in 100 handshake errors`);
    })(),
    5000,
    () => `a ${kind} handshake error (saw ${seen.join(', ') || 'none'})`,
  );
}

describe('CURVE options', () => {
  let dir: string;
  let pair: WrittenKeyPair;
  const server = generateCurveKeyPair();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-client-keys-'));
    pair = writeKeyPairFiles(join(dir, 'alice'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('turns CURVE on with serverKey and a key file or a secret key', () => {
    expect(parseCurveOptions({})).toEqual({});
    const sockets = {
      curveServerKey: server.publicKey,
      curvePublicKey: pair.publicKey,
      curveSecretKey: pair.secretKey,
    };
    expect(parseCurveOptions({ serverKey: server.publicKey, keyFile: pair.secretPath })).toEqual(
      sockets,
    );
    expect(parseCurveOptions({ serverKey: server.publicKey, secretKey: pair.secretKey })).toEqual(
      sockets,
    );
    expect(
      parseCurveOptions({
        serverKey: server.publicKey,
        publicKey: pair.publicKey,
        secretKey: pair.secretKey,
      }),
    ).toEqual(sockets);
  });

  it('names the option that is wrong or missing, before any socket exists', () => {
    const s = server.publicKey;
    expect(optionProblem(() => parseCurveOptions({ serverKey: s }))).toMatch(
      /^serverKey: needs this client's key pair too/,
    );
    expect(optionProblem(() => parseCurveOptions({ keyFile: pair.secretPath }))).toMatch(
      /^keyFile: needs serverKey too/,
    );
    expect(
      optionProblem(() => parseCurveOptions({ serverKey: 'short', secretKey: pair.secretKey })),
    ).toMatch(/^serverKey: must be a Z85 key: a CURVE key is 40 Z85 characters, not 5/);
    expect(
      optionProblem(() =>
        parseCurveOptions({ serverKey: s, keyFile: pair.secretPath, secretKey: pair.secretKey }),
      ),
    ).toMatch(/^keyFile: cannot be combined/);
    expect(
      optionProblem(() =>
        parseCurveOptions({ serverKey: s, publicKey: s, secretKey: pair.secretKey }),
      ),
    ).toMatch(/^publicKey: is not the public key of secretKey/);
    expect(optionProblem(() => parseCurveOptions({ serverKey: s, publicKey: s }))).toMatch(
      /^publicKey: needs secretKey/,
    );
    expect(
      optionProblem(() => parseCurveOptions({ serverKey: s, keyFile: pair.publicPath })),
    ).toMatch(/^keyFile: has no secret-key line/);
    expect(
      optionProblem(() => new Subscriber({ serverKey: s, keyFile: join(dir, 'none.key') })),
    ).toMatch(/^keyFile: cannot be read/);
    const two = ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'];
    const curve = { keyFile: pair.secretPath };
    expect(optionProblem(() => new Worker({ connect: two, serverKey: [s], ...curve }))).toBe(
      'serverKey: must be one key, or one per endpoint of connect (2) (got "1 keys")',
    );
    expect(
      optionProblem(() => new Producer({ connect: two, serverKey: [s, 'short'], ...curve })),
    ).toMatch(/^serverKey\[1\]: must be a Z85 key/);
  });
});

/**
 * A CURVE server socket in a context of its own, with a ZAP handler that allows `allowed`
 * public keys (Z85) and refuses others with 400.
 */
async function curveServer<T extends Socket>(
  make: (context: Context) => T,
  secretKey: string,
  allowed: readonly string[],
  closer: Closer,
): Promise<T> {
  const context = new Context();
  const zap = closer.track(new Router({ context, linger: 0 }));
  await zap.bind('inproc://zeromq.zap.01');
  void (async () => {
    for await (const [id, , , requestId, , , , , key] of zap) {
      const ok = key !== undefined && allowed.includes(z85Encode(key));
      await zap.send([id!, '', '1.0', requestId!, ok ? '200' : '400', ok ? 'OK' : 'no', '', '']);
    }
  })();
  const socket = closer.track(make(context));
  socket.curveServer = true;
  socket.curveSecretKey = secretKey;
  await socket.bind('tcp://127.0.0.1:*');
  return socket;
}

describe('firstHandshakeErrors', () => {
  it('says each failure of an endpoint once, and a bare hang-up never', () => {
    const first = firstHandshakeErrors();
    const refused = new HandshakeError('tcp://h:1', 'worker', 'key-refused');
    expect(first(refused)).toBe(refused.message);
    expect(first(new HandshakeError('tcp://h:1', 'worker', 'key-refused'))).toBeUndefined();
    expect(first(new HandshakeError('tcp://h:2', 'worker', 'key-refused'))).toMatch(/h:2/);
    expect(first(new HandshakeError('tcp://h:1', 'worker', 'hung-up'))).toBeUndefined();
    expect(new HandshakeError('tcp://h:1', 'worker', 'hung-up').retried).toBe(true);
  });
});

describe('SDK clients with CURVE', () => {
  const closer = new Closer();
  let dir: string;
  let me: WrittenKeyPair;
  const server = generateCurveKeyPair();
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-client-curve-'));
    me = writeKeyPairFiles(join(dir, 'me'));
  });
  afterEach(async () => {
    await closer.closeAll();
    rmSync(dir, { recursive: true, force: true });
  });
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  const stand = <T extends Socket>(make: (c: Context) => T, allowed: string[] = [me.publicKey]) =>
    curveServer(make, server.secretKey, allowed, closer);

  it('a producer, a subscriber and a worker with an allowed key carry messages', async () => {
    const ingress = await stand((c) => new XSubscriber({ context: c, linger: 0 }));
    const publish = await stand((c) => new Publisher({ context: c, linger: 0 }));
    const push = await stand((c) => new Push({ context: c, linger: 0 }));
    const curve = { serverKey: server.publicKey, keyFile: me.secretPath, readySettleMs: 0 };
    const producer = track(new Producer({ connect: ingress.lastEndpoint!, ...curve }));
    const subscriber = track(new Subscriber({ connect: publish.lastEndpoint!, ...curve }));
    const worker = track(new Worker({ connect: push.lastEndpoint!, ...curve }));
    await Promise.all([subscriber.ready(), worker.ready()]);
    // The stand-in ingress subscribes to everything, as the broker's does.
    await ingress.send(Buffer.from([1]));
    await producer.ready();
    await producer.send('orders.created', { id: 1 });
    const [frame] = await withTimeout(ingress.receive(), 5000, 'the sealed message');
    expect(frame!.toString()).toBe('orders.created {"id":1}');
    await push.send('{"id":2}');
    const [item] = await take(worker, 1);
    expect(item!.body).toEqual({ id: 2 });
  });

  it('a producer, a subscriber and a worker reach two brokers with keys of their own, a serverKey for each', async () => {
    const other = generateCurveKeyPair();
    const standAt = <T extends Socket>(secret: string, make: (c: Context) => T) =>
      curveServer(make, secret, [me.publicKey], closer);
    const [ingressA, ingressB] = await Promise.all(
      [server, other].map((k) =>
        standAt(k.secretKey, (c) => new XSubscriber({ context: c, linger: 0 })),
      ),
    );
    const [publishA, publishB] = await Promise.all(
      [server, other].map((k) =>
        standAt(k.secretKey, (c) => new Publisher({ context: c, linger: 0 })),
      ),
    );
    const [pushA, pushB] = await Promise.all(
      [server, other].map((k) => standAt(k.secretKey, (c) => new Push({ context: c, linger: 0 }))),
    );
    const both = <T extends Socket>(a: T, b: T) => ({
      connect: [a.lastEndpoint!, b.lastEndpoint!],
      serverKey: [server.publicKey, other.publicKey],
      keyFile: me.secretPath,
      readySettleMs: 0,
    });
    const producer = track(new Producer(both(ingressA!, ingressB!)));
    const subscriber = track(new Subscriber(both(publishA!, publishB!)));
    const worker = track(new Worker(both(pushA!, pushB!)));
    await Promise.all([subscriber.ready(), worker.ready()]);
    for (const ingress of [ingressA!, ingressB!]) await ingress.send(Buffer.from([1]));
    await producer.ready();
    // Round-robin: one message through each broker's sealed link.
    await producer.send('orders.created', { id: 1 });
    await producer.send('orders.created', { id: 2 });
    const [a] = await withTimeout(ingressA!.receive(), 5000, 'the message through A');
    const [b] = await withTimeout(ingressB!.receive(), 5000, 'the message through B');
    expect([String(a), String(b)].sort()).toEqual([
      'orders.created {"id":1}',
      'orders.created {"id":2}',
    ]);
    await publishA!.send('orders.a {"from":"A"}');
    await publishB!.send('orders.b {"from":"B"}');
    const fanOut = await take(subscriber, 2);
    expect(fanOut.map((e) => e.topic).sort()).toEqual(['orders.a', 'orders.b']);
    await pushA!.send('{"from":"A"}');
    await pushB!.send('{"from":"B"}');
    const work = await take(worker, 2);
    expect(work.map((e) => (e.body as { from: string }).from).sort()).toEqual(['A', 'B']);
  });

  it("a key the broker refuses: a HandshakeError naming the role's allowlist, and ready() says why", async () => {
    const publish = await stand((c) => new Publisher({ context: c, linger: 0 }), []);
    const endpoint = publish.lastEndpoint!;
    const subscriber = track(
      new Subscriber({ connect: endpoint, serverKey: server.publicKey, keyFile: me.secretPath }),
    );
    const error = await failure(subscriber, 'key-refused');
    expect(error.code).toBe(ClientErrorCode.Handshake);
    expect(error.message).toBe(
      `${endpoint} refused this subscriber's key: its public key is not on the broker's allowlist for this port (--allow-subscribers), or was removed from it. ZeroMQ does not retry this endpoint.`,
    );
    expect(error.retried).toBe(false);
    const notReady = await subscriber.ready(200).catch((err: unknown) => err);
    expect(notReady).toBeInstanceOf(NotReadyError);
    expect((notReady as NotReadyError).message).toMatch(/refused this subscriber's key/);
    expect((notReady as NotReadyError).cause).toBe(error);
  });

  it('a plain-text client at a CURVE broker: needs-curve, naming what to give it', async () => {
    const push = await stand((c) => new Push({ context: c, linger: 0 }));
    const worker = track(new Worker({ connect: push.lastEndpoint! }));
    const error = await failure(worker, 'needs-curve');
    expect(error.message).toMatch(/runs CURVE and this worker does not: give it serverKey/);
  });

  it('a CURVE client at a plain broker: no-curve', async () => {
    const push = closer.track(new Push({ linger: 0 }));
    await push.bind('tcp://127.0.0.1:*');
    const worker = track(
      new Worker({
        connect: push.lastEndpoint!,
        serverKey: server.publicKey,
        keyFile: me.secretPath,
      }),
    );
    const error = await failure(worker, 'no-curve');
    expect(error.message).toMatch(/does not run CURVE but this worker does/);
  });

  it("another broker's key as serverKey: server-key, and ZeroMQ keeps retrying", async () => {
    const ingress = await stand((c) => new XSubscriber({ context: c, linger: 0 }));
    const producer = track(
      new Producer({
        connect: ingress.lastEndpoint!,
        serverKey: generateCurveKeyPair().publicKey,
        keyFile: me.secretPath,
      }),
    );
    const error = await failure(producer, 'server-key');
    expect(error.retried).toBe(true);
    expect(error.message).toMatch(/most likely serverKey is not this broker's public key/);
  });

  it('the reliable-port clients take the same options: a CURVE handshake, then HELLO', async () => {
    const reliable = await stand((c) => new Router({ context: c, linger: 0 }));
    const curve = { serverKey: server.publicKey, keyFile: me.secretPath };
    const producer = track(new ConfirmingProducer({ connect: reliable.lastEndpoint!, ...curve }));
    const worker = track(
      new QueueWorker({ connect: reliable.lastEndpoint!, queue: 'q', ...curve }),
    );
    void producer;
    void worker;
    // Each says HELLO over its sealed link: the stand-in reads two commands.
    for (let i = 0; i < 2; i++) {
      const [, command] = await withTimeout(reliable.receive(), 5000, 'a HELLO');
      expect(command!.toString()).toBe('HELLO');
    }
  });
});
