/**
 * A minimal writer of standard msgpack for the reliable port's bodies: nil, booleans,
 * non-negative integers, strings, arrays and maps, each with the smallest header. Bodies are
 * written straight from the caller's values (no intermediate arrays per message), and every
 * integer gets an integer type (msgpackr writes a `number` beyond 32 bits as a float 64).
 */
const INITIAL_BYTES = 4096;
const MAX_KEPT_BYTES = 1 << 20;

export class MsgpackWriter {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private pos = 0;

  /** Starts a new value, dropping what was written. */
  reset(): this {
    this.pos = 0;
    return this;
  }

  /** A copy of the bytes written since `reset()`. */
  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    // One huge body must not pin a huge scratch buffer for the life of the process.
    if (this.buf.length > MAX_KEPT_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BYTES);
    return out;
  }

  nil(): this {
    this.reserve(1);
    this.buf[this.pos++] = 0xc0;
    return this;
  }

  bool(value: boolean): this {
    this.reserve(1);
    this.buf[this.pos++] = value ? 0xc3 : 0xc2;
    return this;
  }

  /** A non-negative safe integer, as positive fixint, uint 8/16/32 or uint 64. */
  uint(n: number): this {
    this.reserve(9);
    const buf = this.buf;
    if (n < 0x80) {
      buf[this.pos++] = n;
    } else if (n < 0x100) {
      buf[this.pos++] = 0xcc;
      buf[this.pos++] = n;
    } else if (n < 0x10000) {
      buf[this.pos++] = 0xcd;
      buf.writeUInt16BE(n, this.pos);
      this.pos += 2;
    } else if (n < 0x100000000) {
      buf[this.pos++] = 0xce;
      buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      buf[this.pos++] = 0xcf;
      buf.writeUInt32BE(Math.floor(n / 0x100000000), this.pos);
      buf.writeUInt32BE(n >>> 0, this.pos + 4);
      this.pos += 8;
    }
    return this;
  }

  str(s: string): this {
    if (s.length < 0x100 && this.ascii(s)) return this;
    const length = Buffer.byteLength(s, 'utf8');
    this.reserve(5 + length);
    const buf = this.buf;
    if (length < 32) {
      buf[this.pos++] = 0xa0 | length;
    } else if (length < 0x100) {
      buf[this.pos++] = 0xd9;
      buf[this.pos++] = length;
    } else if (length < 0x10000) {
      buf[this.pos++] = 0xda;
      buf.writeUInt16BE(length, this.pos);
      this.pos += 2;
    } else {
      buf[this.pos++] = 0xdb;
      buf.writeUInt32BE(length, this.pos);
      this.pos += 4;
    }
    this.pos += buf.write(s, this.pos, length, 'utf8');
    return this;
  }

  /** A string, or nil for `undefined`. */
  strOrNil(s: string | undefined): this {
    return s === undefined ? this.nil() : this.str(s);
  }

  /** A non-negative integer, or nil for `undefined`. */
  uintOrNil(n: number | undefined): this {
    return n === undefined ? this.nil() : this.uint(n);
  }

  array(length: number): this {
    return this.header(length, 0x90, 0xdc);
  }

  map(size: number): this {
    return this.header(size, 0x80, 0xde);
  }

  /** An array of strings. */
  strings(list: readonly string[]): this {
    this.array(list.length);
    for (let i = 0; i < list.length; i++) this.str(list[i] as string);
    return this;
  }

  /** An array of non-negative integers. */
  uints(list: readonly number[]): this {
    this.array(list.length);
    for (let i = 0; i < list.length; i++) this.uint(list[i] as number);
    return this;
  }

  // The common case of ids, names and tags-as-text: a short ASCII string, copied char by char
  // (measured 3x faster than byteLength + write for a UUID). False, with nothing written, for
  // a string with a non-ASCII character.
  private ascii(s: string): boolean {
    const n = s.length;
    const header = n < 32 ? 1 : 2;
    this.reserve(header + n);
    const buf = this.buf;
    let p = this.pos + header;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return false;
      buf[p++] = c;
    }
    if (header === 1) {
      buf[this.pos] = 0xa0 | n;
    } else {
      buf[this.pos] = 0xd9;
      buf[this.pos + 1] = n;
    }
    this.pos = p;
    return true;
  }

  // fix (up to 15), 16-bit or 32-bit header: `fix` is the fix type's base, `wide` the 16-bit
  // type (the 32-bit type follows it).
  private header(n: number, fix: number, wide: number): this {
    this.reserve(5);
    if (n < 16) {
      this.buf[this.pos++] = fix | n;
    } else if (n < 0x10000) {
      this.buf[this.pos++] = wide;
      this.buf.writeUInt16BE(n, this.pos);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = wide + 1;
      this.buf.writeUInt32BE(n, this.pos);
      this.pos += 4;
    }
    return this;
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + bytes));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}
