import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { join } from 'node:path';
import { LOG_BUFFER_MAX_BYTES } from '../src/logger';

// A child process whose only libuv thread is busy (a long pbkdf2): an asynchronous write to
// stdout waits behind it. It logs two lines through createLogger(), flushes and exits, as the
// broker app does after its last line. Both must come out, in order: exiting without the flush,
// the second came first.
const CHILD = `
require(process.env.TS_NODE_PATH).register({ transpileOnly: true, project: process.env.TS_PROJECT });
const { createLogger, flushLogger } = require(process.env.LOGGER_PATH);
require('node:crypto').pbkdf2('x', 'y', 2000000, 64, 'sha512', () => {});
const log = createLogger('info');
log.warn('work messages left undelivered at shutdown');
log.info('broker stopped');
flushLogger(log, 15000).then(() => process.exit(0));
`;

// A child whose stdout is a pipe nobody reads: 1 MB of log lines cannot all be written. Its
// flush gives up after 300 ms and it exits; without letting go of the buffered lines, pino's
// exit hook wrote them synchronously and the process never ended. A second flush after that
// resolves at once (it used to wait its whole timeout).
const STALLED_CHILD = `
require(process.env.TS_NODE_PATH).register({ transpileOnly: true, project: process.env.TS_PROJECT });
const { createLogger, flushLogger } = require(process.env.LOGGER_PATH);
const log = createLogger('info');
const pad = 'x'.repeat(500);
for (let i = 0; i < 2000; i++) log.info({ i, pad }, 'filler');
flushLogger(log, 300)
  .then(() => { log.info('after the flush gave up'); })
  // a second flush (a second signal's abort) has nothing left to wait for: not its 60 s
  .then(() => flushLogger(log, 60000))
  .then(() => process.exit(0));
`;

// Like STALLED_CHILD, but it does not call process.exit() (a library's Broker.stop() resolved):
// once its reader comes back it must end on its own, not loop on writes for ever.
const GIVES_UP_AND_GOES_ON_CHILD = `
require(process.env.TS_NODE_PATH).register({ transpileOnly: true, project: process.env.TS_PROJECT });
const { createLogger, flushLogger } = require(process.env.LOGGER_PATH);
const log = createLogger('info');
const pad = 'x'.repeat(500);
for (let i = 0; i < 2000; i++) log.info({ i, pad }, 'filler');
flushLogger(log, 300).then(() => process.stderr.write('gave up\\n'));
`;

// A child that logs `fill` (a loop of log calls) while its stdout's reader is paused, says
// 'logged' on stderr, and on a line on stdin logs 'done', flushes and exits.
const slowReaderChild = (fill: string): string => `
require(process.env.TS_NODE_PATH).register({ transpileOnly: true, project: process.env.TS_PROJECT });
const { createLogger, flushLogger } = require(process.env.LOGGER_PATH);
const log = createLogger('info');
const pad = 'x'.repeat(500);
${fill}
process.stderr.write('logged\\n');
process.stdin.once('data', () => {
  log.info('done');
  flushLogger(log, 10000).then(() => process.exit(0));
});
`;

// 20 MB: the logger keeps at most LOG_BUFFER_MAX_BYTES, drops the rest and, once the reader
// takes lines again, says how many.
const SLOW_READER_CHILD = slowReaderChild(
  `for (let i = 0; i < 40000; i++) log.info({ i, pad }, 'filler');`,
);

// Then tiny lines pack the buffer to within a few bytes of its bound, so that the note counting
// the drops does not fit either when the reader first takes lines.
const PACKED_CHILD = slowReaderChild(`
for (let i = 0; i < 20000; i++) log.info({ i, pad }, 'filler');
for (let i = 0; i < 200; i++) log.info('filler');`);

interface LogLine {
  msg: string;
  i?: number;
  droppedLines?: number;
}

/** Waits for the child's 'logged', then reads its stdout to its close after 'go'. */
async function readAfterGo(
  child: ChildProcess,
  deadline: Promise<'timed out'>,
): Promise<LogLine[]> {
  const out: Buffer[] = [];
  const logged = new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
  // 'close', not 'exit': every line the child wrote has been read by then
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  expect(await Promise.race([logged.then(() => 'logged'), deadline])).toBe('logged');
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stdout!.resume();
  child.stdin!.write('go\n');
  expect(await Promise.race([closed, deadline])).toBe(0);
  return Buffer.concat(out)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as LogLine);
}

const childEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  TS_NODE_PATH: require.resolve('ts-node'),
  TS_PROJECT: join(__dirname, '..', 'tsconfig.json'),
  LOGGER_PATH: join(__dirname, '..', 'src', 'logger.ts'),
});

/**
 * Runs `body` against a child running `code` whose stdout nobody reads until `body` resumes it,
 * with `deadline` resolving 'timed out' after `ms`; kills the child if it is still running.
 */
async function withChild(
  code: string,
  stdio: StdioOptions,
  ms: number,
  body: (child: ChildProcess, deadline: Promise<'timed out'>) => Promise<void>,
): Promise<void> {
  const child = spawn(process.execPath, ['-e', code], { env: childEnv(), stdio });
  child.stdout!.pause();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timed out'>((resolve) => {
    timer = setTimeout(() => resolve('timed out'), ms);
  });
  try {
    await body(child, deadline);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    child.stdout!.destroy();
  }
}

describe('createLogger', () => {
  it('flushLogger lets lines logged just before process.exit() come out in order', () => {
    const r = spawnSync(process.execPath, ['-e', CHILD], {
      env: { ...childEnv(), UV_THREADPOOL_SIZE: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    const msgs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['work messages left undelivered at shutdown', 'broker stopped']);
  });

  it('a process exits after flushLogger gives up on a stdout nobody reads', async () => {
    await withChild(
      STALLED_CHILD,
      ['ignore', 'pipe', 'inherit'],
      20_000,
      async (child, deadline) => {
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        expect(await Promise.race([exited, deadline])).toBe(0);
      },
    );
  }, 30_000);

  it('a process that goes on after flushLogger gave up ends once its reader comes back', async () => {
    await withChild(
      GIVES_UP_AND_GOES_ON_CHILD,
      ['ignore', 'pipe', 'pipe'],
      20_000,
      async (child, deadline) => {
        const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
        const gaveUp = new Promise<void>((resolve) => child.stderr!.once('data', () => resolve()));
        expect(await Promise.race([gaveUp.then(() => 'gave up'), deadline])).toBe('gave up');
        child.stdout!.on('data', () => undefined);
        child.stdout!.resume();
        expect(await Promise.race([exited, deadline])).toBe(0);
      },
    );
  }, 30_000);

  it('keeps a bounded buffer for a slow stdout reader and counts the lines it dropped', async () => {
    await withChild(SLOW_READER_CHILD, 'pipe', 40_000, async (child, deadline) => {
      const lines = await readAfterGo(child, deadline);
      const fillers = lines.filter((l) => l.msg === 'filler');
      const notes = lines.filter((l) => l.droppedLines !== undefined);
      const lineBytes = Buffer.byteLength(JSON.stringify(lines[0])) + 1;
      // At most the buffer's worth (plus what the pipe and the reader held) was kept ...
      expect(fillers.length * lineBytes).toBeLessThan(LOG_BUFFER_MAX_BYTES + 1024 * 1024);
      // ... and every line is written or counted, once.
      const counted = notes.reduce((n, l) => n + l.droppedLines!, 0);
      expect(fillers.length + counted).toBe(40_000);
      expect(notes[0]!.msg).toBe('log lines dropped: stdout took them too slowly');
      expect(lines[lines.length - 1]!.msg).toBe('done');
    });
  }, 60_000);

  it('counts the dropped lines even when the first note about them is dropped too', async () => {
    await withChild(PACKED_CHILD, 'pipe', 40_000, async (child, deadline) => {
      const lines = await readAfterGo(child, deadline);
      const fillers = lines.filter((l) => l.msg === 'filler').length;
      const counted = lines.reduce((n, l) => n + (l.droppedLines ?? 0), 0);
      expect(fillers).toBeLessThan(20_200);
      expect(fillers + counted).toBe(20_200);
    });
  }, 60_000);
});
