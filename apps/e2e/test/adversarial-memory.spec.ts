// A hostile or broken peer on loopback against the broker as a process, once connected: what it
// sends that the broker will not hold, a subscriber that never reads, a producer's oversized
// frame, a worker killed with work in flight. Each test keeps a normal flow (producer →
// subscriber + worker) delivering everything during the attack and after it, and reads the
// broker's memory from /proc.
import { encodeZmtpFrame, zmtpGreeting } from '@zmq-mq/protocol';
import { waitFor, zmtpSubscription } from '@zmq-mq/protocol/testing';
import { adversaryFixture, expectUnharmed } from './adversary-fixture';
import { DEFAULT_PUSH_HWM, DEFAULT_PUSH_SEND_BUFFER_BYTES } from '@zmq-mq/broker';
import { PythonConsumer } from '../src/interop-peers';

const MiB = 1024 * 1024;

describe('hostile peers once connected (a broker process)', () => {
  const { start, raw, peer, track } = adversaryFixture();

  it('2: a 16 MiB subscription and 8 MiB frames sent to the push port are refused; memory stays bounded', async () => {
    const arena = await start();
    const { broker: b, flow: f } = arena;
    const sub = await peer('publish', 'SUB');
    const during = f.deliver(3000, 'during');
    await sub.write(zmtpSubscription(Buffer.alloc(16 * MiB, 0x61)));
    // Frames of 8 MiB right after the greeting: refused before a handshake, so the peer never
    // becomes a worker (one that completes its handshake takes its turn of the work, as any
    // worker does; libs/broker/test/hardening.spec.ts refuses such a one's oversized frame).
    const fake = await raw(b.started.push);
    const frame = encodeZmtpFrame(Buffer.alloc(8 * MiB));
    await fake.write(zmtpGreeting());
    for (let i = 0; i < 60 && !fake.hasClosed; i++) await fake.write(frame);
    await sub.untilClosed();
    await fake.untilClosed();
    await during;
    const s = await b.stats();
    expect(s.connections.subscribers.disconnected).toBe(1);
    expect(s.connections.workers.failed.refused).toBe(1);
    expect(s.peers).toEqual({ producers: 1, subscribers: 1, workers: 1, clients: 0 });
    await expectUnharmed(arena);
  });

  it('a subscriber that never reads, under a flood: the others get everything, memory stays bounded', async () => {
    const arena = await start();
    const { flow: f } = arena;
    const slow = await peer('publish', 'SUB');
    await slow.write(zmtpSubscription(Buffer.alloc(0))); // everything
    slow.stopReading();
    const count = 30000;
    await f.deliver(count, 'flood', { bytes: 1024, timeoutMs: 50000 });
    // It stays connected and gets what its buffers hold; libzmq's PUB drops the rest for it
    // alone past --publish-hwm (10,000), and counts nothing (libs/broker/README.md).
    expect(slow.hasClosed).toBe(false);
    expect(slow.received).toBeLessThan(count * 1024);
    // Its pipe holds at most --publish-hwm × 1 KiB (10 MiB), plus socket buffers.
    await expectUnharmed(arena);
  });

  it('5: a producer that sends a frame over the limit is disconnected, counted, and logged at warn with its address and the limit', async () => {
    const arena = await start();
    const { broker: b, flow: f } = arena;
    const producer = await peer('ingress', 'PUB');
    // A 2 MiB frame (the limit is 1 MiB), then 50 messages right behind it on that connection.
    const big = encodeZmtpFrame(Buffer.concat([Buffer.from('flow big '), Buffer.alloc(2 * MiB)]));
    const behind = Array.from({ length: 50 }, (_, i) =>
      encodeZmtpFrame(Buffer.from(`flow behind-${i}`)),
    );
    await producer.write(Buffer.concat([big, ...behind]));
    await producer.untilClosed();
    const line = await b.logLine(
      (l) => typeof l.msg === 'string' && l.msg.startsWith('producer disconnected'),
    );
    expect(line).toMatchObject({ level: 40, peer: producer.address, maxFrameBytes: MiB });
    const s = await b.stats();
    expect(s.connections.producers.disconnected).toBe(1);
    // What followed the frame on that connection went with it: libzmq never read it.
    expect(f.got('behind')).toEqual({ subscriber: [], worker: [] });
    expect(f.got('big')).toEqual({ subscriber: [], worker: [] });
    await expectUnharmed(arena);
  });

  it.each([
    ['--push-hwm 100 --push-send-buffer 8KiB', 100, 8192],
    ['the defaults', DEFAULT_PUSH_HWM, DEFAULT_PUSH_SEND_BUFFER_BYTES],
  ])(
    '6: a worker killed with work in flight loses at most its window (%s), uncounted; the other worker gets the rest',
    async (_, hwm, sendBuffer) => {
      const flags = ['--push-hwm', String(hwm), '--push-send-buffer', String(sendBuffer)];
      const arena = await start(flags);
      const { broker: b, flow: f } = arena;
      const slow = await PythonConsumer.start('pull', b.started.push, [
        ...['--count', '1000000', '--timeout', '60', '--delay-ms', '1'],
        ...['--rcvhwm', '10', '--rcvbuf', '4096'],
      ]);
      track({ close: () => slow.proc.kill() });
      await b.untilStats((s) => s.peers.workers === 2, 'two workers');
      const count = 6000;
      const bytes = 1000;
      await f.send(count / 2, 'job', bytes);
      // Every job handed to a worker's pipe: the slow worker's window is as full as it gets.
      await b.untilStats((s) => s.pushed.messages === f.sent, 'every job pushed');
      slow.proc.child.kill('SIGKILL');
      await slow.proc.waitForExit();
      await f.send(count / 2, 'late', bytes);
      await waitFor(() => f.got('late').worker.length === count / 2, 20000, 'the late run');
      const taken = new Set([
        ...f.got('job').worker,
        ...slow.messages().map((frames) => frames[0]!.toString('latin1').split(' ')[0]),
      ]);
      const lost = count / 2 - taken.size;
      // The window: --push-hwm, the push socket's send buffer (the kernel doubles what it is
      // asked), the worker's own receive high-water mark and buffer, and libzmq's 8 KiB batches
      // on each side, in messages of `bytes`.
      const window = hwm + (2 * sendBuffer) / bytes + 10 + (2 * 4096) / bytes + (2 * 8192) / bytes;
      console.log(
        `${flags.join(' ')}: the killed worker took ${lost} of ${count / 2} (window ${Math.floor(window)})`,
      );
      expect(lost).toBeGreaterThan(0); // lost, and as the next lines show, not counted
      expect(lost).toBeLessThanOrEqual(window);
      expect(f.got('job').subscriber.length).toBe(count / 2); // the fan-out is another path
      const s = await b.stats();
      expect(s.dropped.total).toBe(0); // libzmq does not say what a dead worker's pipe held
      expect(s.pushed.messages).toBe(s.received.messages);
      await expectUnharmed(arena);
    },
  );
});
