import { Packr } from 'msgpackr';
import * as wire from '../src/reliable/zmq-mq-protocol';
import { ReliableProtocolError } from '../src/reliable/zmq-mq-protocol';
import { TokenQueue } from '../src/reliable/token-queue';

const packr = new Packr({ useRecords: false });

describe('zmq-mq reliable-port commands', () => {
  it('PUBLISH: name, a body describing one frame per message, then the messages', () => {
    const frames = wire.publish(
      ['a', 'b'],
      [Buffer.from('bench.x one'), Buffer.from('bench.x two')],
    );
    expect(frames.map((f) => f.toString('latin1'))[0]).toBe('PUBLISH');
    const c = wire.decodeCommand(frames);
    expect(c.body).toEqual({
      msgs: [
        ['a', 1],
        ['b', 1],
      ],
    });
    expect(c.frames.map(String)).toEqual(['bench.x one', 'bench.x two']);
    expect(() => wire.publish(['a'], [])).toThrow('1 ids for 0 messages');
  });

  it('speaks standard msgpack (no records extension) and keeps tags above 2^32 exact', () => {
    const tag = 1_796_548_615_871_000;
    const [name, body] = wire.ack([tag, tag + 1]);
    expect(name!.toString()).toBe('ACK');
    expect(body!.toString('hex')).toBe(Buffer.from(packr.pack([tag, tag + 1])).toString('hex'));
    expect(body![0]).toBe(0x92); // fixarray of 2
    expect(wire.decodeCommand(wire.ack([tag])).body).toEqual([tag]);
    expect(wire.decodeCommand(wire.hello('p', 1000)).body).toEqual({
      v: 1,
      heartbeat: 1000,
      name: 'p',
    });
    expect(wire.decodeCommand(wire.consume('bench', 1000)).body).toEqual({
      queue: 'bench',
      credit: 1000,
    });
  });

  it('splits a DELIVER into its messages by their frame counts', () => {
    const body = {
      queue: 'bench',
      msgs: [
        [11, 1, 1],
        [12, 2, 2],
      ],
    };
    const frames = [Buffer.from('m1'), Buffer.from('m2'), Buffer.from('meta')];
    const d = wire.deliveries(body, frames);
    expect(d.map((x) => [x.tag, x.attempt, x.frames.map(String)])).toEqual([
      [11, 1, ['m1']],
      [12, 2, ['m2', 'meta']],
    ]);
  });

  it('refuses a DELIVER whose body and frames disagree, and a malformed command', () => {
    const frames = [Buffer.from('m1')];
    const deliver = (msgs: unknown): unknown => ({ queue: 'bench', msgs });
    expect(() => wire.deliveries(deliver([[1, 1, 2]]), frames)).toThrow(ReliableProtocolError);
    expect(() => wire.deliveries(deliver([]), frames)).toThrow('1 frames it does not describe');
    expect(() => wire.deliveries(deliver([['x', 1, 1]]), frames)).toThrow(
      'not [tag, attempt, nframes]',
    );
    expect(() => wire.deliveries({ queue: 'bench' }, frames)).toThrow(
      'DELIVER msgs: the body is not an array',
    );
    expect(() => wire.deliveries([[1, 1, 1]], frames)).toThrow('DELIVER: no queue in the body');
    expect(() => wire.decodeCommand([Buffer.from('ACK')])).toThrow('at least 2 frames');
    expect(() => wire.decodeCommand([Buffer.from('ACK'), Buffer.from([0x92, 0x01])])).toThrow(
      'ACK: the body is not msgpack',
    );
  });

  it('reads CONFIRM, NACK, WELCOME and ERROR bodies', () => {
    expect(wire.confirmedIds(['a', 'b'])).toEqual(['a', 'b']);
    expect(wire.nackedIds([['a', 'queue-full', 'bench: 1000000 messages']])).toEqual([
      { id: 'a', code: 'queue-full', text: 'bench: 1000000 messages' },
    ]);
    expect(wire.welcomeHeartbeat({ v: 1, session: 's', heartbeat: 500 })).toBe(500);
    expect(() => wire.welcomeHeartbeat({ v: 1 })).toThrow('WELCOME: no positive heartbeat');
    expect(wire.describeError({ code: 'unknown-tag', message: 'tag 5', command: 'ACK' })).toBe(
      'unknown-tag: tag 5 (ACK)',
    );
  });
});

describe('TokenQueue', () => {
  it('hands tokens back in order across growth and reuse', () => {
    const q = new TokenQueue();
    const out: number[] = [];
    let next = 0;
    // Push ahead of the shifts by up to 3000 entries, past the initial capacity, then drain.
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 300 * round; i++) q.push(next++);
      for (let i = 0; i < 100 * round; i++) out.push(q.shift()!);
    }
    while (q.length > 0) out.push(q.shift()!);
    expect(q.shift()).toBeUndefined();
    expect(out).toEqual(Array.from({ length: next }, (_, i) => i));
  });
});
