import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPairFiles, type WrittenKeyPair } from '@zmq-mq/protocol';
import { parseCli } from '../src/cli';

function run(argv: string[]) {
  const r = parseCli(argv);
  if (r.kind !== 'run') throw new Error(`expected run, got exit ${r.code}: ${r.output}`);
  return r.options;
}

describe('consumer command line', () => {
  it('sub: publish endpoint, every topic, raw codec for bare frames by default', () => {
    expect(run(['sub'])).toEqual({
      mode: 'sub',
      connect: ['tcp://127.0.0.1:5556'],
      prefixes: [''],
      exact: [],
      codec: 'raw',
      raw: false,
      count: undefined,
      pushFormat: 'payload',
      readyTimeoutMs: 10000,
      curve: {},
      queue: '',
      bind: [],
      ackWaitMs: undefined,
      credit: 100,
    });
    expect(run(['sub', '--topic', 'orders.', '-t', 'audit', '-n', '3', '--raw'])).toMatchObject({
      prefixes: ['orders.', 'audit'],
      count: 3,
      raw: true,
    });
  });

  it('sub --exact: exact topics only, or beside prefixes', () => {
    expect(run(['sub', '--exact', 'orders', '-e', 'audit.line'])).toMatchObject({
      prefixes: [],
      exact: ['orders', 'audit.line'],
    });
    expect(run(['sub', '-t', 'orders.', '-e', 'audit'])).toMatchObject({
      prefixes: ['orders.'],
      exact: ['audit'],
    });
  });

  it.each([[['help']], [['help', 'sub']], [['sub', '--help']], [['--help']]])(
    '%j prints help and exits 0',
    (argv) => {
      const r = parseCli(argv);
      expect(r).toMatchObject({ kind: 'exit', code: 0 });
      if (r.kind !== 'exit') return;
      expect(r.output).toMatch(/^Usage: zmq-mq-consume/);
      if (argv.includes('sub')) expect(r.output).toMatch(/--exact <topic>/);
    },
  );

  it('--ready-timeout: how long before it says it has no link yet', () => {
    expect(run(['sub', '--ready-timeout', '500'])).toMatchObject({ readyTimeoutMs: 500 });
    expect(run(['pull', '--ready-timeout', '0'])).toMatchObject({ readyTimeoutMs: 0 });
  });

  it('queue NAME: the reliable endpoint, --bind prefixes to declare, --ack-wait, --credit', () => {
    expect(run(['queue', 'orders'])).toMatchObject({
      mode: 'queue',
      queue: 'orders',
      connect: ['tcp://127.0.0.1:5558'],
      bind: [],
      ackWaitMs: undefined,
      credit: 100,
      codec: 'raw',
    });
    expect(
      run([
        'queue',
        'jobs',
        '--bind',
        'jobs.',
        '-b',
        'tasks.',
        '--ack-wait',
        '45s',
        '--credit',
        '5',
        '--count',
        '3',
        '-c',
        'tcp://127.0.0.1:6000',
      ]),
    ).toMatchObject({
      queue: 'jobs',
      bind: ['jobs.', 'tasks.'],
      ackWaitMs: 45_000,
      credit: 5,
      count: 3,
      connect: ['tcp://127.0.0.1:6000'],
    });
  });

  it.each([
    [['queue'], /^zmq-mq-consume: missing required argument 'name'/],
    [['queue', 'a b'], /^zmq-mq-consume: queue: must be a queue name/],
    [['queue', 'q', '--ack-wait', 'soon'], /^zmq-mq-consume: --ack-wait: must be a duration/],
    [['queue', 'q', '--credit', '0'], /^zmq-mq-consume: --credit: must be an integer 1\.\.65535/],
    [['queue', 'q', '--bind', 'a b'], /^zmq-mq-consume: --bind: /],
    [
      ['queue', 'q', '-c', 'tcp://127.0.0.1:1', '-c', 'tcp://127.0.0.1:2'],
      /^zmq-mq-consume: --connect: takes one reliable endpoint for a queue/,
    ],
  ])('queue: rejects %j with exit status 2', (argv, message) => {
    const r = parseCli(argv);
    expect(r).toMatchObject({ kind: 'exit', code: 2 });
    if (r.kind === 'exit') expect(r.output).toMatch(message);
  });

  it('pull: push endpoint, repeated --connect, codec and push format', () => {
    expect(
      run([
        'pull',
        '-c',
        'tcp://127.0.0.1:1',
        '-c',
        'ipc:///tmp/x',
        '--codec',
        'json',
        '--push-format',
        'full',
      ]),
    ).toMatchObject({
      mode: 'pull',
      connect: ['tcp://127.0.0.1:1', 'ipc:///tmp/x'],
      codec: 'json',
      pushFormat: 'full',
    });
  });

  it.each([
    [[], /^zmq-mq-consume: a command is required: sub, pull or queue$/],
    [['push'], /^zmq-mq-consume: unknown command 'push'/],
    [['sub', '--count', '0'], /^zmq-mq-consume: --count: must be an integer >= 1 \(got "0"\)$/],
    [['sub', '--topic', 'a b'], /^zmq-mq-consume: --topic: [^"]*space[^"]* \(got "a b"\)$/],
    [['sub', '--exact', 'orders '], /^zmq-mq-consume: --exact: [^"]*space[^"]* \(got "orders "\)$/],
    [['sub', '--exact', ''], /^zmq-mq-consume: --exact: must not be empty \(got ""\)$/],
    [
      ['sub', '--ready-timeout', 'soon'],
      /^zmq-mq-consume: --ready-timeout: must be an integer 0\.\.2147483647 \(got "soon"\)$/,
    ],
    [['pull', '--topic', 'a'], /^zmq-mq-consume: unknown option '--topic'/],
    [
      ['pull', '--codec', 'xml'],
      /^zmq-mq-consume: option '--codec <codec>' argument 'xml' is invalid/,
    ],
    [['sub', '-c', 'nowhere'], /^zmq-mq-consume: --connect: must be a ZeroMQ endpoint/],
  ])('rejects %j with exit status 2 and one line', (argv, message) => {
    const r = parseCli(argv);
    expect(r).toMatchObject({ kind: 'exit', code: 2 });
    if (r.kind !== 'exit') return;
    expect(r.output).toMatch(message);
    expect(r.output.trim().split('\n')).toHaveLength(1);
  });

  describe('CURVE flags', () => {
    let dir: string;
    let broker: WrittenKeyPair;
    let me: WrittenKeyPair;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'zmqmq-consume-keys-'));
      broker = writeKeyPairFiles(join(dir, 'broker'));
      me = writeKeyPairFiles(join(dir, 'me'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads --server-key (a .pub) and takes --key (a .key) for the SDK', () => {
      expect(
        run(['pull', '--server-key', broker.publicPath, '--key', me.secretPath]).curve,
      ).toEqual({ serverKey: broker.publicKey, keyFile: me.secretPath });
    });

    it('takes one --server-key per --connect, in its order, for brokers with keys of their own', () => {
      const other = writeKeyPairFiles(join(dir, 'other'));
      const flags = [
        ...['-c', 'tcp://127.0.0.1:5556', '--server-key', broker.publicPath],
        ...['-c', 'tcp://127.0.0.1:6556', '--server-key', other.publicPath],
        ...['--key', me.secretPath],
      ];
      expect(run(['sub', ...flags]).curve).toEqual({
        serverKey: [broker.publicKey, other.publicKey],
        keyFile: me.secretPath,
      });
    });

    it.each([
      [['--server-key', 'BROKER'], /^zmq-mq-consume: --server-key: needs --key too/],
      [['--key', 'ME'], /^zmq-mq-consume: --key: needs --server-key too/],
      [
        ['--server-key', 'ME', '--key', 'ME'],
        /^zmq-mq-consume: --server-key: line 5: "metadata" a CURVE key is/,
      ],
      [
        ['--server-key', 'BROKER', '--key', 'BROKERPUB'],
        /^zmq-mq-consume: --key: has no secret-key line/,
      ],
      [
        ['--server-key', 'BROKER', '--server-key', 'BROKER', '--key', 'ME'],
        /^zmq-mq-consume: --server-key: takes one file, or one per --connect endpoint in its order \(1\)/,
      ],
    ])('exits 2 naming the flag for %j', (flags, line) => {
      const files: Record<string, string> = {
        BROKER: broker.publicPath,
        BROKERPUB: broker.publicPath,
        ME: me.secretPath,
      };
      const r = parseCli(['sub', ...flags.map((f) => files[f] ?? f)]);
      expect(r).toMatchObject({ kind: 'exit', code: 2 });
      if (r.kind === 'exit') expect(r.output).toMatch(line);
    });
  });
});
