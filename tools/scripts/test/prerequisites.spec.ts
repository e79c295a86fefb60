// The prerequisite checker of `npm test`, run as a real node process with its own table:
// as root with a fake apt-get first on PATH (it records its arguments and "installs" by
// leaving a marker that the table's check looks for), and as a user that is not root.
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runProcess } from './run-process';

const CHECKER = join(__dirname, '..', 'prerequisites.mjs');
const NOBODY = 65534;

interface Prerequisite {
  name: string;
  check: string[];
  debian: string[];
  why: string;
}

interface CheckerRun {
  code: number | null;
  lines: string[];
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zmqmq-prereq-'));
  chmodSync(dir, 0o755); // readable by the unprivileged user of the "not root" runs
  mkdirSync(join(dir, 'bin'));
  writeFileSync(
    join(dir, 'bin', 'apt-get'),
    [
      '#!/bin/sh',
      'here="$(dirname "$0")/.."',
      'echo "$DEBIAN_FRONTEND $*" >> "$here/apt.log"',
      'if [ "$1" = install ]; then',
      '  for a in "$@"; do case "$a" in install|-*) ;; *) touch "$here/installed-$a" ;; esac; done',
      'fi',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  writeFileSync(
    join(dir, 'check.mjs'),
    [
      `import { ensurePrerequisites } from ${JSON.stringify(pathToFileURL(CHECKER).href)};`,
      'const table = JSON.parse(process.env.PREREQUISITES_TABLE);',
      'process.exitCode = ensurePrerequisites(table) ? 0 : 1;',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A prerequisite that is present once the fake apt-get has "installed" each of `looksFor`. */
function needs(name: string, debian: string[], looksFor = debian): Prerequisite {
  const tests = looksFor.map((pkg) => `test -e ${join(dir, `installed-${pkg}`)}`);
  return {
    name: `fake ${name}`,
    check: ['sh', '-c', tests.join(' && ')],
    debian,
    why: `the test needs ${name}`,
  };
}

async function runChecker(table: Prerequisite[], as: 'root' | 'not root'): Promise<CheckerRun> {
  const isRoot = process.getuid?.() === 0;
  let command = process.execPath;
  let args = [join(dir, 'check.mjs')];
  const ids: { uid?: number; gid?: number } = {};
  if (as === 'not root' && isRoot) {
    ids.uid = NOBODY;
    ids.gid = NOBODY;
  } else if (as === 'root' && !isRoot) {
    args = ['--map-root-user', command, ...args];
    command = 'unshare';
  }
  const env = {
    ...process.env,
    PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`,
    PREREQUISITES_TABLE: JSON.stringify(table),
  };
  const run = await runProcess(command, args, { env, ...ids });
  return { code: run.code, lines: run.output.split('\n').filter(Boolean) };
}

function aptCalls(): string[] {
  const log = join(dir, 'apt.log');
  return existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
}

describe('npm test prerequisites', () => {
  it('says nothing and calls no apt-get when every check passes', async () => {
    writeFileSync(join(dir, 'installed-pkg-a'), '');
    const run = await runChecker([needs('a', ['pkg-a'])], 'root');
    expect(run).toEqual({ code: 0, lines: [] });
    expect(aptCalls()).toEqual([]);
  });

  it('installs what is missing as root: apt-get update, then apt-get install -y of each package once', async () => {
    writeFileSync(join(dir, 'installed-pkg-a'), '');
    const table = [needs('a', ['pkg-a']), needs('b', ['pkg-b', 'pkg-c']), needs('c', ['pkg-c'])];
    const run = await runChecker(table, 'root');
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      'npm test: installing pkg-b pkg-c with apt-get (fake b: the test needs b; fake c: the test needs c)',
    ]);
    expect(aptCalls()).toEqual([
      'noninteractive update -qq',
      'noninteractive install -y -qq pkg-b pkg-c',
    ]);
  });

  it('fails when a check still fails after the install', async () => {
    const table = [needs('x', ['pkg-x']), needs('y', ['pkg-y'], ['not-in-pkg-y'])];
    const run = await runChecker(table, 'root');
    expect(run.code).toBe(1);
    expect(run.lines[1]).toBe(
      `npm test: still missing after apt-get install: fake y (\`${table[1]!.check.join(' ')}\` fails)`,
    );
    expect(aptCalls()).toEqual([
      'noninteractive update -qq',
      'noninteractive install -y -qq pkg-x pkg-y',
    ]);
  });

  it('fails when apt-get fails, and does not go on to install', async () => {
    writeFileSync(
      join(dir, 'bin', 'apt-get'),
      '#!/bin/sh\necho "$*" >> "$(dirname "$0")/../apt.log"\nexit 100\n',
    );
    const run = await runChecker([needs('a', ['pkg-a'])], 'root');
    expect(run.code).toBe(1);
    expect(run.lines[1]).toBe('npm test: apt-get update -qq failed (exit 100)');
    expect(aptCalls()).toEqual(['update -qq']);
  });

  it('when not root: one line naming the exact apt-get command, a non-zero exit, no apt-get run', async () => {
    const run = await runChecker([needs('a', ['pkg-a', 'pkg-b'])], 'not root');
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      'npm test needs pkg-a pkg-b (fake a: the test needs a); install them as root, then run npm test again: ' +
        'apt-get update && apt-get install -y pkg-a pkg-b',
    ]);
    expect(aptCalls()).toEqual([]);
  });
});
