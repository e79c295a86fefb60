import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMeta, ErrorCode } from '@zmq-mq/protocol';
import { ClientErrorCode, ConfirmingProducer, NackError } from '../src';
import type { SessionInfo } from '../src';
import { Closer, StandInBroker, waitFor } from '../src/testing';

describe('ConfirmingProducer', () => {
  const closer = new Closer();
  afterEach(() => closer.closeAll());
  const track = <T extends { close(): unknown }>(x: T): T => closer.track(x);

  async function standIn(options?: Parameters<typeof StandInBroker.start>[0]) {
    const broker = track(await StandInBroker.start(options));
    broker.declare({ queue: 'orders', prefixes: ['orders.'] });
    return broker;
  }

  function publishedIds(broker: StandInBroker): string[] {
    return broker.commands('PUBLISH').flatMap((p) => p.ids);
  }

  it('resolves send() on CONFIRM, with the metadata id as the PUBLISH id', async () => {
    const broker = await standIn();
    const producer = track(new ConfirmingProducer({ connect: broker.endpoint }));
    await producer.ready();
    await producer.send('orders.created', { n: 1 }, { id: 'order-1' });
    const [publish] = broker.commands('PUBLISH');
    expect(publish!.ids).toEqual(['order-1']);
    expect(decodeMeta(publish!.messages[0]![1]!).id).toBe('order-1');
    expect(broker.queues.get('orders')!.ready.map((m) => m.id)).toEqual(['order-1']);
    expect(producer.stats()).toMatchObject({ accepted: 1, confirmed: 1, unconfirmed: 0 });
    expect(broker.commands('HELLO')).toHaveLength(1);
  });

  it('rejects send() with a NackError carrying the code, queue and limit', async () => {
    const broker = await standIn();
    broker.onPublish = () => ({
      code: 'queue-full',
      message: 'queue orders is full',
      queue: 'orders',
      limit: 10,
    });
    const producer = track(new ConfirmingProducer({ connect: broker.endpoint }));
    const err = await producer.send('orders.created', 1, { id: 'x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NackError);
    expect(err).toMatchObject({
      code: ClientErrorCode.Nacked,
      reason: 'queue-full',
      messageId: 'x',
      queue: 'orders',
      limit: 10,
    });
    expect(producer.stats()).toMatchObject({ nacked: 1, confirmed: 0, unconfirmed: 0 });
  });

  it('rejects send() with a TimeoutError when no answer comes in time', async () => {
    const broker = await standIn();
    broker.onPublish = () => 'ignore';
    const producer = track(
      new ConfirmingProducer({ connect: broker.endpoint, confirmTimeoutMs: 100 }),
    );
    await expect(producer.send('orders.created', 1)).rejects.toMatchObject({
      code: ClientErrorCode.Timeout,
      timeoutMs: 100,
    });
    expect(producer.stats()).toMatchObject({ timedOut: 1, unconfirmed: 0 });
  });

  it('keeps at most `window` sends unanswered; send() waits for room', async () => {
    const broker = await standIn();
    broker.onPublish = () => 'hold';
    const producer = track(new ConfirmingProducer({ connect: broker.endpoint, window: 3 }));
    const sends = Array.from({ length: 5 }, (_, i) =>
      producer.send('orders.created', i, { id: `m${i}` }),
    );
    await waitFor(() => broker.holding.length === 3);
    expect(producer.stats()).toMatchObject({ unconfirmed: 3, waiting: 2 });
    // Room comes only with answers: the 2 waiting sends are not published meanwhile.
    expect(publishedIds(broker)).toEqual(['m0', 'm1', 'm2']);
    broker.release();
    await waitFor(() => broker.holding.length === 2);
    broker.release();
    await Promise.all(sends);
    expect(publishedIds(broker)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    expect(producer.stats()).toMatchObject({ confirmed: 5, unconfirmed: 0, waiting: 0 });
  });

  it('batches the sends of one event-loop turn into PUBLISH commands of maxBatch', async () => {
    const broker = await standIn();
    const producer = track(new ConfirmingProducer({ connect: broker.endpoint, maxBatch: 32 }));
    await producer.ready();
    await Promise.all(Array.from({ length: 100 }, (_, i) => producer.send('orders.created', i)));
    expect(broker.commands('PUBLISH').map((p) => p.ids.length)).toEqual([32, 32, 32, 4]);
    expect(producer.stats()).toMatchObject({ batches: 4, published: 100, confirmed: 100 });
    expect(broker.queues.get('orders')!.ready).toHaveLength(100);
  });

  it('sends HEARTBEATs while idle and keeps the link while the broker answers with its own', async () => {
    const broker = await standIn({ heartbeatMs: 30 });
    const producer = track(new ConfirmingProducer({ connect: broker.endpoint, heartbeatMs: 30 }));
    await producer.ready();
    await waitFor(() => broker.commands('HEARTBEAT').length >= 6, 5000);
    // Six heartbeats take at least six intervals, twice the silence that would end a link.
    expect(producer.stats().reconnects).toBe(0);
    expect(broker.commands('HELLO')).toHaveLength(1);
  });

  it('reconnects to a silent broker and sends what is unanswered again, with the same ids', async () => {
    const broker = await standIn({ heartbeatMs: 30 });
    const producer = track(
      new ConfirmingProducer({ connect: broker.endpoint, heartbeatMs: 30, confirmTimeoutMs: 5000 }),
    );
    await producer.ready();
    const sessions: string[] = [];
    producer.on('welcome', (w) => sessions.push(w.session));
    producer.on('reconnect', ({ reason }) => {
      expect(reason).toBe('heartbeat');
      broker.silent = false; // the broker is back before the new DEALER says HELLO
    });
    // The broker reads the PUBLISH, then hangs: no CONFIRM, no heartbeats.
    const seen = new Set<string>();
    broker.onPublish = (id) => {
      if (seen.has(id)) return 'confirm';
      seen.add(id);
      broker.silent = true;
      return 'ignore';
    };
    await producer.send('orders.created', 1, { id: 'again-1' });
    const publishes = broker.received.filter((r) => r.command.type === 'PUBLISH');
    expect(publishes.map((r) => (r.command as { ids: string[] }).ids)).toEqual([
      ['again-1'],
      ['again-1'],
    ]);
    expect(publishes[0]!.peer).not.toBe(publishes[1]!.peer);
    const hellos = broker.commands('HELLO');
    expect(hellos).toHaveLength(2);
    expect(hellos[1]!.session).toBe(sessions[0]);
    expect(producer.stats()).toMatchObject({ reconnects: 1, resent: 1, confirmed: 1 });
    expect(broker.queues.get('orders')!.ready.map((m) => m.id)).toEqual(['again-1']);
  });

  it('sends what is unanswered again after a broker restart (new epoch)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-reliable-'));
    track({ close: () => rmSync(dir, { recursive: true, force: true }) });
    const broker = await standIn({ endpoint: `ipc://${dir}/reliable` });
    const producer = track(
      new ConfirmingProducer({ connect: broker.endpoint, confirmTimeoutMs: 5000 }),
    );
    const welcomes: SessionInfo[] = [];
    producer.on('welcome', (w) => welcomes.push(w));
    await producer.ready();
    let first = true;
    broker.onPublish = () => {
      if (!first) return 'confirm';
      first = false;
      void broker.restart();
      return 'ignore';
    };
    await producer.send('orders.created', 1, { id: 'epoch-1' });
    expect(welcomes).toHaveLength(2);
    expect(welcomes[1]).toMatchObject({ reconnected: true, voided: true, resumed: false });
    expect(welcomes[1]!.epoch).not.toBe(welcomes[0]!.epoch);
    expect(publishedIds(broker)).toEqual(['epoch-1', 'epoch-1']);
    expect(producer.stats()).toMatchObject({ reconnects: 1, resent: 1, confirmed: 1 });
  });

  it('refuses a message past the broker maxMessageBytes before sending it', async () => {
    const broker = await standIn({ maxMessageBytes: 200 });
    const producer = track(new ConfirmingProducer({ connect: broker.endpoint }));
    await producer.ready();
    await expect(producer.send('orders.created', 'x'.repeat(300))).rejects.toMatchObject({
      code: ErrorCode.MessageTooLarge,
      limit: 200,
    });
    expect(broker.commands('PUBLISH')).toHaveLength(0);
  });

  it('close() waits for answers, then rejects what is left, says BYE and refuses sends', async () => {
    const broker = await standIn();
    broker.onPublish = (id) => (id === 'late' ? 'ignore' : 'confirm');
    const producer = track(
      new ConfirmingProducer({ connect: broker.endpoint, closeTimeoutMs: 100 }),
    );
    await producer.ready();
    const ok = producer.send('orders.created', 1, { id: 'ok' });
    const late = producer.send('orders.created', 2, { id: 'late' });
    await producer.close();
    await expect(ok).resolves.toBeUndefined();
    await expect(late).rejects.toMatchObject({ code: ClientErrorCode.Closed });
    await expect(producer.send('orders.created', 3)).rejects.toMatchObject({
      code: ClientErrorCode.Closed,
    });
    await waitFor(() => broker.commands('BYE').length === 1);
    expect(producer.stats()).toMatchObject({ confirmed: 1, droppedOnClose: 1 });
  });

  it('refuses bad options with OptionError', () => {
    expect(
      () => new ConfirmingProducer({ connect: ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'] }),
    ).toThrow(/connect: takes one reliable endpoint/);
    expect(() => new ConfirmingProducer({ window: 0 })).toThrow(/window/);
    expect(() => new ConfirmingProducer({ heartbeatMs: 1 })).toThrow(/heartbeatMs/);
  });
});
