// Hostile and broken peers against a broker in this process, over real loopback TCP: what each
// port refuses, what it counts, and what it logs. The same attacks against the broker as a
// process, with a normal flow running beside them and its memory read from /proc, are in
// apps/e2e/test/adversarial-*.spec.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeZmtpFrame, zmtpGreeting } from '@zmq-mq/protocol';
import {
  NOT_ZMTP3_PROBES,
  RawPeer,
  zmtpHandshake,
  zmtpSubscription,
} from '@zmq-mq/protocol/testing';
import { Dealer, Publisher, Push } from 'zeromq';
import {
  CONTROL_FRAME_MAX_BYTES,
  RELIABLE_MIN_FRAME_BYTES,
  type Broker,
  type BrokerEndpoints,
  type ConnectionCounts,
  type PeerRole,
} from '../src';
import { brokerFixture, capturingLogger, receiveWork, waitFor, warmUp } from './helpers';

const PORTS = [
  ['ingress', 'producers'],
  ['publish', 'subscribers'],
  ['push', 'workers'],
  ['reliable', 'clients'],
] as const;

/** The reliable port too, its queues in memory. */
const WITH_RELIABLE = { reliable: 'tcp://127.0.0.1:*', store: 'memory' } as const;

const NO_PEERS = { producers: 0, subscribers: 0, workers: 0, clients: 0 };

/** Bytes that are neither ZMTP nor text: a fixed pattern whose first byte is not 0xFF. */
const GARBAGE = Buffer.from(Array.from({ length: 200 }, (_, i) => (i * 167 + 13) % 251));

