// The work path's stream tap against a real libzmq XPUB over ipc, and against a peer that does
// not speak ZMTP.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XPublisher } from 'zeromq';
import { StreamTap, TAP_MIN_READ_BYTES, TAP_REGION_BYTES } from '../src/stream-tap';

describe('StreamTap', () => {
  let dir: string;
  const cleanup: Array<() => void> = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-tap-test-'));
  });

  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
    rmSync(dir, { recursive: true, force: true });
  });

  async function drain(tap: StreamTap): Promise<string[][]> {
    const got: string[][] = [];
    for (let batch = await tap.next(); batch !== null; batch = await tap.next()) {
      for (const item of batch)
        got.push(typeof item === 'number' ? [`${item} bytes`] : item.map(String));
    }
    return got;
  }

  /** A no-drop XPUB bound at `dir/tap` and a StreamTap connected to it, both cleaned up. */
  async function xpubAndTap(
    limits?: ConstructorParameters<typeof StreamTap>[1],
  ): Promise<{ xpub: XPublisher; tap: StreamTap }> {
    const path = join(dir, 'tap');
    const xpub = new XPublisher({ linger: 5000, noDrop: true, receiveTimeout: 5000 });
    cleanup.push(() => xpub.close());
    await xpub.bind(`ipc://${path}`);
    const tap = new StreamTap(path, limits);
    cleanup.push(() => tap.destroy());
    return { xpub, tap };
  }

  it('subscribes to an XPUB, reads single and multipart messages in order, ends when it closes', async () => {
    const { xpub, tap } = await xpubAndTap();
    const [subscription] = await xpub.receive();
    expect([...subscription!]).toEqual([1]);
    for (let i = 0; i < 300; i++) await xpub.send(`t m${i}`);
    await xpub.send(['a', 'b', Buffer.alloc(400, 0x7a)]);
    xpub.close();
    const got = await drain(tap);
    expect(got.slice(0, 300)).toEqual(Array.from({ length: 300 }, (_, i) => [`t m${i}`]));
    expect(got[300]).toEqual(['a', 'b', 'z'.repeat(400)]);
    expect(got).toHaveLength(301);
  });

  it('reads frames that cross read and region boundaries whole, one larger than a region too', async () => {
    const { xpub, tap } = await xpubAndTap();
    await xpub.receive(); // its subscription
    // Sizes around the read and region sizes, so that frames end on, before and after them.
    const sizes = [
      1,
      300,
      16_384,
      TAP_MIN_READ_BYTES - 9,
      TAP_MIN_READ_BYTES,
      TAP_MIN_READ_BYTES + 1,
      TAP_REGION_BYTES - 200,
      TAP_REGION_BYTES + 77,
      2 * TAP_REGION_BYTES + 3,
      17_000,
    ];
    const sent: Buffer[] = [];
    for (let round = 0; round < 3; round++) {
      for (const [i, size] of sizes.entries()) {
        const body = Buffer.allocUnsafe(size);
        for (let b = 0; b < size; b++) body[b] = (b * 7 + i * 13 + round) & 0xff;
        sent.push(body);
        await xpub.send(body);
      }
    }
    xpub.close();
    const got: Buffer[] = [];
    for (let batch = await tap.next(); batch !== null; batch = await tap.next()) {
      for (const item of batch) if (typeof item !== 'number') got.push(...item);
    }
    expect(got.map((b) => b.length)).toEqual(sent.map((b) => b.length));
    for (const [i, body] of sent.entries()) expect(got[i]!.equals(body)).toBe(true);
  });

  it('hands on a message past its limits as its size only, and the next ones whole', async () => {
    const { xpub, tap } = await xpubAndTap({ maxBytes: 100, maxFrames: 3 });
    await xpub.receive(); // its subscription
    await xpub.send(['t a', 'b', 'c']); // 3 frames: kept
    await xpub.send(['t a', 'b', 'c', 'd']); // 4 frames: 6 bytes
    await xpub.send([Buffer.alloc(60, 0x61), Buffer.alloc(41, 0x62)]); // 101 bytes
    await xpub.send(Buffer.alloc(100, 0x63)); // exactly 100: kept
    xpub.close();
    expect(await drain(tap)).toEqual([
      ['t a', 'b', 'c'],
      ['6 bytes'],
      ['101 bytes'],
      ['c'.repeat(100)],
    ]);
  });

  it('fails on a peer that is not ZMTP, with a clear error', async () => {
    const path = join(dir, 'not-zmtp');
    const server: Server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    cleanup.push(() => server.close());
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const tap = new StreamTap(path);
    cleanup.push(() => tap.destroy());
    await expect(drain(tap)).rejects.toThrow(/not a ZMTP peer/);
  });

  it('ends, empty, when destroyed', async () => {
    const path = join(dir, 'tap');
    const xpub = new XPublisher({ linger: 0 });
    cleanup.push(() => xpub.close());
    await xpub.bind(`ipc://${path}`);
    const tap = new StreamTap(path);
    const reading = drain(tap);
    tap.destroy();
    expect(await reading).toEqual([]);
  });
});
