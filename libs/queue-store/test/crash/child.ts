/**
 * A process the crash tests start and kill -9. Modes (argv[2]), data directory argv[3]:
 *   append N  appends N messages with ids c-0..c-N-1 (confirms awaited), printing each id
 *             on its own line as its append resolves; then prints `done` and waits.
 *   lease N   appends N messages, leases 40 of them (ack wait 60 s), makes the lease
 *             counts durable, prints `leased <json seqs>` and waits.
 *   lease-kill N  appends N messages; leases 40 and makes their counts durable, naks them and
 *             leases them again with 20 more, then prints `leased <json seqs of the 40>
 *             <json seqs of the 20>` and kills itself with SIGKILL in the same turn: the second
 *             leases' counts are not even issued to LMDB.
 *   dump      prints one JSON line: every message the queue holds, leased once, with its
 *             attempt, and the queue's counters; then exits.
 */
import { LmdbStore, type AppendRequest } from '../../src';

const [mode, path, countArg] = process.argv.slice(2);
const count = Number(countArg ?? 0);

function requests(from: number, n: number): AppendRequest[] {
  const out: AppendRequest[] = [];
  for (let i = from; i < from + n; i++) {
    const id = `c-${i}`;
    out.push({
      message: {
        frames: [Buffer.from(`crash.test ${id}`)],
        topic: 'crash.test',
        id,
        publishedAt: Date.now(),
      },
      queues: ['crash'],
      dedupId: id,
    });
  }
  return out;
}

async function appendAll(store: LmdbStore, total: number, print: boolean): Promise<void> {
  const batch = 25;
  const window = 8;
  let next = 0;
  const inflight = new Set<Promise<void>>();
  while (next < total || inflight.size > 0) {
    while (next < total && inflight.size < window) {
      const reqs = requests(next, Math.min(batch, total - next));
      next += reqs.length;
      const p: Promise<void> = store.append(reqs).then((results) => {
        inflight.delete(p);
        const ids = reqs
          .filter((_, i) => results[i]?.status !== 'rejected')
          .map((r) => r.message.id);
        if (print) process.stdout.write(`${ids.join('\n')}\n`);
      });
      inflight.add(p);
    }
    await Promise.race(inflight);
  }
}

function stayAlive(): void {
  setInterval(() => undefined, 60_000);
}

async function main(): Promise<void> {
  const store = new LmdbStore({ path: path as string });
  await store.open();
  await store.declare({ name: 'crash', prefixes: ['crash.'] });
  if (mode === 'append') {
    await appendAll(store, count, true);
    process.stdout.write('done\n');
    stayAlive();
  } else if (mode === 'lease') {
    await appendAll(store, count, false);
    const ds = await store.lease('crash', 40, 60_000);
    await store.sync();
    process.stdout.write(`leased ${JSON.stringify(ds.map((d) => d.seq))}\n`);
    stayAlive();
  } else if (mode === 'lease-kill') {
    await appendAll(store, count, false);
    const first = await store.lease('crash', 40, 60_000);
    await store.sync();
    for (const d of first) await store.nak(d, 0);
    const again = await store.lease('crash', 60, 60_000);
    const twice = again.filter((d) => d.attempt === 2).map((d) => d.seq);
    const once = again.filter((d) => d.attempt === 1).map((d) => d.seq);
    process.stdout.write(`leased ${JSON.stringify(twice)} ${JSON.stringify(once)}\n`, () =>
      process.kill(process.pid, 'SIGKILL'),
    );
  } else if (mode === 'dump') {
    const ds = await store.lease('crash', 1_000_000, 60_000);
    const messages = ds.map((d) => ({ id: d.message.id, seq: d.seq, attempt: d.attempt }));
    process.stdout.write(
      `${JSON.stringify({ messages, counters: store.stats('crash').counters })}\n`,
    );
    await store.close();
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
