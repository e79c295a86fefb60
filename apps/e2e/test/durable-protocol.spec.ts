// The reliable port of the real broker process: bad input gets an ERROR or a counted drop and
// never stops it; a re-sent id (its CONFIRM lost) is stored once; the Python client of
// fixtures/reliable_client.py publishes and consumes through it.
import { connect } from 'node:net';
import {
  decodeBrokerCommand,
  encodeAck,
  encodeConsume,
  encodeHello,
  encodePublish,
  type BrokerCommand,
} from '@zmq-mq/protocol';
import { withTimeout } from '@zmq-mq/protocol/testing';
import { Dealer } from 'zeromq';
import { getJson, type DurableBroker } from '../src/durable';
import { startPython } from '../src/python';
import { durableFixture } from './durable-fixture';

interface ReliableStats {
  reliable: {
    stats: {
      badCommands: Record<string, number>;
      errorsSent: Record<string, number>;
      errorsSuppressed: number;
      unknownTags: number;
    };
  };
}

describe('durable queues: the reliable port of the broker process', () => {
  const fixture = durableFixture();
  const sockets: Dealer[] = [];
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  const start = (): Promise<DurableBroker> => fixture.broker(['--queue', 'orders=orders.']);

  function dealer(endpoint: string): {
    send(f: Array<Buffer | string>): Promise<void>;
    next(): Promise<BrokerCommand>;
  } {
    const socket = new Dealer({ linger: 0, receiveTimeout: 5000 });
    sockets.push(socket);
    socket.connect(endpoint);
    return {
      send: (frames) => socket.send(frames),
      next: async () => decodeBrokerCommand(await socket.receive()),
    };
  }

  it('answers bad input with clear ERRORs, drops a flood of it counted, and keeps serving', async () => {
    const b = await start();
    const c = dealer(b.ports.reliable);
    const expectError = async (code: string): Promise<void> => {
      expect(await c.next()).toMatchObject({ type: 'ERROR', code });
    };
    await c.send(['SUBSCRIBE', Buffer.from([0xc0])]);
    await expectError('unknown-command');
    await c.send(['CONSUME']); // no body frame
    await expectError('bad-request');
    await c.send([...encodeHello(), Buffer.from('one frame too many')]);
    await expectError('bad-request');
    const badCredit = encodeConsume({ queue: 'orders', credit: 1 });
    badCredit[1] = Buffer.from('82a57175657565a66f7264657273a6637265646974cd0000', 'hex'); // credit 0
    await c.send(badCredit);
    await expectError('bad-credit');
    await c.send(encodeAck([42]));
    expect(await c.next()).toMatchObject({ type: 'ERROR', code: 'unknown-tag', tags: [42] });
    await c.send([Buffer.from([0x00, 0xff, 0xfe]), Buffer.from('garbage'), Buffer.alloc(3)]);
    await expectError('unknown-command');
    // Garbage below ZeroMQ: bytes that are no ZMTP greeting, on a raw TCP connection.
    const port = Number(/:(\d+)$/.exec(b.ports.reliable)![1]);
    await new Promise<void>((resolve) => {
      // libzmq takes such a peer for ZMTP 1.0 and waits for more: the test hangs up itself.
      const raw = connect(port, '127.0.0.1', () =>
        raw.write(Buffer.from('GET / HTTP/1.0\r\n\r\n'), () => raw.destroy()),
      );
      raw.on('close', () => resolve());
      raw.on('error', () => resolve());
    });
    // A flood: 20 answered at once, about 10 a second after that, the rest counted.
    for (let i = 0; i < 500; i++) await c.send(['NOPE', Buffer.from([0xc0])]);
    const stats = async () =>
      ((await getJson(`${b.ports.monitor}/stats`)) as ReliableStats).reliable.stats;
    await withTimeout(
      (async () => {
        while ((await stats()).badCommands['unknown-command']! < 502) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      })(),
      10_000,
      'the flood read',
    );
    const s = await stats();
    expect(s.errorsSuppressed).toBeGreaterThan(400);
    expect(s.unknownTags).toBe(1);
    expect(await getJson(`${b.ports.monitor}/healthz`)).toEqual({ status: 'ok' });
    const other = dealer(b.ports.reliable);
    await other.send(encodeHello({ name: 'after the flood' }));
    expect(await other.next()).toMatchObject({ type: 'WELCOME', v: 1 });
  });

  it('stores a message once when its id comes again (a lost CONFIRM)', async () => {
    const b = await start();
    const c = dealer(b.ports.reliable);
    const message = [Buffer.from('orders.new {"n":1}')];
    await c.send(encodePublish(['lost-confirm'], [message]));
    expect(await c.next()).toEqual({ type: 'CONFIRM', ids: ['lost-confirm'] });
    await c.send(encodePublish(['lost-confirm'], [message]));
    expect(await c.next()).toEqual({ type: 'CONFIRM', ids: ['lost-confirm'] });
    expect(await b.queue('orders')).toMatchObject({
      messages: 1,
      counters: { published: 1, confirmed: 1, duplicates: 1 },
    });
    // The dedup window outlives the process: after kill -9 and a restart the id is still known.
    await b.kill9();
    await b.start();
    const again = dealer(b.ports.reliable);
    await again.send(encodePublish(['lost-confirm'], [message]));
    expect(await again.next()).toEqual({ type: 'CONFIRM', ids: ['lost-confirm'] });
    expect(await b.queue('orders')).toMatchObject({
      messages: 1,
      counters: { published: 0, duplicates: 1 },
    });
    // One message to deliver, not two.
    await again.send(encodeConsume({ queue: 'orders', credit: 10 }));
    expect(await again.next()).toMatchObject({ type: 'CONSUMING' });
    const delivered = await again.next();
    expect(delivered).toMatchObject({ type: 'DELIVER', queue: 'orders' });
    expect(delivered.type === 'DELIVER' && delivered.messages).toHaveLength(1);
    expect(await b.queue('orders')).toMatchObject({ messages: 1, depth: 0, unacked: 1 });
  });

  it('serves the Python client: confirmed publishes, then consumption with NAKs and ACKs', async () => {
    const b = await start();
    const publisher = fixture.process(
      startPython('reliable_client.py', ['publish', b.ports.reliable, 'orders.created', '25']),
    );
    expect(await publisher.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    const ids = publisher.stdoutLines.filter((l) => l !== '');
    expect(ids).toHaveLength(25);
    const consumer = fixture.process(
      startPython('reliable_client.py', [
        ...['consume', b.ports.reliable, 'orders', '25', '--credit', '5', '--nak-first'],
      ]),
    );
    expect(await consumer.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    const lines = consumer.stdoutLines.filter((l) => l !== '').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(50);
    for (const id of ids) {
      expect(lines.filter((l) => l.id === id).map((l) => l.attempt)).toEqual([1, 2]);
    }
    expect(lines[0]).toMatchObject({
      queue: 'orders',
      topic: 'orders.created',
      payload: '{"n": 0}',
    });
    expect(await b.queue('orders')).toMatchObject({
      messages: 0,
      counters: { confirmed: 25, nacked: 25, redelivered: 25, acked: 25 },
    });
  });

  it('reads a PUBLISH from a Python publisher with mandatory: no queue, NACK no-queue, exit 1', async () => {
    const b = await start();
    const publisher = fixture.process(
      startPython('reliable_client.py', [
        ...['publish', b.ports.reliable, 'nowhere.x', '3', '--mandatory'],
      ]),
    );
    expect(await withTimeout(publisher.waitForExit(20_000), 25_000)).toEqual({
      code: 1,
      signal: null,
    });
    expect(publisher.stderrLines.filter((l) => / no-queue /.test(l))).toHaveLength(3);
  });
});
