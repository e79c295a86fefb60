import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { QueueSummary } from '@zmq-mq/protocol';
import { parseCli } from '../src/cli';
import { table } from '../src/queues';

function run(argv: string[], env: Record<string, string> = {}) {
  const r = parseCli(argv, env);
  if (r.kind !== 'run') throw new Error(`expected run, got exit ${r.code}: ${r.output}`);
  return r.options;
}

describe('queues command line', () => {
  it('reads each command, the monitor as host:port or a URL', () => {
    expect(run(['list'])).toEqual({
      monitor: 'http://127.0.0.1:9557',
      token: undefined,
      command: { kind: 'list', json: false },
    });
    expect(run(['--monitor', '127.0.0.1:9000', 'list', '--json']).monitor).toBe(
      'http://127.0.0.1:9000',
    );
    expect(run(['-m', 'http://[::1]:9000', 'purge', 'orders'])).toEqual({
      monitor: 'http://[::1]:9000',
      token: undefined,
      command: { kind: 'purge', queue: 'orders' },
    });
    expect(run(['dead', 'orders', '--limit', '5', '--after', '9']).command).toEqual({
      kind: 'dead',
      queue: 'orders',
      limit: 5,
      after: 9,
    });
    expect(run(['replay', 'orders']).command).toEqual({
      kind: 'replay',
      queue: 'orders',
      seqs: undefined,
    });
    expect(run(['replay', 'orders', '--seq', '3', '--seq', '7']).command).toMatchObject({
      seqs: [3, 7],
    });
  });

  it("reads the monitor's token from --token-file, else from ZMQMQ_MONITOR_TOKEN_FILE", () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-queues-cli-'));
    try {
      const file = join(dir, 'monitor.token');
      writeFileSync(file, '  0123456789abcdef0123  \nsecond line\n', { mode: 0o600 });
      const other = join(dir, 'other.token');
      writeFileSync(other, 'from-the-environment-1\n', { mode: 0o600 });
      expect(run(['--token-file', file, 'list']).token).toBe('0123456789abcdef0123');
      expect(run(['list'], { ZMQMQ_MONITOR_TOKEN_FILE: other }).token).toBe(
        'from-the-environment-1',
      );
      expect(run(['--token-file', file, 'list'], { ZMQMQ_MONITOR_TOKEN_FILE: other }).token).toBe(
        '0123456789abcdef0123',
      );
      const missing = parseCli(['--token-file', join(dir, 'nope'), 'list']);
      expect(missing).toMatchObject({ kind: 'exit', code: 2 });
      expect((missing as { output: string }).output).toMatch(/^zmq-mq-queues: --token-file/);
      const blank = join(dir, 'blank.token');
      writeFileSync(blank, '\n', { mode: 0o600 });
      expect(parseCli(['list'], { ZMQMQ_MONITOR_TOKEN_FILE: blank })).toMatchObject({
        kind: 'exit',
        code: 2,
        output: expect.stringMatching(/ZMQMQ_MONITOR_TOKEN_FILE.*first line/),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [[], 'zmq-mq-queues: a command is required: list, dead, replay or purge'],
    [['dead'], "zmq-mq-queues: missing required argument 'queue'"],
    [
      ['purge', 'a b'],
      'zmq-mq-queues: queue: must be a queue name: 1..64 of A-Z a-z 0-9 . _ - (got "a b")',
    ],
    [['dead', 'q', '--limit', '0'], 'zmq-mq-queues: --limit: must be an integer >= 1 (got "0")'],
    [
      ['-m', 'nowhere', 'list'],
      'zmq-mq-queues: --monitor: must be the broker\'s monitor, host:port or http://host:port (got "nowhere")',
    ],
    [['drop', 'q'], "zmq-mq-queues: unknown command 'drop'"],
  ])('exits 2 for %j with one line', (argv, line) => {
    expect(parseCli(argv)).toEqual({ kind: 'exit', code: 2, output: line });
  });

  it('prints help', () => {
    const r = parseCli(['--help']);
    expect(r).toMatchObject({ kind: 'exit', code: 0 });
    if (r.kind === 'exit') expect(r.output).toMatch(/list[\s\S]*dead[\s\S]*replay[\s\S]*purge/);
  });
});

describe('the queues table', () => {
  it('has a line per queue, columns aligned', () => {
    const counters = {
      published: 100,
      confirmed: 0,
      duplicates: 0,
      rejected: 0,
      droppedOldest: 0,
      delivered: 87,
      acked: 84,
      nacked: 0,
      redelivered: 0,
      expired: 0,
      deadLettered: 1,
      deadDropped: 0,
      replayed: 0,
      purged: 0,
    };
    const q: Omit<QueueSummary, 'name'> = {
      prefixes: ['orders.'],
      maxMessages: 1_000_000,
      maxBytes: 1024 ** 3,
      maxAgeMs: 0,
      overflow: 'reject',
      maxDeadMessages: 10_000,
      depth: 12,
      unacked: 3,
      delayed: 0,
      messages: 15,
      bytes: 1500,
      dead: 1,
      oldestAgeMs: 1500,
      counters,
      consumers: [{ session: 's1', credit: 10, unacked: 3, ackWaitMs: 30_000 }],
    };
    expect(
      table([
        { ...q, name: 'orders' },
        { ...q, name: 'all', prefixes: [''], oldestAgeMs: 0 },
      ]),
    ).toBe(
      [
        'queue   depth  unacked  delayed  dead  consumers  published  acked  oldest  prefixes',
        'orders  12     3        0        1     1          100        84     1.5s    orders.',
        'all     12     3        0        1     1          100        84     -       (all)',
        '',
      ].join('\n'),
    );
    expect(table([])).toBe('no durable queues\n');
  });
});
