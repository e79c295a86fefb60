import {
  listenAddressOf,
  parseProcNetTcp,
  type ConnectionTable,
  type ListenAddress,
} from '../src/peer-addresses';
import { PeerRegistry } from '../src/peer-registry';
import { waitFor } from './helpers';

const ENDPOINT = 'tcp://127.0.0.1:5557';

/** A connection table the test edits: the open connections of port 5557. */
function fakeTable(): { open: Set<string>; table: ConnectionTable; reads: number } {
  const state = {
    open: new Set<string>(),
    reads: 0,
    table: (async (listening: readonly ListenAddress[]) => {
      state.reads++;
      const at = listening.find((l) => l.port === 5557);
      return new Map(at ? [[`${at.host ?? '*'}:${at.port}`, new Set(state.open)]] : []);
    }) as ConnectionTable,
  };
  return state;
}

/** Connects a worker from each port, one at a time, each listed before the next. */
async function connectWorkers(
  peers: PeerRegistry,
  t: ReturnType<typeof fakeTable>,
  ports: number[],
): Promise<void> {
  for (const port of ports) {
    t.open.add(`127.0.0.1:${port}`);
    peers.connected('workers', ENDPOINT);
    await peers.settled();
  }
}

function registry(table?: ConnectionTable, maxListed?: number): PeerRegistry {
  return new PeerRegistry(
    { producers: 0, subscribers: 0, workers: 0, clients: 0 },
    { ...(table ? { table } : {}), ...(maxListed !== undefined ? { maxListed } : {}) },
  );
}

describe('PeerRegistry', () => {
  it('gives each peer the address of a new connection on its port, oldest first', async () => {
    const t = fakeTable();
    const peers = registry(t.table);
    await connectWorkers(peers, t, [40001, 40002]);
    const listing = peers.list();
    expect(listing.addresses).toBe('kernel');
    expect(listing.roles.workers.endpoint).toBe(ENDPOINT);
    expect(listing.roles.workers.connected).toBe(2);
    expect(listing.roles.workers.peers.map((p) => p.address)).toEqual([
      '127.0.0.1:40001',
      '127.0.0.1:40002',
    ]);
    peers.close();
  });

  it('takes off the peer whose connection left, waiting for the table when it lags', async () => {
    const t = fakeTable();
    const peers = registry(t.table);
    await connectWorkers(peers, t, [40001, 40002, 40003]);
    // The disconnect is counted at once; the table still shows the connection for one read.
    const reads = t.reads;
    expect(peers.disconnected('workers', ENDPOINT)).toBe(2);
    await waitFor(() => t.reads > reads, 2000, 'a read of the table');
    expect(peers.list().roles.workers.peers).toHaveLength(3);
    t.open.delete('127.0.0.1:40002');
    await peers.settled();
    expect(peers.list().roles.workers.peers.map((p) => p.address)).toEqual([
      '127.0.0.1:40001',
      '127.0.0.1:40003',
    ]);
    peers.close();
  });

  it('forgets the newest when the table never tells which peer left', async () => {
    const t = fakeTable();
    const peers = registry(t.table);
    await connectWorkers(peers, t, [40001, 40002]);
    peers.disconnected('workers', ENDPOINT);
    await peers.settled();
    expect(peers.list().roles.workers.peers.map((p) => p.address)).toEqual(['127.0.0.1:40001']);
    peers.close();
  });

  it('counts peers past the cap without remembering them', async () => {
    const t = fakeTable();
    const peers = registry(t.table, 2);
    for (const port of [40001, 40002, 40003]) {
      t.open.add(`127.0.0.1:${port}`);
      peers.connected('producers', ENDPOINT);
    }
    await peers.settled();
    let role = peers.list().roles.producers;
    expect(role).toMatchObject({ connected: 3, unlisted: 1 });
    expect(role.peers).toHaveLength(2);
    // A listed peer leaves: the table tells which.
    t.open.delete('127.0.0.1:40001');
    peers.disconnected('producers', ENDPOINT);
    await peers.settled();
    role = peers.list().roles.producers;
    expect(role).toMatchObject({ connected: 2, unlisted: 1 });
    expect(role.peers.map((p) => p.address)).toEqual(['127.0.0.1:40002']);
    // An unlisted one leaves: no listed connection goes, so after waiting it is the unlisted.
    t.open.delete('127.0.0.1:40003');
    peers.disconnected('producers', ENDPOINT);
    await peers.settled();
    role = peers.list().roles.producers;
    expect(role).toMatchObject({ connected: 1, unlisted: 0 });
    expect(role.peers.map((p) => p.address)).toEqual(['127.0.0.1:40002']);
    peers.close();
  });

  it('without a table (ipc, another OS) lists peers without address and counts exactly', () => {
    const peers = registry();
    const before = peers.version;
    peers.connected('subscribers', 'ipc:///tmp/pub');
    peers.connected('subscribers', 'ipc:///tmp/pub');
    expect(peers.version).not.toBe(before);
    expect(peers.disconnected('subscribers', 'ipc:///tmp/pub')).toBe(1);
    expect(peers.disconnected('subscribers', 'ipc:///tmp/pub')).toBe(0);
    expect(peers.disconnected('subscribers', 'ipc:///tmp/pub')).toBe(0);
    const listing = peers.list();
    expect(listing.addresses).toBe('none');
    expect(listing.roles.subscribers).toMatchObject({ connected: 0, peers: [], unlisted: 0 });
  });
});

