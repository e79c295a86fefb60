import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { scanProcNetTcp } from './peer-addresses';

/** The kernel's connection tables (Linux); elsewhere they do not exist and nothing is known. */
export const TCP_TABLES: readonly string[] = ['/proc/net/tcp', '/proc/net/tcp6'];

// Connection states as the tables write them (include/net/tcp_states.h).
const ESTABLISHED = '01';
const SYN_RECV = '03';
const CLOSE_WAIT = '08';
/** States in which this side sent its FIN first: the broker closed the connection. */
const CLOSED_HERE = new Set(['04', '05', '06', '0B']); // FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSING

/** One reading of the connections of a local port: peers as `ip:port`. */
export interface TcpTableReading {
  /** Connections open: established, or closed by the peer and not yet by the broker. */
  open: Set<string>;
  /** Connections the broker closed itself, listed until their TIME-WAIT ends (about a minute). */
  closedHere: Set<string>;
}

/**
 * The connections whose local port is `port`, from the kernel's tables `files`, read at once
 * (the log line that names a peer is written as the event comes); an empty reading where a
 * table cannot be read.
 */
export function readTcpTable(port: number, files: readonly string[] = TCP_TABLES): TcpTableReading {
  const reading: TcpTableReading = { open: new Set(), closedHere: new Set() };
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    scanProcNetTcp(text, (local, peer, state) => {
      if (local.port !== port) return;
      if (state === ESTABLISHED || state === SYN_RECV || state === CLOSE_WAIT) {
        reading.open.add(peer);
      } else if (CLOSED_HERE.has(state)) {
        reading.closedHere.add(peer);
      }
    });
  }
  return reading;
}

/** The port of a `tcp://host:port` endpoint; undefined for other transports. */
export function tcpPort(endpoint: string): number | undefined {
  const m = /^tcp:\/\/.+:(\d+)$/.exec(endpoint);
  return m === null ? undefined : Number(m[1]);
}

/** Most addresses kept per kind between two log lines (the oldest go first). */
const MAX_KEPT = 100;

/**
 * Readings at connection events are this far apart at least (ms), whatever the rate: a
 * connection that comes sooner is read once that interval has passed.
 */
export const MIN_READING_INTERVAL_MS = 100;

/**
 * Readings unioned at most, when one finds fewer open connections than libzmq has open: the
 * kernel writes its table a page at a time and finds its place again by position, so a
 * connection can be passed over when others of the host open or close between two pages.
 */
export const MAX_READINGS = 3;

/**
 * Pauses before reading again for an ended connection still listed open (ms, 126 in all): libzmq
 * reports a disconnect just before its I/O thread closes the socket, so the table can still list
 * it, for longer on a loaded machine. The pauses are asynchronous: the broker goes on meanwhile.
 */
export const CLOSING_PAUSES_MS: readonly number[] = [2, 4, 8, 16, 32, 64];

/**
 * Peers of one bound TCP port, from the kernel's connection table (Linux). libzmq's socket
 * events name the bound endpoint, never the peer, so the broker reads the table when a
 * connection comes (`observe`: at most every MIN_READING_INTERVAL_MS, and one that comes sooner
 * is read once the interval has passed, so its address is known whatever the log level) and when
 * it logs a line about a peer (`opened`, `ended`): which connections opened, and which ended,
 * since the last line. A connection libzmq resets (refusing a peer closes with the peer's bytes
 * unread, which resets it) leaves the table at once, so its address is known only if a reading
 * caught it open; one closed with a FIN stays listed in TIME-WAIT for about a minute. A reading
 * passes over every connection of the host, hence the interval. A reading that lists fewer open
 * connections than libzmq has open on the port (`expectedOpen`) is repeated, MAX_READINGS in all,
 * the readings unioned. For a line about an ended connection, a reading that lists more
 * (libzmq reported the disconnect but has not closed the socket yet) is repeated after each of
 * CLOSING_PAUSES_MS while it still does, the latest one kept.
 */
export class TcpPeers {
  private last: TcpTableReading = { open: new Set(), closedHere: new Set() };
  private lastReadAt = -Infinity;
  private readonly openedSince = new Set<string>();
  private readonly endedSince = new Set<string>();
  /** A reading waits for the interval to pass (`observe`). */
  private deferred = false;

  constructor(
    port: number,
    /** Connections libzmq has open on the port now, as its socket events tell. */
    private readonly expectedOpen: () => number,
    private readonly source: () => TcpTableReading = () => readTcpTable(port),
    private readonly now: () => number = Date.now,
    private readonly pause: (ms: number) => Promise<void> = sleep,
  ) {}

  /**
   * Reads the table, or, if it was read less than MIN_READING_INTERVAL_MS ago, once that
   * interval has passed (one reading for every connection that came meanwhile).
   */
  observe(): void {
    const wait = MIN_READING_INTERVAL_MS - (this.now() - this.lastReadAt);
    if (wait <= 0) {
      this.apply(this.read());
      return;
    }
    if (this.deferred) return;
    this.deferred = true;
    void this.pause(wait).then(() => {
      this.deferred = false;
      this.apply(this.read());
    });
  }

  /** Peers whose connection opened since the last call (the table read now). */
  opened(): string[] {
    this.apply(this.read());
    return take(this.openedSince);
  }

  /**
   * Peers whose connection ended since the last call: the table read now, and again after a
   * pause while it lists more open connections than libzmq has (one it let go may be closing).
   * Readings in between (`observe`, `opened`) are harmless: what they note is reported by
   * whichever call takes it first.
   */
  async ended(): Promise<string[]> {
    let now = this.read();
    for (const ms of CLOSING_PAUSES_MS) {
      if (now.open.size <= this.expectedOpen()) break;
      await this.pause(ms);
      const again = this.read();
      for (const peer of now.closedHere) again.closedHere.add(peer);
      now = again;
    }
    this.apply(now);
    return take(this.endedSince);
  }

  /** A reading of the table, repeated while it lists fewer open connections than libzmq has. */
  private read(): TcpTableReading {
    const expected = this.expectedOpen();
    const now = this.source();
    for (let i = 1; i < MAX_READINGS && now.open.size < expected; i++) {
      const again = this.source();
      for (const peer of again.open) now.open.add(peer);
      for (const peer of again.closedHere) now.closedHere.add(peer);
    }
    return now;
  }

  /** Notes what opened and ended between the last reading applied and `now`. */
  private apply(now: TcpTableReading): void {
    this.lastReadAt = this.now();
    for (const peer of now.open) if (!this.last.open.has(peer)) keep(this.openedSince, peer);
    for (const peer of this.last.open) if (!now.open.has(peer)) keep(this.endedSince, peer);
    for (const peer of now.closedHere) {
      if (!this.last.closedHere.has(peer)) keep(this.endedSince, peer);
    }
    this.last = now;
  }
}

function keep(set: Set<string>, peer: string): void {
  set.add(peer);
  if (set.size > MAX_KEPT) set.delete(set.values().next().value as string);
}

function take(set: Set<string>): string[] {
  const peers = [...set];
  set.clear();
  return peers;
}
