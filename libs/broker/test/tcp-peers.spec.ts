import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '@zmq-mq/protocol/testing';
import {
  CLOSING_PAUSES_MS,
  MAX_READINGS,
  MIN_READING_INTERVAL_MS,
  readTcpTable,
  TcpPeers,
  tcpPort,
} from '../src/tcp-peers';
import type { TcpTableReading } from '../src/tcp-peers';

const HEADER =
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

describe('the kernel connection table', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-tcp-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the peers of one local port, open and closed by this side, IPv4 and IPv6', () => {
    const tcp = join(dir, 'tcp');
    const tcp6 = join(dir, 'tcp6');
    // Port 0x15B3 = 5555; 0x1F90 = 8080 (another port, ignored).
    writeFileSync(
      tcp,
      [
        HEADER,
        '   0: 0100007F:15B3 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0',
        '   1: 0100007F:15B3 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0',
        '   2: 0100007F:15B3 0200007F:C351 06 00000000:00000000 03:00001000 00000000     0        0 0 3 0',
        '   3: 0100007F:15B3 0300000A:C352 08 00000000:00000000 00:00000000 00000000     0        0 3 1 0',
        '   4: 0100007F:1F90 0100007F:C353 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0',
        '',
      ].join('\n'),
    );
    writeFileSync(
      tcp6,
      [
        HEADER,
        '   0: 00000000000000000000000001000000:15B3 00000000000000000000000001000000:D431 01 00000000:00000000 00:00000000 00000000 0 0 5 1 0',
        '   1: 0000000000000000FFFF00000100007F:15B3 0000000000000000FFFF00000500007F:D432 04 00000000:00000000 00:00000000 00000000 0 0 6 1 0',
        '   2: 00000000000000000000000001000000:15B3 000080FE000000000000000001000000:D433 09 00000000:00000000 00:00000000 00000000 0 0 7 1 0',
        '',
      ].join('\n'),
    );
    const reading = readTcpTable(5555, [tcp, tcp6, join(dir, 'missing')]);
    expect([...reading.open].sort()).toEqual(['10.0.0.3:50002', '127.0.0.1:50000', '[::1]:54321']);
    expect([...reading.closedHere].sort()).toEqual(['127.0.0.2:50001', '127.0.0.5:54322']);
  });

  it('knows the port of a tcp endpoint only', () => {
    expect(tcpPort('tcp://127.0.0.1:5555')).toBe(5555);
    expect(tcpPort('tcp://[::1]:6000')).toBe(6000);
    expect(tcpPort('ipc:///tmp/x')).toBeUndefined();
  });
});

