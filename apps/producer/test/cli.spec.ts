import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKeyPairFiles } from '@zmq-mq/protocol';
import { parseCli } from '../src/cli';

function run(argv: string[]) {
  const r = parseCli(argv);
  if (r.kind !== 'run') throw new Error(`expected run, got exit ${r.code}: ${r.output}`);
  return r.options;
}

describe('producer command line', () => {
  it('runs the demo with no message arguments: topic abc, raw bytes, one per second', () => {
    expect(run([])).toMatchObject({
      mode: 'demo',
      topic: 'abc',
      codec: 'raw',
      intervalMs: 1000,
      verbose: true,
      count: undefined,
      connect: ['tcp://127.0.0.1:5555'],
      metadata: true,
    });
  });

  it('takes a topic, JSON messages, count, rate, codec and repeated --connect', () => {
    const o = run([
      '-t',
      'orders.created',
      '{"id":1}',
      '2',
      '--count',
      '5',
      '--rate',
      '20',
      '--codec',
      'msgpack',
      '-c',
      'tcp://127.0.0.1:1',
      '-c',
      'tcp://127.0.0.1:2',
      '--no-metadata',
    ]);
    expect(o).toMatchObject({
      mode: 'args',
      topic: 'orders.created',
      messages: ['{"id":1}', '2'],
      count: 5,
      intervalMs: 50,
      codec: 'msgpack',
      connect: ['tcp://127.0.0.1:1', 'tcp://127.0.0.1:2'],
      metadata: false,
      verbose: false,
    });
    expect(run(['-t', 'x', '-'])).toMatchObject({ mode: 'stdin', codec: 'json', intervalMs: 0 });
    expect(run(['--codec', 'raw', 'not json'])).toMatchObject({ codec: 'raw' });
  });

  it('--confirm publishes on the reliable port: one endpoint, by default 127.0.0.1:5558', () => {
    expect(run(['--confirm', '-t', 'orders.new', '-'])).toMatchObject({
      confirm: true,
      mode: 'stdin',
      connect: ['tcp://127.0.0.1:5558'],
    });
    expect(run(['-t', 'x', '1'])).toMatchObject({ confirm: false });
  });

  it.each([
    [
      ['--confirm', '-c', 'tcp://127.0.0.1:1', '-c', 'tcp://127.0.0.1:2'],
      /^zmq-mq-produce: --connect: takes one reliable endpoint with --confirm/,
    ],
    [['--count', '-1'], /^zmq-mq-produce: .*--count/],
    [['--count', 'x'], /^zmq-mq-produce: --count: must be an integer >= 0 \(got "x"\)$/],
    [['--rate', '0'], /^zmq-mq-produce: --rate: must be an integer >= 1/],
    [
      ['--interval', '3000000000'],
      /^zmq-mq-produce: --interval: must be an integer 0\.\.2147483647/,
    ],
    [
      ['--rate', '5', '--interval', '3'],
      /^zmq-mq-produce: --rate: cannot be combined with --interval/,
    ],
    [['--codec', 'yaml'], /^zmq-mq-produce: option '--codec <codec>' argument 'yaml' is invalid/],
    [['-t', 'a b', '1'], /^zmq-mq-produce: --topic: must not contain a space.* \(got "a b"\)$/],
    [
      ['-t', 'a', 'not json'],
      /^zmq-mq-produce: message 1: is not JSON text \(Unexpected token 'o'\); use --codec raw .* \(got "not json"\)$/,
    ],
    [['-c', 'localhost:5555'], /^zmq-mq-produce: --connect: must be a ZeroMQ endpoint/],
    [['--bogus'], /^zmq-mq-produce: unknown option '--bogus'/],
    [['a', '-'], /^zmq-mq-produce: message: standard input must be the only .* \(got "-"\)$/],
  ])('rejects %j with exit status 2 and one line naming the option', (argv, message) => {
    const r = parseCli(argv);
    expect(r.kind).toBe('exit');
    if (r.kind !== 'exit') return;
    expect(r.code).toBe(2);
    expect(r.output).toMatch(message);
    expect(r.output.trim().split('\n')).toHaveLength(1);
  });

  it.each([
    [['--count', 'x'], 'x'],
    [['-t', 'a b', '1'], 'a b'],
    [['-t', 'bad\ttopic', '1'], 'bad\ttopic'],
    [['-t', 'a', 'notjson'], 'notjson'],
    [['-t', 'a', `x${'y'.repeat(60)}`], `x${'y'.repeat(60)}`],
    [['-c', 'nowhere', '1'], 'nowhere'],
    [['a', '-'], '-'],
  ])('quotes the bad value of %j once', (argv, value) => {
    const r = parseCli(argv);
    expect(r).toMatchObject({ kind: 'exit', code: 2 });
    const output = r.kind === 'exit' ? r.output : '';
    expect(output.split(JSON.stringify(value)).length - 1).toBe(1);
  });

  it('prints help with exit status 0', () => {
    const r = parseCli(['--help']);
    expect(r).toMatchObject({ kind: 'exit', code: 0 });
    expect(r.kind === 'exit' && r.output).toMatch(/--connect <endpoint>/);
  });

  it('takes --server-key and --key for CURVE, both or neither', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zmqmq-produce-keys-'));
    try {
      const broker = writeKeyPairFiles(join(dir, 'broker'));
      const me = writeKeyPairFiles(join(dir, 'me'));
      expect(run([]).curve).toEqual({});
      expect(run(['--server-key', broker.publicPath, '--key', me.secretPath]).curve).toEqual({
        serverKey: broker.publicKey,
        keyFile: me.secretPath,
      });
      expect(parseCli(['--key', me.secretPath])).toEqual({
        kind: 'exit',
        code: 2,
        output: `zmq-mq-produce: --key: needs --server-key too (the broker's .pub file) (got ${JSON.stringify(me.secretPath)})`,
      });
      // Two brokers with keys of their own: one --server-key per --connect, in its order.
      const other = writeKeyPairFiles(join(dir, 'other'));
      const both = ['-c', 'tcp://127.0.0.1:5555', '-c', 'tcp://127.0.0.1:6555'];
      const keys = ['--server-key', broker.publicPath, '--server-key', other.publicPath];
      expect(run([...both, ...keys, '--key', me.secretPath]).curve).toEqual({
        serverKey: [broker.publicKey, other.publicKey],
        keyFile: me.secretPath,
      });
      // One key for both still works; two keys for one endpoint do not.
      expect(
        run([...both, '--server-key', broker.publicPath, '--key', me.secretPath]).curve,
      ).toEqual({ serverKey: broker.publicKey, keyFile: me.secretPath });
      expect(parseCli([...keys, '--key', me.secretPath])).toEqual({
        kind: 'exit',
        code: 2,
        output: `zmq-mq-produce: --server-key: takes one file, or one per --connect endpoint in its order (1) (got ${JSON.stringify(`${broker.publicPath}, ${other.publicPath}`)})`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
