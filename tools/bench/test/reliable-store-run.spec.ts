// `npm run bench -- --reliable --store nats://…` end to end: the bundled bench, as `npm run
// bench` runs it, against a nats-server this test starts with a user and password. A short
// run (500 ms windows); what is checked is that every system ran on those servers and what the
// run leaves there, not how fast anything was.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RetentionPolicy, StorageType, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { NatsServers } from '@zmq-mq/queue-store/testing/nats';
import type { ReliableRun } from '../src/reliable/run';

const ROOT = join(__dirname, '..', '..', '..');
const MAIN = join(ROOT, 'dist', 'tools', 'bench', 'main.js');
const BUILD_TIMEOUT_MS = 120_000;
/** The run takes about 30 s here (four runs, each a broker or stream set up and removed). */
const RUN_TIMEOUT_MS = 150_000;
const USER = 'bench';
const PASSWORD = 'pw-7f3a9c';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the bundled bench; a run past `timeoutMs` is stopped (SIGTERM stops its processes). */
function bench(args: string[], timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`the bench ran past ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run bench -- --reliable --store nats://…', () => {
  let nats: NatsServers | undefined;
  let out: string;

  beforeAll(() => {
    const r = spawnSync(process.execPath, [join(ROOT, 'tools', 'bench', 'build.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: BUILD_TIMEOUT_MS,
    });
    expect({ status: r.status, stderr: r.stderr }).toMatchObject({ status: 0 });
    out = mkdtempSync(join(tmpdir(), 'bench-store-run-'));
  });

  afterAll(async () => {
    await nats?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it('refuses --store without --reliable, or malformed, with one line and status 2', async () => {
    for (const [args, line] of [
      [['--store', 'nats://127.0.0.1:4222'], /^npm run bench: --store: only with --reliable/],
      [['--reliable', '--store', 'nats://127.0.0.1'], /^npm run bench: --store: must list NATS/],
    ] as const) {
      const r = await bench([...args], 30_000);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(line)]);
    }
  });

  it(
    'runs our broker on both stores and JetStream directly on those servers, then removes what it made',
    async () => {
      nats = await NatsServers.start(1, { auth: { user: USER, password: PASSWORD } });
      const url = nats.urls[0] as string;
      const admin = async <T>(use: (jsm: JetStreamManager) => Promise<T>): Promise<T> => {
        const nc = await connect({ servers: url, user: USER, pass: PASSWORD, reconnect: false });
        try {
          return await use(await jetstreamManager(nc));
        } finally {
          await nc.close();
        }
      };
      // What a run of fixed names would take for its own, or delete.
      await admin(async (jsm) => {
        await jsm.streams.add({
          name: 'bench',
          subjects: ['bench.>'],
          retention: RetentionPolicy.Workqueue,
          storage: StorageType.File,
        });
        const js = jsm.jetstream();
        for (let i = 0; i < 5; i++) await js.publish('bench.reliable', new Uint8Array(100));
      });

      const r = await bench(
        [
          '--reliable',
          '--store',
          url,
          '--nats-user',
          USER,
          '--nats-password',
          PASSWORD,
          '--quick',
          '--window',
          '500',
          '--out',
          out,
          '--name',
          'store-run',
        ],
        RUN_TIMEOUT_MS,
      );
      expect(r.stderr).toContain('wrote');
      expect(r.code).toBe(0);

      const json = readFileSync(join(out, 'store-run.json'), 'utf8');
      const md = readFileSync(join(out, 'store-run.md'), 'utf8');
      for (const text of [json, md, r.stdout, r.stderr]) expect(text).not.toContain(PASSWORD);
      const run = (JSON.parse(json) as { reliable: ReliableRun }).reliable;
      expect(run.nats).toMatchObject({ servers: [url], serverCount: 1, replicas: 1 });
      expect(run.failures).toEqual([]);
      expect(run.skipped).toEqual({});
      expect(run.left).toEqual([]);
      const cell = (driver: string) => run.cells.find((c) => c.driver === driver);
      expect(run.cells.map((c) => c.driver).sort()).toEqual([
        'jetstream-core',
        'jetstream-publish',
        'zmq-mq',
        'zmq-mq-jetstream',
      ]);
      for (const c of run.cells) {
        expect([c.lost, c.duplicates, c.errors, c.drainedFully]).toEqual([0, 0, 0, true]);
        expect(c.ackedPerSec).toBeGreaterThan(0);
      }
      // The broker on LMDB: every figure; on JetStream: its own CPU and RSS, no disk; JetStream
      // used directly: none, with the reason.
      expect(cell('zmq-mq')?.coverage.processes).toBe('server');
      expect(cell('zmq-mq')?.disk?.bytesPerMessage).not.toBeNull();
      expect(cell('zmq-mq-jetstream')).toMatchObject({ replicas: 1, disk: null });
      expect(cell('zmq-mq-jetstream')?.coverage.processes).toBe('broker');
      expect(cell('zmq-mq-jetstream')?.cpuUsPerMsg).toBeGreaterThan(0);
      expect(cell('jetstream-core')).toMatchObject({ replicas: 1, cpuUsPerMsg: null, disk: null });
      expect(md).toContain('Our broker on JetStream ÷ JetStream used directly (acked msg/s)');
      expect(md).toContain('Not measured: the NATS servers of --store');

      // Only what was there before is there after, untouched.
      const left = await admin(async (jsm) => {
        const streams: Array<[string, number]> = [];
        for await (const s of jsm.streams.list()) streams.push([s.config.name, s.state.messages]);
        return streams;
      });
      expect(left).toEqual([['bench', 5]]);
    },
    RUN_TIMEOUT_MS + 30_000,
  );
});
