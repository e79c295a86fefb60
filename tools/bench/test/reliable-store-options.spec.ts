import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OptionError } from '@zmq-mq/protocol';
import { parseOptions } from '../src/options';
import { redactedArgs } from '../src/reliable/store-options';

const STORE = ['--reliable', '--store'];

/** The OptionError `argv` is refused with (fails when it is accepted). */
function refusal(argv: string[], env: Record<string, string> = {}): OptionError {
  try {
    parseOptions(argv, env);
  } catch (err) {
    expect(err).toBeInstanceOf(OptionError);
    return err as OptionError;
  }
  throw new Error(`accepted: ${argv.join(' ')}`);
}

describe('--reliable --store nats://…', () => {
  let dir: string;
  let creds: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bench-store-options-'));
    creds = join(dir, 'bench.creds');
    writeFileSync(creds, 'not checked here: the servers read it\n');
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs our broker on both stores and JetStream directly on the servers given', () => {
    const o = parseOptions([...STORE, 'nats://127.0.0.1:4222,127.0.0.1:4223, tls://n3.local:4224']);
    expect(o.store).toEqual({
      servers: ['nats://127.0.0.1:4222', 'nats://127.0.0.1:4223', 'tls://n3.local:4224'],
      auth: {},
      replicas: 'auto',
    });
    expect(o.systems).toEqual(['zmq-mq', 'zmq-mq-jetstream', 'jetstream']);
    expect(o.name).toBe('reliable-store');
    expect(parseOptions([...STORE, 'nats://h:1', '--quick']).name).toBe('reliable-store-quick');
    expect(parseOptions([...STORE, 'nats://h:1', '--systems', 'jetstream']).systems).toEqual([
      'jetstream',
    ]);
    expect(parseOptions(['--reliable']).store).toBeNull();
  });

  it('takes the broker’s login flags, the password also from ZMQMQ_NATS_PASSWORD', () => {
    const login = [...STORE, 'nats://h:1', '--nats-user', 'bench', '--nats-tls-ca', creds];
    expect(parseOptions([...login, '--nats-password', 'pw']).store?.auth).toEqual({
      user: 'bench',
      password: 'pw',
      tlsCaFile: creds,
    });
    expect(parseOptions(login, { ZMQMQ_NATS_PASSWORD: 'from-env' }).store?.auth.password).toBe(
      'from-env',
    );
    expect(
      parseOptions([...STORE, 'nats://h:1', '--nats-creds', creds, '--nats-replicas', '3'], {
        ZMQMQ_NATS_PASSWORD: 'unused without a user',
      }).store,
    ).toEqual({ servers: ['nats://h:1'], auth: { credsFile: creds }, replicas: 3 });
  });

  it('refuses the flags without --reliable, and the login flags without --store', () => {
    expect(refusal(['--store', 'nats://127.0.0.1:4222']).message).toBe(
      '--store: only with --reliable (got "nats://127.0.0.1:4222")',
    );
    expect(refusal(['--reliable', '--nats-user', 'u']).message).toBe(
      '--nats-user: needs --store nats://HOST:PORT (got "u")',
    );
    expect(refusal(['--nats-password', 'secret']).message).not.toContain('secret');
  });

  it('refuses a malformed server list, naming --store and hiding credentials in it', () => {
    for (const bad of [
      'localhost:4222',
      'nats://127.0.0.1',
      'nats://127.0.0.1:99999',
      'nats://127.0.0.1:4222,',
      'nats://user:secret@127.0.0.1:4222',
      'memory',
    ]) {
      const err = refusal([...STORE, bad]);
      expect(err.option).toBe('--store');
      expect(err.message).toMatch(/^--store: must list NATS servers as nats:\/\/HOST:PORT/);
      expect(err.message).not.toContain('secret');
      expect(err.message).not.toContain('\n');
    }
  });

  it('refuses logins that cannot work, files that cannot be read and bad replica counts', () => {
    const on = [...STORE, 'nats://h:1'];
    expect(refusal([...on, '--nats-user', 'u']).message).toBe(
      '--nats-user: needs --nats-password (or the variable ZMQMQ_NATS_PASSWORD) (got "u")',
    );
    expect(refusal([...on, '--nats-password', 'p']).option).toBe('--nats-password');
    expect(
      refusal([...on, '--nats-user', 'u', '--nats-password', 'p', '--nats-creds', creds]).message,
    ).toMatch(/^--nats-creds: cannot be used with --nats-user/);
    expect(refusal([...on, '--nats-creds', join(dir, 'missing.creds')]).message).toMatch(
      /^--nats-creds: cannot be read \(ENOENT\)/,
    );
    for (const n of ['0', '6', '2.5', 'many'])
      expect(refusal([...on, '--nats-replicas', n]).option).toBe('--nats-replicas');
  });

  it('needs a JetStream system among --systems', () => {
    expect(() => parseOptions([...STORE, 'nats://h:1', '--systems', 'zmq-mq,rabbitmq'])).toThrow(
      '--store needs zmq-mq-jetstream or jetstream in --systems',
    );
  });

  it('hides the password in the command line a report shows', () => {
    expect(
      redactedArgs(['--reliable', '--nats-password', 'pw', '--nats-password=pw2', '--quick']),
    ).toEqual(['--reliable', '--nats-password', '***', '--nats-password=***', '--quick']);
  });
});
