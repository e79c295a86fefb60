// The dashboard page's text: what a number, a size, a duration and a message body look like.
import {
  describeBody,
  formatBytes,
  formatCount,
  formatDuration,
  formatRate,
  fromBase64,
  hexDump,
  payloadBytes,
  percentOf,
} from '../web/format';

describe('the dashboard page shows', () => {
  it('counts and rates with thousands separators, small rates with one decimal', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatRate(13814.4)).toBe('13,814/s');
    expect(formatRate(2.46)).toBe('2.5/s');
    expect(formatRate(0)).toBe('0/s');
  });

  it('bytes in binary units', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1,023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64 MiB');
    expect(formatBytes(150 * 1024 * 1024)).toBe('150 MiB');
  });

  it('durations in their two largest units', () => {
    expect(formatDuration(999)).toBe('0 s');
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(12 * 60_000 + 5000)).toBe('12 min 5 s');
    expect(formatDuration(3 * 3_600_000)).toBe('3 h');
    expect(formatDuration(2 * 86_400_000 + 3_600_000 + 5000)).toBe('2 d 1 h');
    expect(formatDuration(-5)).toBe('0 s');
  });

  it('a share of a bound, capped at 100 and 0 of no bound', () => {
    expect(percentOf(25, 100)).toBe(25);
    expect(percentOf(150, 100)).toBe(100);
    expect(percentOf(5, 0)).toBe(0);
  });

  it('a body as indented JSON when it is UTF-8 JSON, else as a hex dump', () => {
    const json = describeBody(
      fromBase64(Buffer.from('{"order":7,"items":["a"]}').toString('base64')),
    );
    expect(json).toEqual({ kind: 'json', text: '{\n  "order": 7,\n  "items": [\n    "a"\n  ]\n}' });
    // msgpack {"a":1}: not UTF-8 JSON.
    const packed = describeBody(new Uint8Array([0x81, 0xa1, 0x61, 0x01]));
    expect(packed).toEqual({ kind: 'hex', text: `00000000  81 a1 61 01${' '.repeat(36)}  ..a.` });
    expect(describeBody(new TextEncoder().encode('plain words')).kind).toBe('hex');
  });

  it("a dead letter's payload from the text or base64 the monitor sends", () => {
    expect(payloadBytes('{"é":1}', 'utf8')).toEqual(new Uint8Array(Buffer.from('{"é":1}')));
    expect(payloadBytes(Buffer.from([0x81, 0xff]).toString('base64'), 'base64')).toEqual(
      new Uint8Array([0x81, 0xff]),
    );
  });

  it('a hex dump of 16 bytes a line, cut at its limit', () => {
    const bytes = Uint8Array.from({ length: 40 }, (_, i) => 0x41 + (i % 26));
    const lines = hexDump(bytes, 32).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe(
      '00000000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP',
    );
    expect(lines[1]!.startsWith('00000010  51 52')).toBe(true);
    expect(lines[2]).toBe('… 8 more bytes');
  });
});
