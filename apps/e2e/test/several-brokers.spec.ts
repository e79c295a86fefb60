// Several brokers on the plain ports, as docs/deployment.md tells clients to use them:
// subscribers connect to every broker's publish port, workers to every push port, producers
// spread over the brokers. And why a plain PUB must connect to one broker only.
import { Producer, Subscriber, Worker } from '@zmq-mq/client';
import { Closer, take, waitFor, withTimeout } from '@zmq-mq/protocol/testing';
import { Publisher, Subscriber as ZmqSubscriber } from 'zeromq';
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';

const EACH = 300;

describe('two brokers on the plain ports', () => {
  const closer = new Closer();
  const track = <T extends { close(): Promise<void> }>(x: T): T => closer.track(x);
  let brokers: RunningBroker[] = [];
  beforeEach(async () => {
    // --drain-timeout 0: work queued for absent workers is not waited for at the stop.
    brokers = await Promise.all([0, 1].map(() => startBrokerProcess(['--drain-timeout', '0'])));
  });
  afterEach(async () => {
    await closer.closeAll();
    await Promise.all(brokers.map((b) => b.stop()));
  });

  it('gives a subscriber and a worker connected to both every message of producers spread over both, once each', async () => {
    const [a, b] = brokers as [RunningBroker, RunningBroker];
    const subscriber = track(new Subscriber({ connect: [a.publish, b.publish] }));
    const onlyA = track(new Subscriber({ connect: a.publish }));
    const worker = track(new Worker({ connect: [a.push, b.push] }));
    // One producer round-robins over both brokers (one PUB socket per broker), one uses B only.
    const spread = track(new Producer({ connect: [a.ingress, b.ingress] }));
    const onB = track(new Producer({ connect: b.ingress }));
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
  });

  it('hands each message of a plain PUB connected to both brokers to both: a subscriber of both gets it twice', async () => {
    const [a, b] = brokers as [RunningBroker, RunningBroker];
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
