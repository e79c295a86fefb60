/**
 * Crash tests with real processes: a child appends (or leases) and is killed with SIGKILL
 * mid-flow; a new process opens the same data directory and reports what it finds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = join(__dirname, '..', '..', '..');
// Inside the repository so that the bundle finds lmdb in node_modules.
const bundle = join(root, 'tmp', 'queue-store-crash', 'child.js');
const EVENT_MS = 30_000;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  await build({
    entryPoints: [join(__dirname, 'crash', 'child.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['lmdb', 'msgpackr'],
    tsconfig: join(root, 'tsconfig.base.json'),
    logLevel: 'warning',
  });
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zmq-mq-crash-'));
});

afterEach(() => {
  for (const c of children.splice(0))
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(...args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

/** Calls `onLine` for each stdout line; resolves with all lines once `until` says so. */
function lines(
  child: ChildProcess,
  until: (all: string[]) => boolean,
  what: string,
): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const all: string[] = [];
    let rest = '';
    let stderr = '';
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${what}; stderr: ${stderr}`)),
      EVENT_MS,
    );
    child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout?.on('data', (b: Buffer) => {
      const parts = (rest + b.toString()).split('\n');
      rest = parts.pop() ?? '';
      all.push(...parts);
      if (until(all)) {
        clearTimeout(timer);
        resolve(all);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (until(all)) resolve(all);
      else reject(new Error(`child exited (${code ?? signal}) before ${what}; stderr: ${stderr}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

interface Dump {
  messages: Array<{ id: string; seq: number; attempt: number }>;
  counters: { redelivered: number; delivered: number };
}

async function dump(): Promise<Dump> {
  const child = start('dump', dir);
  const out = await lines(child, (all) => all.some((l) => l.startsWith('{')), 'the dump');
  await exited(child);
  expect(child.exitCode).toBe(0);
  return JSON.parse(out.find((l) => l.startsWith('{')) as string) as Dump;
}

describe('LmdbStore crash', () => {
  it('keeps every confirmed append when the process is killed mid-flow', async () => {
    const child = start('append', dir, '10000');
    // Kill once 3,000 appends are confirmed, well before the 10,000 are.
    const out = await lines(child, (all) => all.length >= 3000, '3,000 confirms');
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    const confirmed = out.filter((l) => l.startsWith('c-'));
    expect(out).not.toContain('done');
    const { messages } = await dump();
    const present = new Set(messages.map((m) => m.id));
    expect(present.size).toBe(messages.length);
    const missing = confirmed.filter((id) => !present.has(id));
    expect(missing).toEqual([]);
    expect(messages.length).toBeGreaterThanOrEqual(confirmed.length);
    expect(messages.length).toBeLessThan(10000);
    // Seq order is append order.
    const seqs = messages.map((m) => m.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  }, 60_000);

  it('brings leased messages back as attempt 2, counted as redelivered', async () => {
    const child = start('lease', dir, '100');
    const out = await lines(child, (all) => all.some((l) => l.startsWith('leased ')), 'the leases');
    const leased = JSON.parse(
      (out.find((l) => l.startsWith('leased ')) as string).slice(7),
    ) as number[];
    expect(leased).toHaveLength(40);
    child.kill('SIGKILL');
    await exited(child);
    const { messages, counters } = await dump();
    expect(messages).toHaveLength(100);
    const again = messages.filter((m) => leased.includes(m.seq));
    expect(again).toHaveLength(40);
    expect(again.every((m) => m.attempt === 2)).toBe(true);
    expect(messages.filter((m) => !leased.includes(m.seq)).every((m) => m.attempt === 1)).toBe(
      true,
    );
    expect(counters.redelivered).toBe(40);
    // Redeliveries first.
    expect(messages.slice(0, 40).map((m) => m.seq)).toEqual(leased);
  }, 60_000);

  it('counts the leases of a process killed before their counts were committed (the lease log)', async () => {
    const child = start('lease-kill', dir, '100');
    const out = await lines(child, (all) => all.some((l) => l.startsWith('leased ')), 'the leases');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
    const [twice, once] = (out.find((l) => l.startsWith('leased ')) as string)
      .slice(7)
      .split(' ')
      .map((j) => JSON.parse(j) as number[]) as [number[], number[]];
    expect(twice).toHaveLength(40);
    expect(once).toHaveLength(20);
    const { messages, counters } = await dump();
    expect(messages).toHaveLength(100);
    const attemptOf = new Map(messages.map((m) => [m.seq, m.attempt]));
    // Delivered twice (the second count only in the log): third attempt now.
    expect(twice.map((s) => attemptOf.get(s))).toEqual(twice.map(() => 3));
    // Delivered once (only in the log): second attempt, counted as redelivered.
    expect(once.map((s) => attemptOf.get(s))).toEqual(once.map(() => 2));
    expect(messages.filter((m) => m.attempt === 1)).toHaveLength(40);
    expect(counters.redelivered).toBe(60);
  }, 60_000);
});
