// `npm run bench -- --reliable --store nats://HOST:PORT[,HOST:PORT…]` and the NATS login flags,
// named and checked as the broker names and checks them (apps/broker/README.md).
import { accessSync, constants } from 'node:fs';
import { OptionError } from '@zmq-mq/protocol';
import type { NatsAuth } from './messages';
import { NATS_PASSWORD_ENV } from './messages';
import type { ExternalNats } from './nats-store';

/** The flags, without their `--`. */
export const STORE_FLAGS = [
  'store',
  'nats-user',
  'nats-password',
  'nats-creds',
  'nats-tls-ca',
  'nats-replicas',
] as const;
export type StoreFlag = (typeof STORE_FLAGS)[number];
export type StoreFlagValues = Partial<Record<StoreFlag, string>>;

/** JetStream's largest replica count. */
const MAX_REPLICAS = 5;

/** One server as the broker's `--store` takes it (libs/queue-store: parseServer). */
const SERVER_RE = /^(?:(nats|tls):\/\/)?([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** A value as an error may repeat it: never the password, nor credentials in a URL. */
function shown(flag: StoreFlag, value: string | undefined): string | undefined {
  if (flag === 'nats-password') return '(hidden)';
  return flag === 'store' ? value?.replace(/\/\/[^@/,]*@/g, '//***@') : value;
}

function parseServers(value: string): string[] {
  const servers = /^(nats|tls):\/\//.test(value.trim())
    ? value.split(',').map((s) => SERVER_RE.exec(s.trim()))
    : [null];
  return servers.map((m) => {
    if (m === null || Number(m[3]) < 1 || Number(m[3]) > 65535) {
      throw new OptionError(
        '--store',
        shown('store', value),
        'must list NATS servers as nats://HOST:PORT[,HOST:PORT...], without user or password (give those with --nats-user and --nats-password, or --nats-creds)',
      );
    }
    return `${m[1] ?? 'nats'}://${m[2]}:${m[3]}`;
  });
}

function readable(
  flag: 'nats-creds' | 'nats-tls-ca',
  file: string | undefined,
): string | undefined {
  if (file === undefined) return undefined;
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new OptionError(`--${flag}`, file, `cannot be read (${reason})`);
  }
  return file;
}

function parseReplicas(value: string | undefined): number | 'auto' {
  if (value === undefined || value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS)
    throw new OptionError('--nats-replicas', value, `must be auto or 1..${MAX_REPLICAS}`);
  return n;
}

/**
 * The NATS servers the durable-queue benchmark runs JetStream on, or null (it starts its own).
 * Throws OptionError naming the flag: a flag without `--reliable` or without `--store`, a
 * malformed server list, a user without a password (flag or `ZMQMQ_NATS_PASSWORD`), a user
 * and a creds file together, a file that cannot be read, a bad replica count.
 */
export function parseStoreFlags(
  values: StoreFlagValues,
  reliable: boolean,
  passwordFromEnv: string | undefined,
): ExternalNats | null {
  const given = STORE_FLAGS.filter((f) => values[f] !== undefined);
  const first = given[0];
  if (first !== undefined && !reliable)
    throw new OptionError(`--${first}`, shown(first, values[first]), 'only with --reliable');
  const store = values.store;
  if (store === undefined) {
    if (first !== undefined)
      throw new OptionError(
        `--${first}`,
        shown(first, values[first]),
        'needs --store nats://HOST:PORT',
      );
    return null;
  }
  const servers = parseServers(store);
  const user = values['nats-user'];
  const password = values['nats-password'] ?? (user === undefined ? undefined : passwordFromEnv);
  if (user === undefined && password !== undefined)
    throw new OptionError('--nats-password', '(hidden)', 'must be given with --nats-user');
  if (user !== undefined && (password === undefined || password === ''))
    throw new OptionError(
      '--nats-user',
      user,
      `needs --nats-password (or the variable ${NATS_PASSWORD_ENV})`,
    );
  const credsFile = readable('nats-creds', values['nats-creds']);
  if (user !== undefined && credsFile !== undefined)
    throw new OptionError(
      '--nats-creds',
      credsFile,
      'cannot be used with --nats-user: pick one way to log in',
    );
  const tlsCaFile = readable('nats-tls-ca', values['nats-tls-ca']);
  const auth: NatsAuth = {
    ...(user === undefined ? {} : { user, password }),
    ...(credsFile === undefined ? {} : { credsFile }),
    ...(tlsCaFile === undefined ? {} : { tlsCaFile }),
  };
  return { servers, auth, replicas: parseReplicas(values['nats-replicas']) };
}

/** The command line as a report may show it: the password's value hidden. */
export function redactedArgs(argv: readonly string[]): string[] {
  return argv.map((a, i) => {
    if (a.startsWith('--nats-password=')) return '--nats-password=***';
    return argv[i - 1] === '--nats-password' ? '***' : a;
  });
}
