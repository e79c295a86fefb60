// What the page shows, as text: pure functions, tested in apps/broker/test.

const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const ONE_DECIMAL = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });

/** A whole count: `12,345`. */
export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** A rate per second: `1,234/s`, with one decimal below 10 (`2.5/s`). */
export function formatRate(perSecond: number): string {
  return `${perSecond < 10 ? ONE_DECIMAL.format(perSecond) : COUNT.format(perSecond)}/s`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units: `512 B`, `1.5 KiB`, `64 MiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const shown = unit === 0 || value >= 100 ? COUNT.format(value) : ONE_DECIMAL.format(value);
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/** A duration, its two largest units: `42 s`, `12 min 5 s`, `3 h 4 min`, `2 d 1 h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const parts: Array<[number, string]> = [
    [Math.floor(s / 86400), 'd'],
    [Math.floor(s / 3600) % 24, 'h'],
    [Math.floor(s / 60) % 60, 'min'],
    [s % 60, 's'],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return parts
    .slice(first, first + 2)
    .filter(([n], i) => i === 0 || n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}

/** A clock time, local, to the second: `14:03:27`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/** A percentage of a bound: `12.5 %` (`0 %` of a bound of 0). */
export function percentOf(value: number, bound: number): number {
  return bound > 0 ? Math.min(100, (value / bound) * 100) : 0;
}

/** Bytes from base64 (the durable queues' payloads). */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A payload as the monitor's JSON carries it (`DeadLetterView`): UTF-8 text or base64. */
export function payloadBytes(payload: string, encoding: 'utf8' | 'base64'): Uint8Array {
  return encoding === 'utf8' ? new TextEncoder().encode(payload) : fromBase64(payload);
}

/** A hex dump, 16 bytes a line: offset, bytes, then the printable ASCII. */
export function hexDump(bytes: Uint8Array, maxBytes = 4096): string {
  const lines: string[] = [];
  const end = Math.min(bytes.length, maxBytes);
  for (let at = 0; at < end; at += 16) {
    const row = bytes.subarray(at, Math.min(at + 16, end));
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.'));
    lines.push(`${at.toString(16).padStart(8, '0')}  ${hex.padEnd(47)}  ${ascii.join('')}`);
  }
  if (bytes.length > end) lines.push(`… ${formatCount(bytes.length - end)} more bytes`);
  return lines.join('\n');
}

/** A message body as the page shows it: indented JSON when it is UTF-8 JSON, else a hex dump. */
export function describeBody(bytes: Uint8Array): { kind: 'json' | 'hex'; text: string } {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return { kind: 'json', text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { kind: 'hex', text: hexDump(bytes) };
  }
}