describe('TcpPeers, readings that pass over a connection', () => {
  /** A table that lists what `readings` say, one per reading, then the last one again. */
  function table(...readings: string[][]): { source: () => TcpTableReading; reads: () => number } {
    let n = 0;
    return {
      source: () => {
        const open = readings[Math.min(n++, readings.length - 1)] as string[];
        return { open: new Set(open), closedHere: new Set() };
      },
      reads: () => n,
    };
  }

  /** TcpPeers on `source`, with libzmq's open count from `open` and pauses recorded, not slept. */
  function pausing(source: () => TcpTableReading, open: () => number, pauses: number[] = []) {
    return new TcpPeers(5555, open, source, Date.now, async (ms) => {
      pauses.push(ms);
    });
  }

  it('reads again while the readings list fewer open connections than libzmq has open', async () => {
    const t = table(['a:1'], ['a:1'], ['b:2'], ['a:1', 'b:2']);
    let open = 1;
    const peers = new TcpPeers(5555, () => open, t.source);
    expect(peers.opened()).toEqual(['a:1']);
    expect(t.reads()).toBe(1);
    // b:2 opened: the next reading passes over it, the one after lists it (and passes over a:1).
    open = 2;
    expect(peers.opened()).toEqual(['b:2']);
    expect(t.reads()).toBe(3);
    // Both listed in one reading: nothing opened or ended since.
    expect(await peers.ended()).toEqual([]);
    expect(t.reads()).toBe(4);
  });

  it('reads again, after growing pauses, while a connection libzmq let go is still listed open', async () => {
    // libzmq reports the disconnect of a:1 before it closes the socket: every reading of the
    // line still lists it.
    const readings = CLOSING_PAUSES_MS.length + 1;
    const t = table(...Array.from({ length: 1 + readings }, () => ['a:1']), []);
    let open = 1;
    const pauses: number[] = [];
    const peers = pausing(t.source, () => open, pauses);
    expect(peers.opened()).toEqual(['a:1']);
    open = 0;
    expect(await peers.ended()).toEqual([]);
    expect(pauses).toEqual(CLOSING_PAUSES_MS);
    expect(t.reads()).toBe(1 + readings);
    // The next line finds it gone; a line about an opened peer never waits for one closing.
    expect(await peers.ended()).toEqual(['a:1']);
    expect(t.reads()).toBe(2 + readings);
    const more = table(['c:3']);
    const opening = pausing(more.source, () => open, pauses);
    expect(opening.opened()).toEqual(['c:3']);
    expect(more.reads()).toBe(1);
    expect(pauses).toHaveLength(CLOSING_PAUSES_MS.length);
  });

  it('keeps the reading after the pause that no longer lists the closed connection', async () => {
    const t = table(['a:1', 'b:2'], ['a:1', 'b:2'], ['b:2']);
    let open = 2;
    const pauses: number[] = [];
    const peers = pausing(t.source, () => open, pauses);
    expect(peers.opened()).toEqual(['a:1', 'b:2']);
    open = 1;
    expect(await peers.ended()).toEqual(['a:1']);
    expect(pauses).toEqual([CLOSING_PAUSES_MS[0]]);
    expect(t.reads()).toBe(3);
  });

  it('reads a connection that came within the interval once the interval has passed, once for all', async () => {
    // b:2 comes 40 ms after a:1 and is reset before any line: only a deferred reading sees it.
    const t = table(['a:1'], ['a:1', 'b:2'], []);
    let clock = 1000;
    let open = 1;
    const waits: Array<{ ms: number; go: () => void }> = [];
    const peers = new TcpPeers(
      5555,
      () => open,
      t.source,
      () => clock,
      (ms) => new Promise<void>((go) => waits.push({ ms, go })),
    );
    peers.observe();
    expect(t.reads()).toBe(1);
    clock += 40;
    open = 2;
    peers.observe();
    peers.observe(); // a third connection in the same interval: still one reading to come
    expect(t.reads()).toBe(1);
    expect(waits.map((w) => w.ms)).toEqual([MIN_READING_INTERVAL_MS - 40]);
    clock += MIN_READING_INTERVAL_MS - 40;
    waits[0]!.go();
    await new Promise((resolve) => setImmediate(resolve));
    expect(t.reads()).toBe(2);
    open = 0;
    expect(await peers.ended()).toEqual(['a:1', 'b:2']);
    // The interval has passed since that reading: the next connection is read at once.
    clock += MIN_READING_INTERVAL_MS;
    peers.observe();
    expect(waits).toHaveLength(1);
  });

  it('stops after MAX_READINGS when the connection is gone (events come after the fact)', () => {
    const t = table([]);
    const peers = new TcpPeers(5555, () => 1, t.source);
    expect(peers.opened()).toEqual([]);
    expect(t.reads()).toBe(MAX_READINGS);
  });
});

describe('TcpPeers (this machine, real loopback connections)', () => {
  let server: Server;
  const accepted: Socket[] = [];
  afterEach(async () => {
    for (const s of accepted.splice(0)) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('names a connection that opened, then one the server closed', async () => {
    server = createServer((s) => accepted.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    let open = 0; // as libzmq would count the server's connections
    const peers = new TcpPeers(port, () => open);
    expect(peers.opened()).toEqual([]);
    const client = connect(port, '127.0.0.1');
    client.on('error', () => undefined);
    await new Promise((resolve) => server.once('connection', resolve));
    open = 1;
    const me = `127.0.0.1:${client.localPort}`;
    expect(peers.opened()).toEqual([me]);
    expect(await peers.ended()).toEqual([]);
    const closed = new Promise((resolve) => client.once('close', resolve));
    accepted[0]!.end(); // the server's FIN first: its side waits in TIME-WAIT
    open = 0;
    await withTimeout(closed, 5000, 'the client to close');
    expect(await peers.ended()).toEqual([me]);
    expect(await peers.ended()).toEqual([]);
  });
});
