import { parseCli } from '../src/cli';

describe('broker command line', () => {
  it('runs on the defaults with no flags and no environment', () => {
    const r = parseCli([], {});
    expect(r.kind).toBe('run');
    if (r.kind === 'run') {
      expect(r.options.ingress).toBe('tcp://127.0.0.1:5555');
      expect(r.options.monitor).toEqual({ host: '127.0.0.1', port: 9557 });
    }
  });

  it('takes every option from its flag or its environment variable; flags win', () => {
    const r = parseCli(
      ['--publish', 'tcp://127.0.0.1:7001', '--push-policy', 'drop-oldest', '--monitor', 'off'],
      {
        ZMQMQ_PUBLISH: 'tcp://127.0.0.1:9999',
        ZMQMQ_INGRESS: 'tcp://127.0.0.1:7000',
        ZMQMQ_QUEUE_MAX_BYTES: '1MiB',
        ZMQMQ_DRAIN_TIMEOUT: '2s',
      },
    );
    expect(r).toMatchObject({
      kind: 'run',
      options: {
        ingress: 'tcp://127.0.0.1:7000',
        publish: 'tcp://127.0.0.1:7001',
        pushPolicy: 'drop-oldest',
        queueMaxBytes: 1024 * 1024,
        drainTimeoutMs: 2000,
        monitor: null,
      },
    });
  });

  it('takes durable queues from repeated --queue flags or from ZMQMQ_QUEUE, limits included', () => {
    const r = parseCli(
      [
        '--queue',
        'orders=orders.,billing.',
        '--queue',
        'audit=;max-messages=500;max-bytes=1MiB;max-age=1m;overflow=drop-oldest;max-dead=7',
        '--ack-wait',
        '5s',
        '--max-deliveries',
        '3',
        '--dedup-window',
        '30s',
        '--store',
        'memory',
      ],
      { ZMQMQ_QUEUE: 'ignored=x' },
    );
    expect(r).toMatchObject({
      kind: 'run',
      options: {
        reliable: 'tcp://127.0.0.1:5558',
        store: 'memory',
        ackWaitMs: 5000,
        maxDeliveries: 3,
        dedupWindowMs: 30_000,
        queues: [
          { name: 'orders', prefixes: ['orders.', 'billing.'], maxMessages: 1_000_000 },
          {
            name: 'audit',
            prefixes: [''],
            maxMessages: 500,
            maxBytes: 1024 * 1024,
            maxAgeMs: 60_000,
            overflow: 'drop-oldest',
            maxDeadMessages: 7,
          },
        ],
      },
    });
    const env = parseCli([], { ZMQMQ_QUEUE: 'a=a. b=b.;max-messages=2', ZMQMQ_RELIABLE: 'off' });
    expect(env).toEqual({
      kind: 'exit',
      code: 2,
      output:
        'zmq-mq-broker: ZMQMQ_QUEUE: needs the reliable port, which ZMQMQ_RELIABLE off turns off: nothing could consume the queue (got "a=a. b=b.;max-messages=2")',
    });
    const both = parseCli([], { ZMQMQ_QUEUE: 'a=a. b=b.;max-messages=2' });
    expect(both.kind === 'run' && both.options.queues.map((q) => [q.name, q.maxMessages])).toEqual([
      ['a', 1_000_000],
      ['b', 2],
    ]);
    expect(parseCli(['--reliable', 'off'], {})).toMatchObject({ options: { reliable: null } });
  });

  it.each([
    [
      ['--queue', 'orders'],
      {},
      'zmq-mq-broker: --queue: must be NAME=PREFIX[,PREFIX...][;key=value...] (got "orders")',
    ],
    [
      ['--queue', 'orders=o.;max-msgs=5'],
      {},
      'zmq-mq-broker: --queue: has an unknown setting "max-msgs": use max-messages, max-bytes, max-age, overflow, max-dead (got "orders=o.;max-msgs=5")',
    ],
    [
      ['--queue', 'a=x', '--queue', 'a=y'],
      {},
      'zmq-mq-broker: --queue: declares queue a a second time (got "a=y")',
    ],
    [
      ['--queue', 'o=o.', '--push-format', 'full'],
      {},
      'zmq-mq-broker: --queue: cannot be used with --push-format full: in native mode no JavaScript sees plain-ingress messages, so none would reach the queue; queues declared with DECLARE take confirmed publishes only there (got ["o=o."])',
    ],
    [
      ['--max-deliveries', '251'],
      {},
      'zmq-mq-broker: --max-deliveries: must be a whole number 1..250 (got "251")',
    ],
    [
      ['--reliable', 'tcp://127.0.0.1:5555'],
      {},
      'zmq-mq-broker: --reliable: must differ from --ingress (got "tcp://127.0.0.1:5555")',
    ],
    [
      ['--store', 'disk'],
      {},
      'zmq-mq-broker: --store: must be lmdb, memory or nats://HOST:PORT[,HOST:PORT...] (got "disk")',
    ],
    [
      ['--store', 'nats://me:secret@10.0.0.1:4222'],
      {},
      'zmq-mq-broker: --store: must list NATS servers as nats://HOST:PORT[,HOST:PORT...], without user or password (use --nats-user and --nats-password or --nats-creds) (got "nats://***@10.0.0.1:4222")',
    ],
    [
      ['--nats-user', 'me'],
      { ZMQMQ_NATS_PASSWORD: 'secret' },
      'zmq-mq-broker: --nats-user: needs --store nats://HOST:PORT (got "me")',
    ],
    [
      ['--store', 'nats://10.0.0.1:4222', '--nats-user', 'me'],
      {},
      'zmq-mq-broker: --nats-password: must be given with --nats-user (got undefined)',
    ],
    [
      ['--store', 'nats://10.0.0.1:4222', '--nats-replicas', '7'],
      {},
      'zmq-mq-broker: --nats-replicas: must be a whole number 1..5 or auto (got "7")',
    ],
    [
      ['--store', 'nats://10.0.0.1:4222', '--dedup-window', '50ms'],
      {},
      'zmq-mq-broker: --dedup-window: must be at least 100ms with a JetStream store (JetStream\'s shortest duplicate window) (got "50ms")',
    ],
    [
      ['--queue-max-messages', '0'],
      {},
      'zmq-mq-broker: --queue-max-messages: must be a whole number 1..2147483647 (got "0")',
    ],
    [
      ['--push-policy', 'keep'],
      {},
      'zmq-mq-broker: --push-policy: must be one of drop-newest, drop-oldest, drop (got "keep")',
    ],
    [
      [],
      { ZMQMQ_PUBLISH_HWM: 'lots' },
      'zmq-mq-broker: ZMQMQ_PUBLISH_HWM: must be a whole number 0..2147483647 (0 means unlimited) (got "lots")',
    ],
    [['--bogus'], {}, "zmq-mq-broker: unknown option '--bogus'"],
    [['--ingress'], {}, "zmq-mq-broker: option '--ingress <endpoint>' argument missing"],
    [['extra'], {}, 'zmq-mq-broker: too many arguments. Expected 0 arguments but got 1.'],
  ])('exits 2 with one line for %j %j', (argv, env, line) => {
    const r = parseCli(argv, env);
    expect(r).toEqual({ kind: 'exit', code: 2, output: line });
  });

  it('prints help listing every flag and its variable', () => {
    const r = parseCli(['--help'], {});
    expect(r.kind).toBe('exit');
    if (r.kind === 'exit') {
      expect(r.code).toBe(0);
      for (const flag of [
        '--ingress',
        '--publish',
        '--push',
        '--queue-max-messages',
        '--queue-max-bytes',
        '--push-policy',
        '--publish-hwm',
        '--max-message-bytes',
        '--drain-timeout',
        '--monitor',
        '--log-level',
        'ZMQMQ_INGRESS',
      ]) {
        expect(r.output).toContain(flag);
      }
    }
  });

  it('takes --insecure as a switch, and ZMQMQ_INSECURE as true, 1, false or 0', () => {
    const exposed = ['--ingress', 'tcp://0.0.0.0:5555'];
    expect(parseCli([...exposed, '--insecure'], {})).toMatchObject({
      kind: 'run',
      options: { insecure: true, ingress: 'tcp://0.0.0.0:5555' },
    });
    expect(parseCli(exposed, { ZMQMQ_INSECURE: '1' })).toMatchObject({ kind: 'run' });
    const refused = parseCli(exposed, { ZMQMQ_INSECURE: '0' });
    expect(refused).toMatchObject({ kind: 'exit', code: 2 });
    if (refused.kind === 'exit') {
      expect(refused.output).toMatch(
        /^zmq-mq-broker: --ingress: is reachable beyond this machine.*ZMQMQ_INSECURE to bind it as it is \(got "tcp:\/\/0\.0\.0\.0:5555"\)$/,
      );
      expect(refused.output.split('\n')).toHaveLength(1);
    }
  });

  it('exits 2 for an allowlist without CURVE, and for a monitor beyond loopback without a token', () => {
    expect(parseCli(['--allow-workers', 'w.keys'], {})).toMatchObject({ kind: 'exit', code: 2 });
    expect(parseCli(['--monitor', '0.0.0.0:9557'], {})).toMatchObject({
      kind: 'exit',
      code: 2,
      output: expect.stringMatching(/give --monitor-token-file/),
    });
  });

  it('reads keygen --out NAME, and says what is missing', () => {
    expect(parseCli(['keygen', '--out', 'keys/alice'], {})).toEqual({
      kind: 'keygen',
      out: 'keys/alice',
    });
    expect(parseCli(['keygen'], {})).toEqual({
      kind: 'exit',
      code: 2,
      output: "zmq-mq-broker keygen: required option '-o, --out <name>' not specified",
    });
    const help = parseCli(['keygen', '--help'], {});
    expect(help).toMatchObject({ kind: 'exit', code: 0 });
    if (help.kind === 'exit') expect(help.output).toMatch(/NAME\.key \(the secret, mode 0600/);
  });
});
