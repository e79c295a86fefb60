// The zmq-mq driver against a scripted reliable port: a real ROUTER on an ephemeral loopback
// port that answers as the protocol says, so the driver is checked before the broker has one.
import { Router } from 'zeromq';
import { headerOffset, writeHeader } from '../src/payload';
import type { ConsumeLink, PublishLink } from '../src/reliable/links';
import { LOCAL_NAMES } from '../src/reliable/messages';
import type { QueueNames, Target } from '../src/reliable/messages';
import { zmqMqConsumer, zmqMqPublisher } from '../src/reliable/zmq-mq-link';
import { decodeCommand, encodeCommand } from '../src/reliable/zmq-mq-protocol';
import type { Command } from '../src/reliable/zmq-mq-protocol';

function payload(seq: number): Buffer {
  const buf = Buffer.alloc(40, 0x2e);
  writeHeader(buf, 0, 3, seq, 12345);
  return buf;
}

/** A promise and its resolver, for a callback to settle. */
function later<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('zmq-mq link, against a scripted reliable port', () => {
  let router: Router;
  let url: string;
  let link: PublishLink | ConsumeLink | null = null;
  const target = (names: QueueNames = LOCAL_NAMES): Target => ({
    driver: 'zmq-mq',
    url,
    ...names,
  });

  beforeEach(async () => {
    router = new Router({ linger: 0 });
    await router.bind('tcp://127.0.0.1:*');
    url = router.lastEndpoint as string;
  });

  afterEach(async () => {
    await link?.close();
    link = null;
    router.close();
  });

  /** The next command from a client, and who sent it. */
  async function receive(): Promise<{ peer: Buffer; command: Command }> {
    const [peer, ...frames] = await router.receive();
    return { peer: peer as Buffer, command: decodeCommand(frames) };
  }

  async function reply(
    peer: Buffer,
    name: string,
    body: unknown,
    frames: Buffer[] = [],
  ): Promise<void> {
    await router.send([peer, ...encodeCommand(name, body, frames)]);
  }

  /** Answers the client's HELLO with a WELCOME (a long heartbeat: none in the test). */
  async function welcome(): Promise<Buffer> {
    const { peer, command } = await receive();
    expect(command.name).toBe('HELLO');
    expect(command.body).toMatchObject({ v: 1 });
    await reply(peer, 'WELCOME', {
      v: 1,
      session: 's1',
      heartbeat: 60_000,
      epoch: 'e1',
      maxMessageBytes: 1 << 20,
    });
    return peer;
  }

  it('publishes a batch as one PUBLISH and settles each token by its CONFIRM or NACK', async () => {
    const settled: Array<[number, boolean]> = [];
    const all = later<void>();
    const errors: unknown[] = [];
    const opening = zmqMqPublisher(target(), {
      confirmed(token, ok) {
        settled.push([token, ok]);
        if (settled.length === 3) all.resolve();
      },
      error: (err) => errors.push(err),
    });
    const peer = await welcome();
    const publisher = await opening;
    link = publisher;
    publisher.publish(payload(1), 5);
    publisher.publish(payload(2), 6);
    publisher.publish(payload(0), 0);
    publisher.flush();
    const { command } = await receive();
    expect(command.name).toBe('PUBLISH');
    const ids = (command.body as { msgs: Array<[string, number]> }).msgs.map(([id, n]) => {
      expect(n).toBe(1);
      return id;
    });
    expect(new Set(ids).size).toBe(3);
    expect(command.frames).toHaveLength(3);
    for (const frame of command.frames) {
      expect(frame.subarray(0, 15).toString()).toBe('bench.reliable ');
      expect(headerOffset(frame, 15)).toBe(15);
    }
    await reply(peer, 'CONFIRM', [ids[0], ids[2]]);
    await reply(peer, 'NACK', [
      [ids[1], 'queue-full', 'bench: 1000000 messages'],
      ['unknown', 'x', 'y'],
    ]);
    await all.promise;
    expect(settled).toEqual([
      [5, true],
      [0, true],
      [6, false],
    ]);
    expect(errors).toEqual([]);
    link = null;
    await publisher.close();
    expect((await receive()).command.name).toBe('BYE');
  });

  it('gives each publisher ids of its own (the broker drops an id it has seen, whoever sent it)', async () => {
    const sink = {
      confirmed: () => undefined,
      error: (err: unknown) => {
        throw err;
      },
    };
    const idsOf = async (): Promise<string[]> => {
      const opening = zmqMqPublisher(target(), sink);
      await welcome();
      const publisher = await opening;
      publisher.publish(payload(1), 1);
      publisher.publish(payload(2), 2);
      publisher.flush();
      const { command } = await receive();
      await publisher.close();
      expect((await receive()).command.name).toBe('BYE');
      return (command.body as { msgs: Array<[string, number]> }).msgs.map(([id]) => id);
    };
    const first = await idsOf();
    const second = await idsOf();
    expect(new Set([...first, ...second]).size).toBe(4);
  });

  it('consumes the target’s queue with credit and acks each DELIVER batch with one ACK of its tags', async () => {
    const received: Array<[number, boolean]> = [];
    const acked = later<void>();
    const names = { queue: 'run-7', subject: 'run-7.reliable', prefix: 'run-7.' };
    const opening = zmqMqConsumer(target(names), 250, {
      received(buf, start, end, redelivered) {
        const at = headerOffset(buf, start, end);
        received.push([buf.readUInt32LE(at + 5), redelivered]);
      },
      acked: () => acked.resolve(),
      error: (err) => {
        throw err;
      },
    });
    const peer = await welcome();
    const consume = await receive();
    expect(consume.command).toMatchObject({
      name: 'CONSUME',
      body: { queue: 'run-7', credit: 250 },
    });
    await reply(peer, 'CONSUMING', { queue: 'run-7', credit: 250 });
    link = await opening;
    const frame = (seq: number): Buffer =>
      Buffer.concat([Buffer.from('run-7.reliable '), payload(seq)]);
    const tags = [1_796_548_615_871_000, 1_796_548_615_871_001];
    await reply(
      peer,
      'DELIVER',
      {
        queue: 'run-7',
        msgs: [
          [tags[0], 1, 1],
          [tags[1], 2, 1],
        ],
      },
      [frame(7), frame(8)],
    );
    const ack = await receive();
    expect(ack.command).toMatchObject({ name: 'ACK', body: tags });
    await acked.promise;
    expect(received).toEqual([
      [7, false],
      [8, true],
    ]);
  });
});
