import fc from 'fast-check';
import { MAX_INT32 } from '@zmq-mq/protocol';
import {
  DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES,
  DEFAULT_PUSH_SEND_BUFFER_BYTES,
  defaultBrokerOptions,
  formatBytes,
  formatDuration,
  isExposedEndpoint,
  parseBrokerOptions,
  parseBytes,
  parseDuration,
  parseEndpoint,
  parseMonitor,
} from '../src';
import { optionProblem } from '@zmq-mq/protocol/testing';

describe('broker options', () => {
  it('defaults to the original design endpoints on loopback, bounded', () => {
    const o = parseBrokerOptions();
    expect(o).toEqual(defaultBrokerOptions());
    expect(o).toMatchObject({
      ingress: 'tcp://127.0.0.1:5555',
      publish: 'tcp://127.0.0.1:5556',
      push: 'tcp://127.0.0.1:5557',
      pushPolicy: 'drop-newest',
      pushFormat: 'payload',
      monitor: { host: '127.0.0.1', port: 9557 },
      drainTimeoutMs: 5000,
    });
    expect(o.publishHwm).toBeGreaterThan(0);
    expect(o.ingressHwm).toBe(1000);
    expect(o.queueMaxMessages).toBeGreaterThan(0);
  });

  it('gives native mode a larger push send buffer unless one is set', () => {
    expect(parseBrokerOptions().pushSendBufferBytes).toBe(DEFAULT_PUSH_SEND_BUFFER_BYTES);
    expect(parseBrokerOptions({ pushFormat: 'full' }).pushSendBufferBytes).toBe(
      DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES,
    );
    expect(DEFAULT_NATIVE_PUSH_SEND_BUFFER_BYTES).toBeGreaterThan(DEFAULT_PUSH_SEND_BUFFER_BYTES);
    expect(
      parseBrokerOptions({ pushFormat: 'full', pushSendBufferBytes: '64KiB' }).pushSendBufferBytes,
    ).toBe(64 * 1024);
  });

  it('lets every endpoint ask for an ephemeral port, with * or 0', () => {
    for (const port of ['*', '0']) {
      const any = `tcp://127.0.0.1:${port}`;
      expect(parseBrokerOptions({ ingress: any, publish: any, push: any }).push).toBe(any);
    }
  });

  it('accepts strings from flags and environment', () => {
    const o = parseBrokerOptions({
      ingress: 'ipc:///tmp/zmqmq-in',
      publish: 'tcp://0.0.0.0:6000',
      push: 'tcp://[::1]:*',
      queueMaxMessages: '10',
      queueMaxBytes: '2MiB',
      pushPolicy: 'drop',
      publishHwm: '0',
      ingressHwm: '250',
      maxMessageBytes: '1k',
      drainTimeoutMs: '2s',
      monitor: 'off',
      logLevel: 'silent',
      insecure: 'true',
    });
    expect(o).toMatchObject({
      queueMaxMessages: 10,
      queueMaxBytes: 2 * 1024 * 1024,
      pushPolicy: 'drop',
      publishHwm: 0,
      ingressHwm: 250,
      maxMessageBytes: 1024,
      drainTimeoutMs: 2000,
      monitor: null,
    });
    expect(
      parseBrokerOptions({ pushHwm: '10', pushSendBufferBytes: '16KiB', handshakeTimeoutMs: '2s' }),
    ).toMatchObject({ pushHwm: 10, pushSendBufferBytes: 16 * 1024, handshakeTimeoutMs: 2000 });
  });

  it.each([
    [
      { queueMaxMessages: '-1' },
      '--queue-max-messages: must be a whole number 1..2147483647 (got "-1")',
    ],
    [{ queueMaxMessages: '1.5' }, '--queue-max-messages'],
    [{ queueMaxBytes: '12 parsecs' }, '--queue-max-bytes: must be a size'],
    [
      { pushPolicy: 'keep' },
      '--push-policy: must be one of drop-newest, drop-oldest, drop (got "keep")',
    ],
    [{ pushFormat: 'x' }, '--push-format'],
    [{ publishHwm: '-3' }, '--publish-hwm'],
    [
      { ingressHwm: 'lots' },
      '--ingress-hwm: must be a whole number 0..2147483647 (0 means unlimited)',
    ],
    [{ ingress: 'http://x' }, '--ingress: must start with tcp://, ipc:// or inproc://'],
    [{ publish: 'tcp://127.0.0.1' }, '--publish: a tcp endpoint must be tcp://host:port'],
    [{ push: 'tcp://127.0.0.1:70000' }, '--push: the port must be'],
    [{ drainTimeoutMs: 'soon' }, '--drain-timeout: must be a duration'],
    [{ monitor: 'nowhere' }, '--monitor: must be host:port'],
    [{ logLevel: 'loud' }, '--log-level'],
    // Past a C int libzmq says only "Invalid argument", and a Node timer fires after 1 ms.
    [
      { publishHwm: '2147483648' },
      '--publish-hwm: must be a whole number 0..2147483647 (0 means unlimited) (got "2147483648")',
    ],
    [{ ingressHwm: 3e9 }, '--ingress-hwm: must be a whole number 0..2147483647'],
    [
      { queueMaxMessages: '3000000000' },
      '--queue-max-messages: must be a whole number 1..2147483647',
    ],
    [{ drainTimeoutMs: '3000000000' }, '--drain-timeout: must be at most 2147483647 ms'],
    [
      { drainTimeoutMs: 3e9 },
      '--drain-timeout: must be a whole number of milliseconds 0..2147483647',
    ],
    [{ dropLogIntervalMs: '40000m' }, '--drop-log-interval: must be at most 2147483647 ms'],
    [{ dropLogIntervalMs: 0 }, '--drop-log-interval: must be at least 100ms (got 0)'],
    [{ dropLogIntervalMs: '99ms' }, '--drop-log-interval: must be at least 100ms (got "99ms")'],
    [{ ioThreads: '0' }, '--io-threads: must be a whole number 1..64 (got "0")'],
    [{ ioThreads: 65 }, '--io-threads: must be a whole number 1..64 (got 65)'],
    [
      { ingress: 'tcp://127.0.0.1:7000', publish: 'tcp://127.0.0.1:7000' },
      '--publish: must differ from --ingress (got "tcp://127.0.0.1:7000")',
    ],
    [
      { publish: 'ipc:///tmp/x', push: 'ipc:///tmp/x' },
      '--push: must differ from --publish (got "ipc:///tmp/x")',
    ],
    [
      { queueMaxBytes: '10000000000000000000' },
      '--queue-max-bytes: must be at most 9007199254740991 bytes',
    ],
    [
      { push: 'inproc://work', ioThreads: 2 },
      '--push: cannot be inproc:// with --io-threads above 1',
    ],
    [
      { pushFormat: 'full', publishHwm: 0 },
      '--publish-hwm: must be at least 1 with --push-format full',
    ],
    [
      { queueMaxBytes: '10', maxMessageBytes: '100' },
      '--queue-max-bytes: must be at least --max-message-bytes',
    ],
    [{ pushHwm: '0' }, '--push-hwm: must be a whole number 1..2147483647 (got "0")'],
    [{ pushSendBufferBytes: '1k' }, '--push-send-buffer: must be at least 4096 bytes'],
    [{ pushSendBufferBytes: '4GiB' }, '--push-send-buffer: must be at most 2147483647 bytes'],
    [{ handshakeTimeoutMs: '0' }, '--handshake-timeout: must be at least 1ms'],
    [{ handshakeTimeoutMs: 'never' }, '--handshake-timeout: must be a duration'],
  ])('rejects %j with a clear message', (input, message) => {
    expect(optionProblem(() => parseBrokerOptions(input))).toContain(message);
  });

  it('names each option as the user gave it, in messages that involve two', () => {
    const names = {
      ingress: 'ZMQMQ_INGRESS',
      publish: 'ZMQMQ_PUBLISH',
      queueMaxBytes: 'ZMQMQ_QUEUE_MAX_BYTES',
      maxMessageBytes: 'ZMQMQ_MAX_MESSAGE_BYTES',
    };
    expect(
      optionProblem(() =>
        parseBrokerOptions({ ingress: 'ipc:///tmp/a', publish: 'ipc:///tmp/a' }, names),
      ),
    ).toMatch(/^ZMQMQ_PUBLISH: must differ from ZMQMQ_INGRESS /);
    expect(
      optionProblem(() =>
        parseBrokerOptions({ queueMaxBytes: '1MiB', maxMessageBytes: '2MiB' }, names),
      ),
    ).toMatch(/^ZMQMQ_QUEUE_MAX_BYTES: must be at least ZMQMQ_MAX_MESSAGE_BYTES \(2097152\)/);
  });

  it('names the environment variable when the value came from there', () => {
    expect(
      optionProblem(() =>
        parseBrokerOptions({ pushPolicy: 'x' }, { pushPolicy: 'ZMQMQ_PUSH_POLICY' }),
      ),
    ).toMatch(/^ZMQMQ_PUSH_POLICY: /);
  });

  it('rejects unknown option names from code', () => {
    expect(optionProblem(() => parseBrokerOptions({ bogus: 1 } as never))).toContain(
      'bogus: is not a broker option',
    );
  });

  it('parses sizes, durations, endpoints and monitor addresses', () => {
    expect(parseBytes('64MiB', 'x')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1GB', 'x')).toBe(1e9);
    expect(parseBytes(5, 'x')).toBe(5);
    expect(parseDuration('1m', 'x')).toBe(60000);
    expect(parseDuration('250ms', 'x')).toBe(250);
    expect(parseDuration(0, 'x')).toBe(0);
    expect(parseEndpoint('inproc://a', 'x')).toBe('inproc://a');
    expect(parseMonitor('[::1]:0', 'x')).toEqual({ host: '::1', port: 0 });
    expect(parseMonitor({ host: 'localhost', port: 1 }, 'x')).toEqual({
      host: 'localhost',
      port: 1,
    });
  });

  it('knows which endpoints reach beyond this machine', () => {
    expect(isExposedEndpoint('tcp://0.0.0.0:5555')).toBe(true);
    expect(isExposedEndpoint('tcp://10.1.2.3:5555')).toBe(true);
    expect(isExposedEndpoint('tcp://127.0.0.1:5555')).toBe(false);
    expect(isExposedEndpoint('tcp://localhost:5555')).toBe(false);
    expect(isExposedEndpoint('tcp://[::1]:5555')).toBe(false);
    expect(isExposedEndpoint('ipc:///tmp/x')).toBe(false);
  });
});

describe('sizes and durations as users write them', () => {
  it('prints the defaults the way the docs write them', () => {
    const d = defaultBrokerOptions();
    expect(formatBytes(d.queueMaxBytes)).toBe('64MiB');
    expect(formatBytes(d.maxMessageBytes)).toBe('1MiB');
    expect(formatDuration(d.drainTimeoutMs)).toBe('5s');
    expect(formatDuration(d.dropLogIntervalMs)).toBe('10s');
    expect([formatBytes(1000), formatBytes(1536), formatBytes(3 * 1024 ** 3)]).toEqual([
      '1000',
      '1536',
      '3GiB',
    ]);
    expect([formatDuration(0), formatDuration(250), formatDuration(90_000)]).toEqual([
      '0ms',
      '250ms',
      '90s',
    ]);
    expect(formatDuration(120_000)).toBe('2m');
  });

  // Whole units and odd values alike: what the formatter prints, the parser reads back.
  const anyBytes = fc.oneof(
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    ...[1024, 1024 ** 2, 1024 ** 3].map((unit) =>
      fc.integer({ min: 1, max: Math.floor(Number.MAX_SAFE_INTEGER / unit) }).map((k) => k * unit),
    ),
  );
  const anyMs = fc.oneof(
    fc.integer({ min: 0, max: MAX_INT32 }),
    ...[1000, 60_000].map((unit) =>
      fc.integer({ min: 1, max: Math.floor(MAX_INT32 / unit) }).map((k) => k * unit),
    ),
  );

  it('parseBytes(formatBytes(n)) is n', () => {
    fc.assert(
      fc.property(anyBytes, (n) => parseBytes(formatBytes(n), '--queue-max-bytes') === n),
      { numRuns: 2000 },
    );
  });

  it('parseDuration(formatDuration(ms)) is ms', () => {
    fc.assert(
      fc.property(anyMs, (ms) => parseDuration(formatDuration(ms), '--drain-timeout') === ms),
      { numRuns: 2000 },
    );
  });

  describe('security', () => {
    const key = '/etc/zmq-mq/broker.key';

    it('refuses a socket beyond loopback without CURVE, naming the flag and the way out', () => {
      expect(optionProblem(() => parseBrokerOptions({ ingress: 'tcp://0.0.0.0:5555' }))).toMatch(
        /^--ingress: is reachable beyond this machine, .* give --curve-secret-key-file .*, or --insecure/,
      );
      const names = { push: 'ZMQMQ_PUSH', insecure: 'ZMQMQ_INSECURE' } as const;
      expect(optionProblem(() => parseBrokerOptions({ push: 'tcp://*:5557' }, names))).toMatch(
        /^ZMQMQ_PUSH: .* or ZMQMQ_INSECURE to bind it as it is/,
      );
      for (const insecure of [true, 'true', '1']) {
        expect(parseBrokerOptions({ publish: 'tcp://10.1.2.3:5556', insecure }).insecure).toBe(
          true,
        );
      }
      expect(
        parseBrokerOptions({ ingress: 'tcp://0.0.0.0:5555', curveSecretKeyFile: key }),
      ).toMatchObject({
        curveSecretKeyFile: key,
        insecure: false,
      });
      expect(optionProblem(() => parseBrokerOptions({ insecure: 'yes' }))).toMatch(
        /^--insecure: must be true, 1, false or 0/,
      );
    });

    it('refuses an allowlist without CURVE, and inproc endpoints with it', () => {
      expect(optionProblem(() => parseBrokerOptions({ allowWorkers: 'workers.keys' }))).toMatch(
        /^--allow-workers: needs --curve-secret-key-file/,
      );
      expect(
        optionProblem(() =>
          parseBrokerOptions({ curveSecretKeyFile: key, ingress: 'inproc://in' }),
        ),
      ).toMatch(/^--ingress: cannot be inproc:\/\/ with --curve-secret-key-file/);
      expect(optionProblem(() => parseBrokerOptions({ curveSecretKeyFile: '  ' }))).toMatch(
        /must be the path of a file/,
      );
    });

    it('refuses a monitor beyond loopback without a token file', () => {
      expect(optionProblem(() => parseBrokerOptions({ monitor: '0.0.0.0:9557' }))).toMatch(
        /^--monitor: is reachable beyond this machine: give --monitor-token-file/,
      );
      expect(
        parseBrokerOptions({ monitor: '0.0.0.0:9557', monitorTokenFile: 'monitor.token' }).monitor,
      ).toEqual({ host: '0.0.0.0', port: 9557 });
      // --insecure is for the ZeroMQ ports only.
      expect(() => parseBrokerOptions({ monitor: '[::]:9557', insecure: true })).toThrow(
        /--monitor-token-file/,
      );
    });
  });
});
