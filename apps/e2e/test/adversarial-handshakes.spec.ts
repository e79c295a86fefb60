// A hostile or broken peer on loopback against the broker as a process, at the handshake: what
// is not ZMTP 3 takes no work and forges nothing, wrong socket types and unfinished handshakes
// are closed and counted, and bare connections are not peers. Each test keeps a normal flow
// (producer → subscriber + worker) delivering everything during the attack and after it, and
// reads the broker's memory from /proc. In-process versions of these attacks, with their log
// lines, are in libs/broker/test/hardening.spec.ts.
import { zmtpGreeting } from '@zmq-mq/protocol';
import { httpGet, NOT_ZMTP3_PROBES, RawPeer, zmtpHandshake } from '@zmq-mq/protocol/testing';
import { Publisher, Pull, Push, Subscriber, type Socket } from 'zeromq';
import { NormalFlow } from '../src/adversary';
import { adversaryFixture, expectUnharmed } from './adversary-fixture';

const PORTS = [
  ['ingress', 'producers'],
  ['publish', 'subscribers'],
  ['push', 'workers'],
] as const;

/** The flow's peers, and none on the reliable port (no reliable client in the flow). */
const FLOW_PEERS = { producers: 1, subscribers: 1, workers: 1, clients: 0 };

/** The seed of the random bytes (printed, so that a failure can be replayed). */
const SEED = Number(process.env['ZMQMQ_ADVERSARY_SEED'] ?? 0x5eed);

/** `length` pseudo-random bytes from `seed` (mulberry32): the same bytes for the same seed. */
function seededBytes(seed: number, length: number): Buffer {
  let a = seed >>> 0;
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 0xff;
  }
  return out;
}

