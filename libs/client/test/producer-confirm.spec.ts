// `new Producer({ confirm: true })`: the Producer on the reliable port, a ConfirmingProducer
// inside, against the stand-in broker.
import { defineTopics, jsonCodec, OptionError, topic } from '@zmq-mq/protocol';
import { NackError, Producer } from '../src';
import { Closer, StandInBroker } from '../src/testing';

describe('Producer with confirm: true', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  it('resolves send() on CONFIRM, typed by the topic map, and says up on WELCOME', async () => {
    const broker = track(await StandInBroker.start());
    broker.declare({ queue: 'orders', prefixes: ['orders.'] });
    const topics = defineTopics({ 'orders.created': topic(jsonCodec<{ n: number }>()) });
    const producer = track(new Producer({ topics, confirm: true, connect: broker.endpoint }));
    const up: string[] = [];
    producer.on('up', ({ endpoint }) => up.push(endpoint));
    const welcomed = new Promise((resolve) => producer.once('welcome', resolve));
    await producer.ready();
    await welcomed;
    await Promise.all([0, 1, 2].map((n) => producer.send('orders.created', { n })));
    expect(broker.queues.get('orders')!.ready).toHaveLength(3);
    expect(up).toEqual([broker.endpoint]);
    expect(producer.stats()).toMatchObject({
      accepted: 3,
      sent: 3,
      failed: 0,
      queued: 0,
      confirm: { confirmed: 3, published: 3 },
    });
    await producer.flush(1000);
  });

  it('rejects send() on NACK', async () => {
    const broker = track(await StandInBroker.start());
    broker.onPublish = () => ({ code: 'no-queue', message: 'no queue takes it' });
    const producer = track(new Producer({ confirm: true, connect: broker.endpoint }));
    await expect(producer.send('x.y', 1)).rejects.toBeInstanceOf(NackError);
    expect(producer.stats()).toMatchObject({ failed: 1, confirm: { nacked: 1 } });
  });

  it('refuses the options of the other kind of producer, naming them', () => {
    expect(() => new Producer({ confirm: true, queuePolicy: 'wait' })).toThrow(
      new OptionError(
        'queuePolicy',
        'wait',
        'does not apply with confirm: true (window bounds the sends waiting for the broker)',
      ),
    );
    expect(() => new Producer({ window: 10 })).toThrow(
      new OptionError('window', 10, 'applies only with confirm: true'),
    );
    expect(() => new Producer({ confirm: 'yes' as unknown as boolean })).toThrow(OptionError);
    expect(
      () => new Producer({ confirm: true, connect: ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'] }),
    ).toThrow('connect: takes one reliable endpoint');
  });
});
