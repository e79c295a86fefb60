import { readFileSync } from 'node:fs';

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

/** `0100007F` (IPv4, as /proc/net/tcp writes it: one little-endian word) → `127.0.0.1`. */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

/** An address of /proc/net/tcp6 (four little-endian words): IPv4-mapped as IPv4, else `[v6]`. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 32; w += 8) {
    for (let b = 6; b >= 0; b -= 2) bytes.push(Number.parseInt(hex.slice(w + b, w + b + 2), 16));
  }
  const mapped =
    bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  return `[${groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::')}]`;
}

/**
 * The connections whose local port is `port`, from the kernel's tables `files`; an empty reading
 * where a table cannot be read.
 */
export function readTcpTable(port: number, files: readonly string[] = TCP_TABLES): TcpTableReading {
  const reading: TcpTableReading = { open: new Set(), closedHere: new Set() };
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      // "  sl: local rem st …": the local address ends at the first space after it.
      const fields = line.trim().split(/\s+/, 4);
      const [, local, remote, state] = fields;
      if (state === undefined || local === undefined || remote === undefined) continue;
      if (!local.endsWith(portHex)) continue;
      const at = remote.indexOf(':');
      const ip = at === 8 ? ipv4(remote.slice(0, at)) : ipv6(remote.slice(0, at));
      const peer = `${ip}:${Number.parseInt(remote.slice(at + 1), 16)}`;
      if (state === ESTABLISHED || state === SYN_RECV || state === CLOSE_WAIT) {
        reading.open.add(peer);
      } else if (CLOSED_HERE.has(state)) {
        reading.closedHere.add(peer);
      }
    }
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

/** Readings at connection events are this far apart at least (ms), whatever the rate. */
export const MIN_READING_INTERVAL_MS = 100;

/**
 * Peers of one bound TCP port, from the kernel's connection table (Linux). libzmq's socket
 * events name the bound endpoint, never the peer, so the broker reads the table when a
 * connection comes (`observe`, at most every MIN_READING_INTERVAL_MS) and when it logs a line
 * about a peer (`opened`, `ended`): which connections opened, and which ended, since the last
 * line. A connection libzmq resets (refusing a peer closes with the peer's bytes unread, which
 * resets it) leaves the table at once, so its address is known only if a reading caught it
 * open; one closed with a FIN stays listed in TIME-WAIT for about a minute. A reading passes
 * over every connection of the host, hence the interval.
 */
export class TcpPeers {
  private last: TcpTableReading = { open: new Set(), closedHere: new Set() };
  private lastReadAt = -Infinity;
  private readonly openedSince = new Set<string>();
  private readonly endedSince = new Set<string>();

  constructor(
    private readonly port: number,
    private readonly files: readonly string[] = TCP_TABLES,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the table unless it was read less than MIN_READING_INTERVAL_MS ago. */
  observe(): void {
    if (this.now() - this.lastReadAt >= MIN_READING_INTERVAL_MS) this.read();
  }

  /** Peers whose connection opened since the last call (the table read now). */
  opened(): string[] {
    this.read();
    return take(this.openedSince);
  }

  /** Peers whose connection ended since the last call (the table read now). */
  ended(): string[] {
    this.read();
    return take(this.endedSince);
  }

  private read(): void {
    const now = readTcpTable(this.port, this.files);
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
