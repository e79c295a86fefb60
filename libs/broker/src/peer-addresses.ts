import { readFile } from 'node:fs/promises';

/**
 * Where a bound TCP endpoint listens, to find its connections in the kernel's table. `host`
 * is undefined for a wildcard bind (`*`, `0.0.0.0`, `::`) or a host name: then the port alone
 * decides.
 */
export interface ListenAddress {
  host: string | undefined;
  port: number;
}

/**
 * The peers' addresses (`ip:port`) of every open TCP connection accepted on each listening
 * address, keyed by `listenKey`; undefined where the table cannot be read (not Linux).
 */
export type ConnectionTable = (
  listening: readonly ListenAddress[],
) => Promise<Map<string, Set<string>> | undefined>;

/** The key of a listening address in a ConnectionTable's answer. */
export function listenKey(at: ListenAddress): string {
  return `${at.host ?? '*'}:${at.port}`;
}

/** The listening address of a `tcp://host:port` endpoint; undefined for ipc, inproc or `*` ports. */
export function listenAddressOf(endpoint: string): ListenAddress | undefined {
  const m = /^tcp:\/\/(.+):(\d+)$/.exec(endpoint);
  if (m === null) return undefined;
  let host = m[1] as string;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const wildcard = host === '*' || host === '0.0.0.0' || host === '::';
  const literal = /^[\d.]+$/.test(host) || host.includes(':');
  return { host: wildcard || !literal ? undefined : host, port: Number(m[2]) };
}

// /proc/net/tcp states that mean "libzmq still holds this connection": ESTABLISHED, and
// CLOSE_WAIT (the peer closed, libzmq has not yet).
const OPEN_STATES = new Set(['01', '08']);

/** An IPv4 address as /proc/net/tcp writes it: 8 hex digits, the bytes in host (little-endian) order. */
function ipv4(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join('.');
}

/** An IPv6 address as /proc/net/tcp6 writes it: four 32-bit words, each little-endian. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(Number.parseInt(word.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return bytes.slice(12).join('.');
  }
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) {
    groups.push((((bytes[i] as number) << 8) | (bytes[i + 1] as number)).toString(16));
  }
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

/** `ip:port` (IPv6 in brackets) from a table's `HEXADDR:HEXPORT`. */
function socketAddress(field: string): { ip: string; port: number; text: string } {
  const [addr = '', port = '0'] = field.split(':');
  const ip = addr.length === 8 ? ipv4(addr) : ipv6(addr);
  const p = Number.parseInt(port, 16);
  return { ip, port: p, text: ip.includes(':') ? `[${ip}]:${p}` : `${ip}:${p}` };
}

/**
 * Calls `visit` for each connection in /proc/net/tcp or tcp6 text: its local address, its
 * remote address (`ip:port`) and its state (two hex digits, include/net/tcp_states.h).
 */
export function scanProcNetTcp(
  text: string,
  visit: (local: { ip: string; port: number }, remote: string, state: string) => void,
): void {
  const lines = text.split('\n');
  for (let i = 1; i < lines.length; i++) {
    const fields = (lines[i] as string).trim().split(/\s+/, 4);
    if (fields.length < 4) continue;
    visit(
      socketAddress(fields[1] as string),
      socketAddress(fields[2] as string).text,
      fields[3] as string,
    );
  }
}

/**
 * Parses /proc/net/tcp or tcp6 text: for each listening address, the remote addresses of its
 * open connections (added to `into`).
 */
export function parseProcNetTcp(
  text: string,
  listening: readonly ListenAddress[],
  into: Map<string, Set<string>>,
): void {
  const byPort = new Map<number, ListenAddress[]>();
  for (const at of listening) byPort.set(at.port, [...(byPort.get(at.port) ?? []), at]);
  scanProcNetTcp(text, (local, remote, state) => {
    if (!OPEN_STATES.has(state)) return;
    for (const at of byPort.get(local.port) ?? []) {
      if (at.host !== undefined && at.host !== local.ip) continue;
      const key = listenKey(at);
      const set = into.get(key) ?? new Set<string>();
      set.add(remote);
      into.set(key, set);
    }
  });
}

/** The Linux kernel's table (/proc/net/tcp and tcp6); undefined when neither can be read. */
export const procNetTcp: ConnectionTable = async (listening) => {
  const found = new Map<string, Set<string>>();
  let readAny = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      continue;
    }
    readAny = true;
    parseProcNetTcp(text, listening, found);
  }
  return readAny ? found : undefined;
};