describe('hostile and broken peers', () => {
  const { sockets, broker } = brokerFixture();
  const raws: RawPeer[] = [];
  afterEach(() => {
    for (const r of raws.splice(0)) r.destroy();
  });
  const raw = async (endpoint: string): Promise<RawPeer> => {
    const peer = await RawPeer.open(endpoint);
    raws.push(peer);
    return peer;
  };
  const counts = (b: Broker, role: PeerRole): ConnectionCounts => b.stats().connections[role];

  it.each([...Object.entries(NOT_ZMTP3_PROBES), ['garbage', GARBAGE] as const])(
    'closes a %s peer on every port before any handshake, and counts it as refused',
    async (_, bytes) => {
      const b = await broker(WITH_RELIABLE);
      const ep = b.endpoints as BrokerEndpoints;
      for (const [port] of PORTS) {
        const peer = await raw(ep[port] as string);
        await peer.write(bytes);
        await peer.untilClosed();
        // What came back is at most the start of libzmq's greeting: never a message.
        expect(peer.received).toBeLessThanOrEqual(10);
      }
      for (const [, role] of PORTS) {
        await waitFor(() => counts(b, role).failed['refused'] === 1, 5000, `${role} refusal`);
        expect(counts(b, role)).toMatchObject({ accepted: 1, handshakes: 0, disconnected: 0 });
      }
      expect(b.stats().peers).toEqual(NO_PEERS);
    },
  );

  it('hands no work to a scanner probe on the push port while a worker takes everything', async () => {
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    const worker = sockets.worker(ep.push);
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub);
    await waitFor(() => b.stats().peers.workers === 1, 5000, 'the worker');
    const probe = await raw(ep.push);
    await probe.write(NOT_ZMTP3_PROBES.http as Buffer);
    for (let i = 0; i < 200; i++) await pub.send(`jobs j${i}`);
    const got: string[] = [];
    while (got.length < 200) got.push((await receiveWork(worker))[0]!.toString());
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `j${i}`));
    await probe.untilClosed();
    expect(probe.received).toBeLessThanOrEqual(10);
    expect(counts(b, 'workers').failed['refused']).toBe(1);
  });

  it('takes no message from ZMTP 1.0 bytes on the ingress', async () => {
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    const forger = await raw(ep.ingress);
    // A ZMTP 1.0 peer: an empty identity, then one message frame `abc forged`.
    const body = Buffer.from('abc forged');
    await forger.write(Buffer.concat([Buffer.from([0x01, 0x00, body.length + 1, 0x00]), body]));
    await forger.untilClosed();
    await waitFor(() => counts(b, 'producers').failed['refused'] === 1, 5000, 'the refusal');
    expect(b.stats().received.messages).toBe(0);
  });

  it('disconnects a subscriber whose subscription is over the limit, and keeps serving others', async () => {
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    const sub = await raw(ep.publish);
    await sub.write(zmtpHandshake('SUB'));
    await waitFor(() => b.stats().peers.subscribers === 1, 5000, 'the raw subscriber');
    await sub.write(zmtpSubscription(Buffer.alloc(16 * 1024 * 1024, 0x61)));
    await sub.untilClosed();
    await waitFor(() => counts(b, 'subscribers').disconnected === 1, 5000, 'the disconnect');
    expect(b.stats().peers.subscribers).toBe(0);

    // The longest subscription a valid topic needs still fits (sent once the handshake is done:
    // libzmq closes a connection whose subscription comes before its own READY).
    const ok = await raw(ep.publish);
    await ok.write(zmtpHandshake('SUB'));
    await waitFor(() => b.stats().peers.subscribers === 1, 5000, 'the raw subscriber');
    await ok.write(zmtpSubscription(Buffer.alloc(256, 0x62)));
    const all = sockets.subscriber(ep.publish, '');
    const pub = sockets.producer(ep.ingress);
    await warmUp(b, pub, [all]);
    expect(ok.hasClosed).toBe(false);
    expect(counts(b, 'subscribers').disconnected).toBe(1);
  });

  it('disconnects a peer that sends the push socket a frame over the limit', async () => {
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    const fake = await raw(ep.push);
    await fake.write(zmtpHandshake('PULL'));
    await waitFor(() => b.stats().peers.workers === 1, 5000, 'the fake worker');
    await fake.write(encodeZmtpFrame(Buffer.alloc(CONTROL_FRAME_MAX_BYTES + 1)));
    await fake.untilClosed();
    await waitFor(() => counts(b, 'workers').disconnected === 1, 5000, 'the disconnect');
    expect(b.stats().peers.workers).toBe(0);
  });

  it('disconnects a reliable client that sends a frame over the port limit', async () => {
    const b = await broker(WITH_RELIABLE);
    const ep = b.endpoints as BrokerEndpoints;
    const client = sockets.track(new Dealer({ linger: 0, reconnectInterval: 60_000 }));
    client.connect(ep.reliable as string);
    await waitFor(() => b.stats().peers.clients === 1, 5000, 'the reliable client');
    await client.send(Buffer.alloc(RELIABLE_MIN_FRAME_BYTES + 1));
    await waitFor(() => counts(b, 'clients').disconnected === 1, 5000, 'the disconnect');
    expect(b.stats().peers.clients).toBe(0);
  });

  it('refuses a peer of the wrong socket type before its handshake, and counts it', async () => {
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    const wrong = sockets.track(new Publisher({ linger: 0, reconnectInterval: 60_000 }));
    wrong.connect(ep.push);
    const alsoWrong = sockets.track(new Push({ linger: 0, reconnectInterval: 60_000 }));
    alsoWrong.connect(ep.publish);
    // Each side checks the other's type in its READY: the broker closes the connection with no
    // event (refused), or the peer closes first, in the middle of the broker's handshake (other).
    const closed = (role: PeerRole): number =>
      counts(b, role).failed.refused + counts(b, role).failed.other;
    await waitFor(() => closed('workers') === 1, 5000, 'PUB on push');
    await waitFor(() => closed('subscribers') === 1, 5000, 'PUSH on publish');
    expect(b.stats().peers).toEqual(NO_PEERS);
  });

  it('closes a connection that does not complete its handshake within --handshake-timeout', async () => {
    const b = await broker({ handshakeTimeoutMs: 300 });
    const ep = b.endpoints as BrokerEndpoints;
    const truncated = await raw(ep.ingress);
    await truncated.write(zmtpGreeting().subarray(0, 20));
    const silent = await raw(ep.publish);
    await truncated.untilClosed();
    await silent.untilClosed();
    await waitFor(() => counts(b, 'producers').failed.other === 1, 5000, 'the truncated one');
    await waitFor(() => counts(b, 'subscribers').failed.other === 1, 5000, 'the silent one');
  });

  it('counts workers by completed handshake, not by TCP connection', async () => {
    const b = await broker();
    const ep = b.endpoints as BrokerEndpoints;
    const idle: RawPeer[] = [];
    for (let i = 0; i < 50; i++) idle.push(await raw(ep.push));
    sockets.worker(ep.push);
    await waitFor(() => counts(b, 'workers').accepted === 51, 5000, '51 connections');
    await waitFor(() => b.stats().peers.workers === 1, 5000, 'one worker');
    for (const r of idle) r.destroy();
    await waitFor(() => counts(b, 'workers').failed.other === 50, 5000, 'the idle ones gone');
    expect(b.stats().peers.workers).toBe(1);
  });

  it('logs a refusal at warn with the peer address, and a producer disconnect with the limit', async () => {
    const { logger, lines } = capturingLogger();
    const b = await broker({ maxMessageBytes: 1024 }, { logger });
    const ep = b.endpoints as BrokerEndpoints;
    // The broker reads a peer's address from the kernel's table at its accept: wait for that,
    // since libzmq resets the connection it refuses, which takes it off the table at once.
    const probe = await raw(ep.push);
    await waitFor(() => counts(b, 'workers').accepted === 1, 5000, 'the accept');
    await probe.write(NOT_ZMTP3_PROBES.http as Buffer);
    await probe.untilClosed();
    await waitFor(() => lines.some((l) => l.socket === 'push' && l.level === 40), 5000, 'a warn');
    expect(lines.find((l) => l.socket === 'push' && l.level === 40)).toMatchObject({
      peer: probe.address,
      maxFrameBytes: CONTROL_FRAME_MAX_BYTES,
      msg: expect.stringMatching(/^connection refused before its handshake: not ZMTP 3/),
    });

    const producer = await raw(ep.ingress);
    await producer.write(zmtpHandshake('PUB'));
    await waitFor(() => b.stats().peers.producers === 1, 5000, 'the producer');
    await producer.write(encodeZmtpFrame(Buffer.alloc(2048, 0x61)));
    await producer.untilClosed();
    await waitFor(() => lines.some((l) => l.socket === 'ingress' && l.level === 40), 5000, 'warn');
    expect(lines.find((l) => l.socket === 'ingress' && l.level === 40)).toMatchObject({
      peer: producer.address,
      maxFrameBytes: 1024,
      connected: 0,
      msg: expect.stringMatching(/^producer disconnected/),
    });
  });

  it('warns when the monitor listens beyond loopback', async () => {
    const { logger, lines } = capturingLogger('warn');
    // Beyond loopback the monitor needs a token (docs/security.md); it still warns: plain HTTP.
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-monitor-token-'));
    const monitorTokenFile = join(dir, 'monitor.token');
    writeFileSync(monitorTokenFile, `${'t'.repeat(32)}\n`, { mode: 0o600 });
    try {
      await broker({ monitor: '0.0.0.0:0', monitorTokenFile }, { logger });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines).toContainEqual(
      expect.objectContaining({
        socket: 'monitor',
        msg: expect.stringMatching(/^monitor bound beyond loopback/),
      }),
    );
  });
});