describe('the kernel connection table', () => {
  // Captured lines: a listener on 127.0.0.1:5557 (0x15B5), two accepted connections (one in
  // CLOSE_WAIT), one in TIME_WAIT, and the client side of a connection (local port 40002).
  const TCP = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:15B5 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1',
    '   1: 0100007F:15B5 0100007F:9C41 01 00000000:00000000 00:00000000 00000000     0        0 2 1',
    '   2: 0100007F:15B5 0200007F:9C42 08 00000000:00000000 00:00000000 00000000     0        0 3 1',
    '   3: 0100007F:15B5 0100007F:9C43 06 00000000:00000000 00:00000000 00000000     0        0 0 3',
    '   4: 0100007F:9C42 0100007F:15B5 01 00000000:00000000 00:00000000 00000000     0        0 4 1',
    '   5: 0500000A:15B5 0100007F:9C44 01 00000000:00000000 00:00000000 00000000     0        0 5 1',
  ].join('\n');
  const TCP6 = [
    '  sl  local_address                         remote_address                        st',
    '   0: 00000000000000000000000001000000:15B5 00000000000000000000000001000000:9C45 01',
    '   1: 0000000000000000FFFF00000100007F:15B5 0000000000000000FFFF00000100007F:9C46 01',
  ].join('\n');

  it('lists the open connections accepted on a listening address, by its host and port', () => {
    const found = new Map<string, Set<string>>();
    const listening = [listenAddressOf('tcp://127.0.0.1:5557')!];
    parseProcNetTcp(TCP, listening, found);
    parseProcNetTcp(TCP6, listening, found);
    expect([...found.get('127.0.0.1:5557')!]).toEqual([
      '127.0.0.1:40001',
      '127.0.0.2:40002',
      '127.0.0.1:40006',
    ]);
  });

  it('takes every local address for a wildcard bind, IPv6 included', () => {
    const found = new Map<string, Set<string>>();
    const listening = [listenAddressOf('tcp://*:5557')!];
    parseProcNetTcp(TCP, listening, found);
    parseProcNetTcp(TCP6, listening, found);
    expect([...found.get('*:5557')!].sort()).toEqual(
      [
        '127.0.0.1:40001',
        '127.0.0.2:40002',
        '127.0.0.1:40004',
        '[::1]:40005',
        '127.0.0.1:40006',
      ].sort(),
    );
  });

  it('knows the listening address of tcp endpoints only', () => {
    expect(listenAddressOf('tcp://127.0.0.1:5557')).toEqual({ host: '127.0.0.1', port: 5557 });
    expect(listenAddressOf('tcp://[::1]:5557')).toEqual({ host: '::1', port: 5557 });
    expect(listenAddressOf('tcp://0.0.0.0:5557')).toEqual({ host: undefined, port: 5557 });
    expect(listenAddressOf('tcp://localhost:5557')).toEqual({ host: undefined, port: 5557 });
    expect(listenAddressOf('ipc:///tmp/x')).toBeUndefined();
    expect(listenAddressOf('inproc://x')).toBeUndefined();
  });
});
