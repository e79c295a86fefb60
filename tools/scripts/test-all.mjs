// `npm test`: the prerequisites from outside npm (prerequisites.mjs: installed with apt-get as
// root), then typecheck, lint and the apps' builds through Nx, then every project's tests (one
// project at a time, with no build beside them: e2e's builds are cached by then), then one
// closing line with the workspace's test counts and, under it, the name and first lines of each
// failure. Exits non-zero if any step failed or any test was skipped.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrerequisites } from './prerequisites.mjs';

if (!ensurePrerequisites()) process.exit(1);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = join(root, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });

// Each running broker holds two of libuv's pool threads for its proxies, and some test files
// run two brokers in one jest process: libuv's default of 4 threads would leave none for binds
// and file reads (the broker refuses to start then: ThreadPoolError).
const env = {
  UV_THREADPOOL_SIZE: '16',
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
};
const nx = join(root, 'node_modules', '.bin', 'nx');
// A whole run takes about 10 minutes on 2 cores; a phase still running after this has hung.
const PHASE_LIMIT_MS = 30 * 60 * 1000;

/** Runs nx in its own process group; kills the whole group if it outlives PHASE_LIMIT_MS. */
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(nx, args, { cwd: root, env, stdio: 'inherit', detached: true });
    const forward = (signal) => {
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      console.error(
        `\nnpm test: \`nx ${args.slice(0, 3).join(' ')}\` still ran after ${PHASE_LIMIT_MS / 60000} minutes: stopping it and every process it started (tmp/test-results/ holds the counts of the projects that finished)`,
      );
      forward('SIGKILL');
    }, PHASE_LIMIT_MS);
    // Its own group is out of the terminal's reach: pass a Ctrl-C or a TERM on to it.
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? 1);
    });
  });
}

const extra = process.argv.slice(2);
let status = await run([
  'run-many',
  '-t',
  'typecheck',
  'lint',
  'build',
  '--outputStyle=static',
  ...extra,
]);
if (status === 0) {
  status = await run(['run-many', '-t', 'test', '--outputStyle=static', ...extra]);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let files = [];
const failures = [];
try {
  files = readdirSync(resultsDir);
} catch {
  files = [];
}
for (const f of files) {
  const s = JSON.parse(readFileSync(join(resultsDir, f), 'utf8'));
  passed += s.passed;
  failed += s.failed + s.runtimeErrorSuites;
  skipped += s.skipped;
  failures.push(...(s.failures ?? []));
}
console.log(`\nProjects with tests: ${files.length}`);
console.log(`Tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
for (const f of failures) {
  console.log(`\nFailed: ${f.test}\n${f.message.replace(/^/gm, '  ')}`);
}
if (skipped > 0) {
  console.error('Skipped tests are not allowed.');
  status = status || 1;
}
if (status === 0 && passed === 0) {
  console.error('No test ran.');
  status = 1;
}
process.exit(status);
