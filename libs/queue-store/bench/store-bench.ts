/**
 * Micro-benchmark of the queue store alone (no sockets): appends with confirms, leases and
 * acks of N messages through one queue, as the broker drives it; then the disk footprint.
 *
 * usage: node libs/queue-store/bench/run.mjs [--messages N] [--sizes 100,1024]
 *        [--batch 100] [--window 64] [--store lmdb|memory|both] [--overlapping true|false|both]
 *        [--dedup true|false]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { LmdbStore, MemoryStore, type AppendRequest, type QueueStore } from '../src';

interface Args {
  messages: number;
  sizes: number[];
  batch: number;
  window: number;
  stores: string[];
  overlapping: boolean[];
  dedup: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : fallback;
  };
  const store = get('store', 'both');
  const overlapping = get('overlapping', 'both');
  return {
    messages: Number(get('messages', '500000')),
    sizes: get('sizes', '100,1024').split(',').map(Number),
    batch: Number(get('batch', '100')),
    window: Number(get('window', '64')),
    stores: store === 'both' ? ['memory', 'lmdb'] : [store],
    overlapping: overlapping === 'both' ? [true, false] : [overlapping === 'true'],
    dedup: get('dedup', 'true') === 'true',
  };
}

let withDedup = true;

const frameCache = new Map<number, Buffer>();

/** Requests for messages n = from..from+count-1; all share one frame (read-only once appended). */
function requests(count: number, size: number, from: number): AppendRequest[] {
  const topic = 'orders.created';
  let frame = frameCache.get(size);
  if (frame === undefined) {
    frame = Buffer.concat([
      Buffer.from(`${topic} `),
      Buffer.alloc(Math.max(0, size - topic.length - 1), 0x61),
    ]);
    frameCache.set(size, frame);
  }
  const out: AppendRequest[] = [];
  for (let i = 0; i < count; i++) {
    const id = `id-${from + i}`;
    out.push({
      message: { frames: [frame], topic, id, publishedAt: Date.now() },
      queues: ['bench'],
      dedupId: withDedup ? id : undefined,
    });
  }
  return out;
}

interface Result {
  seconds: number;
  cpuSeconds: number;
  /** Time the main thread (the event loop) was busy. */
  mainSeconds: number;
  confirmed: number;
  acked: number;
}

/** Appends `total` messages (`window` calls of `batch` in flight), leasing and acking as they get ready. */
async function flow(
  store: QueueStore,
  total: number,
  size: number,
  batch: number,
  window: number,
): Promise<Result> {
  let sent = 0;
  let confirmed = 0;
  let acked = 0;
  let inflight = 0;
  let wake: (() => void) | undefined;
  const done = new Promise<void>((resolve) => {
    const drain = (): void => {
      void store.lease('bench', 1000, 30_000).then((ds) => {
        if (ds.length === 0) return;
        void store.ack(ds);
        acked += ds.length;
        if (acked >= total) resolve();
        else drain();
      });
    };
    store.onReady(() => drain());
  });
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = process.hrtime.bigint();
  while (sent < total) {
    while (inflight < window && sent < total) {
      const n = Math.min(batch, total - sent);
      const reqs = requests(n, size, sent);
      sent += n;
      inflight++;
      void store.append(reqs).then((rs) => {
        inflight--;
        for (const r of rs) if (r.status !== 'rejected') confirmed++;
        wake?.();
      });
    }
    await new Promise<void>((r) => (wake = r));
  }
  await done;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  return {
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    mainSeconds: elu.active / 1e3,
    confirmed,
    acked,
  };
}

async function footprint(path: string, size: number, n: number): Promise<string> {
  const store = new LmdbStore({ path });
  await store.open();
  await store.declare({ name: 'bench', prefixes: [''] });
  const empty = store.diskBytes();
  for (let i = 0; i < n; i += 1000) await store.append(requests(1000, size, i));
  const full = store.diskBytes();
  const ds = await store.lease('bench', n, 60_000);
  await store.ack(ds);
  await store.sync();
  for (let i = 0; i < n; i += 1000) await store.append(requests(1000, size, n + i));
  const refilled = store.diskBytes();
  await store.close();
  return (
    `disk: ${((full - empty) / n).toFixed(0)} B per stored message (${n} stored: ${mb(full)}), ` +
    `file after ack of all and ${n} more appended: ${mb(refilled)}`
  );
}

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MiB`;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  withDedup = args.dedup;
  console.log(
    `queue-store bench: ${args.messages} messages, append calls of ${args.batch} ${withDedup ? 'with' : 'without'} dedup ids, ` +
      `${args.window} calls in flight, lease 1000 + ack per ready turn`,
  );
  for (const size of args.sizes) {
    for (const kind of args.stores) {
      const variants = kind === 'lmdb' ? args.overlapping : [undefined];
      for (const overlapping of variants) {
        const dir = mkdtempSync(join(tmpdir(), 'zmq-mq-bench-'));
        const store =
          kind === 'lmdb'
            ? new LmdbStore({ path: dir, overlappingSync: overlapping, trackMetrics: true })
            : new MemoryStore();
        await store.open();
        await store.declare({
          name: 'bench',
          prefixes: [''],
          maxMessages: 10_000_000,
          maxBytes: 8 * 1024 ** 3,
        });
        const r = await flow(store, args.messages, size, args.batch, args.window);
        const label = kind === 'lmdb' ? `lmdb overlappingSync=${overlapping}` : 'memory';
        const rate = r.acked / r.seconds;
        const e = store.engineStats();
        let line =
          `${size} B ${label}: ${Math.round(rate)} msg/s appended+leased+acked, ` +
          `${((r.seconds * 1e6) / r.acked).toFixed(2)} us/msg wall, ${((r.cpuSeconds * 1e6) / r.acked).toFixed(2)} us/msg CPU ` +
          `(main thread busy ${((r.mainSeconds * 1e6) / r.acked).toFixed(2)}); ` +
          `${e.appendTurns} append turns (${(r.confirmed / e.appendTurns).toFixed(0)} msgs each)`;
        if (store instanceof LmdbStore) {
          const m = store.metrics();
          const txns = Number(m.txns ?? 0);
          line +=
            `, ${txns} LMDB txns (${(r.confirmed / txns).toFixed(0)} appends each), ` +
            `${Math.round(txns / r.seconds)} txns/s (one fdatasync each at most), sync time ${Number(m.timeSync ?? 0).toFixed(2)} s`;
        }
        console.log(line);
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    }
    if (args.stores.includes('lmdb')) {
      const dir = mkdtempSync(join(tmpdir(), 'zmq-mq-bench-'));
      console.log(`${size} B ${await footprint(dir, size, 100_000)}`);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
