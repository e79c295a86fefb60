// Several brokers, as docs/deployment.md tells clients to use them: subscribers connect to
// every broker's publish port, workers to every push port, producers spread over the brokers;
// on the plain ports, and with CURVE where each broker has its own key pair and each client is
// given every broker's server key. And why a plain PUB must connect to one broker only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Producer, Subscriber, Worker } from '@zmq-mq/client';
import { writeKeyPairFiles, type WrittenKeyPair } from '@zmq-mq/protocol';
import { Closer, take, waitFor, withTimeout } from '@zmq-mq/protocol/testing';
import { Publisher, Subscriber as ZmqSubscriber } from 'zeromq';
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';

const EACH = 300;

describe('two brokers', () => {
  const closer = new Closer();
  const track = <T extends { close(): Promise<void> }>(x: T): T => closer.track(x);
  let brokers: RunningBroker[] = [];
  let keysDir: string | undefined;
  afterEach(async () => {
    await closer.closeAll();
    await Promise.all(brokers.map((b) => b.stop()));
    brokers = [];
    if (keysDir !== undefined) rmSync(keysDir, { recursive: true, force: true });
    keysDir = undefined;
  });

  /** Two brokers; with `curve`, each with a key pair of its own and one client key on every list. */
  async function twoBrokers(curve: boolean): Promise<{
    a: RunningBroker;
    b: RunningBroker;
    /** A client's options for `port` of the brokers `which` (both by default), with its keys. */
    client: (
      port: 'ingress' | 'publish' | 'push',
      which?: number[],
    ) => { connect: string[]; serverKey?: string[]; keyFile?: string };
  }> {
    // --drain-timeout 0: work queued for absent workers is not waited for at the stop.
    const common = ['--drain-timeout', '0'];
    let keys: { brokers: WrittenKeyPair[]; client: WrittenKeyPair } | undefined;
    if (curve) {
      keysDir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-brokers-'));
      const dir = keysDir;
      keys = {
        brokers: ['a', 'b'].map((n) => writeKeyPairFiles(join(dir, `broker-${n}`))),
        client: writeKeyPairFiles(join(dir, 'client')),
      };
    }
    brokers = await Promise.all(
      [0, 1].map((i) =>
        startBrokerProcess([
          ...common,
          ...(keys === undefined
            ? []
            : [
                ...['--curve-secret-key-file', keys.brokers[i]!.secretPath],
                ...['--allow-producers', keys.client.publicPath],
                ...['--allow-subscribers', keys.client.publicPath],
                ...['--allow-workers', keys.client.publicPath],
              ]),
        ]),
      ),
    );
    const [a, b] = brokers as [RunningBroker, RunningBroker];
    return {
      a,
      b,
      client: (port, which = [0, 1]) => ({
        connect: which.map((i) => brokers[i]![port]),
        ...(keys === undefined
          ? {}
          : {
              serverKey: which.map((i) => keys.brokers[i]!.publicKey),
              keyFile: keys.client.secretPath,
            }),
      }),
    };
  }

  it.each([
    ['on the plain ports', false],
    ['with CURVE, each broker its own key pair, each client given both server keys', true],
  ])(
    'gives a subscriber and a worker connected to both every message of producers spread over both, once each (%s)',
    async (_, curve) => {
      const { client } = await twoBrokers(curve);
      const subscriber = track(new Subscriber(client('publish')));
      const onlyA = track(new Subscriber(client('publish', [0])));
      const worker = track(new Worker(client('push')));
      // One producer round-robins over both brokers (one PUB socket per broker), one uses B only.
      const spread = track(new Producer(client('ingress')));
      const onB = track(new Producer(client('ingress', [1])));
      await Promise.all([
        subscriber.ready(),
        onlyA.ready(),
        worker.ready(),
        spread.ready(),
        onB.ready(),
      ]);
      const throughA = take(onlyA, 1);
      const fanOut = take(subscriber, 2 * EACH);
      const work = take(worker, 2 * EACH);
      for (let n = 0; n < EACH; n++) {
        await spread.send('orders.created', { p: 'spread', n });
        await onB.send('orders.created', { p: 'onB', n });
      }
      const expected = ['spread', 'onB']
        .flatMap((p) => Array.from({ length: EACH }, (_, n) => `${p}/${n}`))
        .sort();
      for (const got of [await fanOut, await work]) {
        const keys = got.map((e) => {
          const body = e.body as { p: string; n: number };
          return `${body.p}/${body.n}`;
        });
        expect(keys.sort()).toEqual(expected);
      }
      // Round-robin: the spread producer's messages went through broker A too.
      expect((await throughA)[0]!.body).toMatchObject({ p: 'spread' });
    },
  );

  it('hands each message of a plain PUB connected to both brokers to both: a subscriber of both gets it twice', async () => {
    const { a, b } = await twoBrokers(false);
    const sub = new ZmqSubscriber({ linger: 0 });
    const pub = new Publisher({ linger: 0 });
    closer.track({ close: async () => void (sub.close(), pub.close()) });
    sub.connect(a.publish);
    sub.connect(b.publish);
    sub.subscribe();
    pub.connect(a.ingress);
    pub.connect(b.ingress);
    const copies = new Map<string, number>();
    const reading = (async () => {
      for await (const [frame] of sub) {
        const text = String(frame);
        copies.set(text, (copies.get(text) ?? 0) + 1);
        if (text === 'check twice' && copies.get(text) === 2) return;
      }
    })();
    // Nothing tells a PUB when a broker's subscription has arrived, nor a SUB when its own has
    // reached a broker: probe until one probe came through both brokers, bounded.
    let n = 0;
    await waitFor(
      async () => {
        await pub.send(`probe ${n++}`);
        return [...copies].some(([text, count]) => text.startsWith('probe') && count === 2);
      },
      10_000,
      'a probe through both brokers',
    );
    await pub.send('check twice');
    await withTimeout(reading, 5000, 'the second copy');
    expect(copies.get('check twice')).toBe(2);
  });
});
