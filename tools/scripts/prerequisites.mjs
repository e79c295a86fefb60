// What the tests need from outside npm, checked by `npm test` before any test runs.
// Each entry: a check command (exit 0 = present), the Debian packages that provide it, and why.
// Missing ones are installed with apt-get when running as root (`apt-get update`, then
// `apt-get install -y <packages>`); otherwise one line names the command and the run stops.
import { spawnSync } from 'node:child_process';

export const PREREQUISITES = [
  {
    name: 'Python peers',
    check: ['/usr/bin/python3', '-c', 'import zmq, msgpack'],
    debian: ['python3-zmq', 'python3-msgpack'],
    why: "apps/e2e's interoperability tests run pyzmq and msgpack peers under /usr/bin/python3",
  },
  {
    name: 'NATS server',
    check: ['/usr/sbin/nats-server', '--version'],
    debian: ['nats-server'],
    why: 'the JetStream store is tested against nats-server processes the tests start (libs/queue-store, libs/broker, apps/e2e)',
  },
  {
    name: 'OpenSSL',
    check: ['/usr/bin/openssl', 'version'],
    debian: ['openssl'],
    why: 'the JetStream store is tested against a nats-server with TLS, its certificates made by openssl',
  },
  {
    name: 'Chromium',
    check: ['/usr/bin/chromium', '--version'],
    debian: ['chromium'],
    why: "apps/e2e's dashboard test drives Debian's chromium through playwright-core (no browser download)",
  },
];

function passes(check) {
  const [command, ...args] = check;
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 30000 });
  return r.status === 0;
}

function apt(args, log) {
  const r = spawnSync('apt-get', args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  if (r.status === 0) return true;
  if (r.stdout) log(r.stdout.trimEnd());
  log(`npm test: apt-get ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`})`);
  return false;
}

/**
 * Checks every prerequisite; installs the missing ones' Debian packages when running as root.
 * Returns true when all are present afterwards; otherwise logs why and returns false.
 */
export function ensurePrerequisites(table = PREREQUISITES, log = (line) => console.error(line)) {
  const missing = table.filter((p) => !passes(p.check));
  if (missing.length === 0) return true;
  const packages = [...new Set(missing.flatMap((p) => p.debian))];
  const what = missing.map((p) => `${p.name}: ${p.why}`).join('; ');
  if (process.getuid?.() !== 0) {
    log(
      `npm test needs ${packages.join(' ')} (${what}); install them as root, then run npm test again: ` +
        `apt-get update && apt-get install -y ${packages.join(' ')}`,
    );
    return false;
  }
  log(`npm test: installing ${packages.join(' ')} with apt-get (${what})`);
  if (!apt(['update', '-qq'], log) || !apt(['install', '-y', '-qq', ...packages], log))
    return false;
  const still = missing.filter((p) => !passes(p.check));
  if (still.length > 0) {
    log(
      `npm test: still missing after apt-get install: ${still.map((p) => `${p.name} (\`${p.check.join(' ')}\` fails)`).join(', ')}`,
    );
    return false;
  }
  return true;
}