describe('hostile peers at the handshake (a broker process)', () => {
  const { start, raw, raws, track } = adversaryFixture();

  it('1: a scanner probe on the push port takes no work, and bytes on the ingress forge no message', async () => {
    const arena = await start();
    const { broker: b, flow: f } = arena;
    const during = f.deliver(5000, 'during');
    const probes: RawPeer[] = [];
    for (let i = 0; i < 10; i++) {
      const probe = await raw(b.started.push);
      await probe.write(NOT_ZMTP3_PROBES.http as Buffer);
      probes.push(probe);
    }
    // A ZMTP 1.0 producer: an empty identity, then the message `flow forged-0`.
    const forger = await raw(b.started.ingress);
    const forged = Buffer.from('flow forged-0');
    await forger.write(Buffer.concat([Buffer.from([0x01, 0x00, forged.length + 1, 0x00]), forged]));
    await during;
    for (const probe of [...probes, forger]) {
      await probe.untilClosed();
      expect(probe.received).toBeLessThanOrEqual(10); // the start of libzmq's greeting, no message
    }
    expect(f.got('forged')).toEqual({ subscriber: [], worker: [] });
    const s = await b.stats();
    expect(s.connections.workers.failed.refused).toBe(10);
    expect(s.connections.producers.failed.refused).toBe(1);
    expect(s.peers).toEqual(FLOW_PEERS);
    // Every message the broker took is the flow's, and the flow's worker got each one it pushed.
    expect(s.received.messages).toBe(f.sent);
    expect(s.pushed.messages).toBe(s.received.messages);
    await expectUnharmed(arena);
  });

  it('random bytes on each port are refused and counted; the flow is unharmed', async () => {
    const arena = await start(['--handshake-timeout', '1s']);
    const { broker: b, flow: f } = arena;
    console.log(
      `random bytes: seed ${SEED} (ZMQMQ_ADVERSARY_SEED replays it), 20 connections a port`,
    );
    const during = f.deliver(3000, 'during');
    const ports = [...PORTS, ['reliable', 'clients'] as const];
    for (const [p, [port]] of ports.entries()) {
      for (let i = 0; i < 20; i++) {
        const bytes = seededBytes(SEED * 61 + p * 20 + i, 1 + ((i * 97) % 2000));
        if (i % 4 === 0) bytes[0] = 0xff; // the first byte of a ZMTP 2 or 3 signature
        const peer = await raw(b.started[port]);
        await peer.write(bytes);
      }
    }
    await during;
    // Whatever the bytes say, the broker closes the connection: at once, or at the timeout.
    await Promise.all(raws.map((r) => r.untilClosed(10000)));
    const s = await b.stats();
    for (const [, role] of ports) {
      const c = s.connections[role];
      expect(c.failed.refused + c.failed.protocol + c.failed.other).toBe(20);
      expect(c.handshakes).toBe(role === 'clients' ? 0 : 1); // the flow's own
    }
    expect(s.peers).toEqual(FLOW_PEERS);
    expect(s.received.messages).toBe(f.sent); // nothing but the flow's
    await expectUnharmed(arena);
  });

  it('ZeroMQ sockets of the wrong type are refused and counted on each port', async () => {
    const arena = await start();
    const { broker: b, flow: f } = arena;
    // One attempt each (no reconnect within the test): a type the port does not pair with.
    const wrong: Array<[Socket, string]> = [
      [new Pull({ linger: 0, reconnectInterval: 60000 }), b.started.ingress],
      [new Subscriber({ linger: 0, reconnectInterval: 60000 }), b.started.ingress],
      [new Push({ linger: 0, reconnectInterval: 60000 }), b.started.publish],
      [new Publisher({ linger: 0, reconnectInterval: 60000 }), b.started.publish],
      [new Publisher({ linger: 0, reconnectInterval: 60000 }), b.started.push],
      [new Push({ linger: 0, reconnectInterval: 60000 }), b.started.push],
    ];
    for (const [socket, endpoint] of wrong) track(socket).connect(endpoint);
    const during = f.deliver(2000, 'during');
    // Both sides check the other's type: the broker refuses (refused), or the peer closes
    // first, in the middle of the broker's handshake (other).
    await b.untilStats(
      (s) =>
        PORTS.every(([, role]) => {
          const c = s.connections[role];
          return c.failed.refused + c.failed.other === 2;
        }),
      'two refusals per port',
    );
    await during;
    expect((await b.stats()).peers).toEqual(FLOW_PEERS);
    await expectUnharmed(arena);
  });

  it('truncated handshakes are closed at the handshake timeout and counted', async () => {
    const arena = await start(['--handshake-timeout', '1s']);
    const { broker: b, flow: f } = arena;
    const greeting = zmtpGreeting();
    const ready = zmtpHandshake('SUB').subarray(greeting.length);
    const cuts = [
      greeting.subarray(0, 11),
      greeting,
      Buffer.concat([greeting, ready.subarray(0, 5)]),
    ];
    for (const [port] of PORTS) {
      for (const cut of cuts) await (await raw(b.started[port])).write(cut);
    }
    await f.deliver(2000, 'during');
    const started = Date.now();
    await Promise.all(raws.map((r) => r.untilClosed(5000)));
    expect(Date.now() - started).toBeLessThan(4000);
    const s = await b.stats();
    for (const [, role] of PORTS) expect(s.connections[role].failed.other).toBe(cuts.length);
    expect(s.peers).toEqual(FLOW_PEERS);
    await expectUnharmed(arena);
  });

  it('500 idle TCP connections: not counted as peers, closed at the handshake timeout, the flow unharmed', async () => {
    const arena = await start(['--handshake-timeout', '2s']);
    const { broker: b, flow: f } = arena;
    for (let i = 0; i < 500; i++) await raw(b.started[PORTS[i % 3]![0]]);
    const during = await b.untilStats(
      (s) => s.connections.workers.accepted >= 1 + 166,
      'the idle connections accepted',
    );
    expect(during.peers).toEqual(FLOW_PEERS);
    await f.deliver(3000, 'during');
    await Promise.all(raws.map((r) => r.untilClosed(10000)));
    const s = await b.stats();
    const idleClosed = PORTS.reduce((n, [, role]) => n + s.connections[role].failed.other, 0);
    expect(idleClosed).toBe(500);
    expect(s.peers).toEqual(FLOW_PEERS);
    await expectUnharmed(arena);
  });

  it('4: 600 bare connections to the push port show as no worker; a real one shows as one', async () => {
    const arena = await start();
    const { broker: b, flow: f } = arena;
    for (let i = 0; i < 600; i++) await raw(b.started.push);
    await b.untilStats((s) => s.connections.workers.accepted === 601, '600 connections accepted');
    const metrics = async (): Promise<string> =>
      (await httpGet(`${b.started.monitor}/metrics`)).body;
    expect((await b.stats()).peers.workers).toBe(1); // the flow's worker alone
    expect(await metrics()).toContain('zmqmq_connected_peers{role="workers"} 1');
    await f.deliver(1000, 'during');
    // A second real worker counts as one more, while the 600 are still open.
    const second = track(await NormalFlow.open(b.started));
    await b.untilStats((s) => s.peers.workers === 2, 'the second worker');
    expect(await metrics()).toContain('zmqmq_connected_peers{role="workers"} 2');
    expect(await metrics()).toContain('zmqmq_connections_accepted_total{role="workers"} 602');
    second.close();
    await second.closed();
    await b.untilStats((s) => s.peers.workers === 1, 'the second worker gone');
    await expectUnharmed(arena);
  });
});
