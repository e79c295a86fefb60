import fc from 'fast-check';
import { WorkQueue, messageBytes } from '../src';

const msg = (n: number, size = 10): Buffer[] => [Buffer.alloc(size, n % 256)];

describe('WorkQueue', () => {
  it('is FIFO', () => {
    const q = new WorkQueue(10, 1000, 'drop-newest');
    for (let i = 0; i < 5; i++) expect(q.offer(msg(i), 10)).toBe('queued');
    expect(q.length).toBe(5);
    expect(q.bytes).toBe(50);
    for (let i = 0; i < 5; i++) expect(q.shift()![0]![0]).toBe(i);
    expect(q.shift()).toBeUndefined();
    expect(q.bytes).toBe(0);
  });

  it('keeps the clock each message was queued at: the oldest one is the head', () => {
    const q = new WorkQueue(2000, 1_000_000, 'drop-oldest');
    expect(q.oldestQueuedAt).toBeUndefined();
    // Past the initial 1024 slots the ring grows: stamps move with their messages.
    for (let i = 0; i < 1500; i++) {
      q.clockSeconds = 1000 + i;
      q.offer(msg(i), 10);
    }
    expect(q.oldestQueuedAt).toBe(1000);
    q.removeHead();
    expect(q.oldestQueuedAt).toBe(1001);
    // drop-oldest with the head in flight evicts the second: the head keeps its stamp.
    const small = new WorkQueue(2, 1000, 'drop-oldest');
    small.clockSeconds = 7;
    small.offer(msg(1), 10);
    small.clockSeconds = 8;
    small.offer(msg(2), 10);
    small.headInFlight = true;
    small.clockSeconds = 9;
    small.offer(msg(3), 10);
    expect(small.oldestQueuedAt).toBe(7);
    small.removeHead();
    expect(small.oldestQueuedAt).toBe(9);
    small.clear();
    expect(small.oldestQueuedAt).toBeUndefined();
  });

  it('drop-newest refuses the incoming message when full by count or bytes', () => {
    const q = new WorkQueue(3, 1000, 'drop-newest');
    for (let i = 0; i < 3; i++) q.offer(msg(i), 10);
    expect(q.offer(msg(9), 10)).toBe('dropped');
    expect(q.peek()![0]![0]).toBe(0);
    const b = new WorkQueue(100, 25, 'drop-newest');
    expect(b.offer(msg(1), 10)).toBe('queued');
    expect(b.offer(msg(2), 10)).toBe('queued');
    expect(b.offer(msg(3), 10)).toBe('dropped');
    expect(b.bytes).toBe(20);
  });

  it('drop-oldest evicts from the head and reports each eviction', () => {
    const q = new WorkQueue(3, 1000, 'drop-oldest');
    const evicted: number[] = [];
    for (let i = 0; i < 6; i++) q.offer(msg(i), 10, (m) => evicted.push(m[0]![0]!));
    expect(evicted).toEqual([0, 1, 2]);
    expect([q.shift(), q.shift(), q.shift()].map((m) => m![0]![0])).toEqual([3, 4, 5]);
    const big = new WorkQueue(100, 30, 'drop-oldest');
    const n: number[] = [];
    big.offer(msg(1), 10);
    big.offer(msg(2), 10);
    big.offer(msg(3), 25, (m) => n.push(m[0]![0]!));
    expect(n).toEqual([1, 2]);
    expect(big.length).toBe(1);
    expect(big.offer(msg(4), 31)).toBe('dropped');
  });

  it('never exceeds its bounds and never loses track of a message (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 400 }),
        fc.constantFrom('drop-newest' as const, 'drop-oldest' as const),
        fc.array(fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(-1)), { maxLength: 300 }),
        (maxMessages, maxBytes, policy, ops) => {
          const q = new WorkQueue(maxMessages, maxBytes, policy);
          let offered = 0;
          let dropped = 0;
          let shifted = 0;
          let lastOut = -1;
          for (const op of ops) {
            if (op < 0) {
              const m = q.shift();
              if (m) {
                shifted++;
                const seq = m[0]!.readUInt32LE(0);
                expect(seq).toBeGreaterThan(lastOut);
                lastOut = seq;
              }
            } else {
              const m = [Buffer.alloc(Math.max(4, op))];
              m[0]!.writeUInt32LE(offered, 0);
              offered++;
              if (q.offer(m, m[0]!.byteLength, () => dropped++) === 'dropped') dropped++;
            }
            expect(q.length).toBeLessThanOrEqual(maxMessages);
            expect(q.bytes).toBeLessThanOrEqual(maxBytes);
            expect(q.peakLength).toBeLessThanOrEqual(maxMessages);
          }
          expect(offered).toBe(dropped + shifted + q.length);
        },
      ),
    );
  });

  it('copies small and multipart messages, keeps large ones as received', () => {
    const q = new WorkQueue(100_000, 64 * 1024 * 1024, 'drop-newest');
    const small = Buffer.from('small payload');
    const large = Buffer.alloc(300 * 1024, 7);
    const multi = [Buffer.from('a'), Buffer.from('meta')];
    q.offer([small], small.byteLength);
    q.offer([large], large.byteLength);
    q.offer(multi, 5);
    small.fill(0);
    multi[1]!.fill(0);
    expect(q.shift()![0]!.toString()).toBe('small payload');
    const kept = q.shift()![0]!;
    expect(kept.buffer).toBe(large.buffer); // not copied
    expect(kept.byteLength).toBe(large.byteLength);
    expect(q.shift()!.map(String)).toEqual(['a', 'meta']);
  });

  it('copies a large message that is a view into a larger buffer (a stream chunk)', () => {
    const q = new WorkQueue(100, 64 * 1024 * 1024, 'drop-newest');
    const chunk = Buffer.alloc(64 * 1024, 3);
    const view = chunk.subarray(100, 100 + 2000);
    q.offer([view], view.byteLength);
    chunk.fill(0);
    const kept = q.shift()![0]!;
    expect(kept.buffer).not.toBe(chunk.buffer);
    expect(kept.buffer.byteLength).toBe(2000); // holds its own bytes only
    expect(kept.equals(Buffer.alloc(2000, 3))).toBe(true);
  });

  it('keeps content intact across many arenas', () => {
    const q = new WorkQueue(100_000, 64 * 1024 * 1024, 'drop-oldest');
    const n = 40_000; // ~4 MiB of 100-byte messages: several 1 MiB arenas
    for (let i = 0; i < n; i++) {
      const m = Buffer.alloc(100, i % 251);
      m.writeUInt32LE(i, 0);
      q.offer([m], 100);
    }
    expect(q.bytes).toBe(n * 100);
    let wrong = 0;
    for (let i = 0; i < n; i++) {
      const [m] = q.shift()!;
      if (m!.byteLength !== 100 || m!.readUInt32LE(0) !== i || m![99] !== i % 251) wrong++;
    }
    expect(wrong).toBe(0);
    expect(q.length).toBe(0);
  });

  it('grows past its initial capacity and clears', () => {
    const q = new WorkQueue(5000, 1e9, 'drop-newest');
    for (let i = 0; i < 3000; i++) q.offer([Buffer.from([i % 256])], 1);
    expect(q.length).toBe(3000);
    for (let i = 0; i < 3000; i++) expect(q.shift()![0]![0]).toBe(i % 256);
    q.offer(msg(1), 10);
    expect(q.clear()).toEqual({ messages: 1, bytes: 10 });
    expect(messageBytes([Buffer.alloc(3), Buffer.alloc(4)])).toBe(7);
  });
});
