// A log-linear latency histogram (HdrHistogram-style): constant memory at any message rate,
// relative error under 1/SUB_BUCKETS, mergeable and serialisable as a plain array.

const SUB_BITS = 6;
const SUB_BUCKETS = 1 << SUB_BITS;
/** Values are recorded in ns up to 2^40 ns (about 18 minutes); larger ones are clamped. */
const MAX_EXPONENT = 40;
// Linear buckets 0..SUB_BUCKETS-1, then one row of SUB_BUCKETS per exponent SUB_BITS..MAX_EXPONENT.
const BUCKETS = (MAX_EXPONENT - SUB_BITS + 2) * SUB_BUCKETS;

function indexOf(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < SUB_BUCKETS) return v;
  const exponent = Math.min(MAX_EXPONENT, Math.floor(Math.log2(v)));
  const shift = exponent - SUB_BITS;
  const sub = Math.min(SUB_BUCKETS - 1, Math.floor(v / 2 ** shift) - SUB_BUCKETS);
  return (shift + 1) * SUB_BUCKETS + sub;
}

/** The midpoint of bucket `index`'s value range. */
function valueOf(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const shift = Math.floor(index / SUB_BUCKETS) - 1;
  const sub = index % SUB_BUCKETS;
  const low = (SUB_BUCKETS + sub) * 2 ** shift;
  return low + (2 ** shift - 1) / 2;
}

export class Histogram {
  readonly counts: Float64Array;
  total = 0;
  max = 0;

  constructor(counts?: ArrayLike<number>) {
    this.counts = new Float64Array(BUCKETS);
    if (counts) {
      this.counts.set(Array.from(counts).slice(0, BUCKETS));
      for (let i = 0; i < this.counts.length; i++) {
        const n = this.counts[i] as number;
        if (n > 0) {
          this.total += n;
          this.max = Math.max(this.max, valueOf(i));
        }
      }
    }
  }

  record(value: number): void {
    const i = indexOf(value);
    this.counts[i] = (this.counts[i] as number) + 1;
    this.total++;
    if (value > this.max) this.max = value;
  }

  /** The value at quantile q (0..1) within the bucket's resolution, or NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return valueOf(i);
    }
    return NaN;
  }

  /** Sparse form for IPC and JSON: [index, count] pairs. */
  toSparse(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.counts.forEach((n, i) => {
      if (n > 0) out.push([i, n]);
    });
    return out;
  }

  static fromSparse(pairs: Array<[number, number]>): Histogram {
    const counts = new Array<number>(BUCKETS).fill(0);
    for (const [i, n] of pairs) counts[i] = n;
    return new Histogram(counts);
  }
}
