// `npm test`: the prerequisites from outside npm (prerequisites.mjs: installed with apt-get as
// root), then typecheck, lint and the apps' builds through Nx, then every project's tests (one
// project at a time, with no build beside them: e2e's builds are cached by then), then one
// closing line with the workspace's test counts. Exits non-zero if any step failed or any test
// was skipped.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrerequisites } from './prerequisites.mjs';

if (!ensurePrerequisites()) process.exit(1);

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = join(root, 'tmp', 'test-results');
rmSync(resultsDir, { recursive: true, force: true });

const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' };
const nx = join(root, 'node_modules', '.bin', 'nx');

function run(args) {
  const r = spawnSync(nx, args, { cwd: root, env, stdio: 'inherit' });
  return r.status ?? 1;
}

const extra = process.argv.slice(2);
let status = run([
  'run-many',
  '-t',
  'typecheck',
  'lint',
  'build',
  '--outputStyle=static',
  ...extra,
]);
if (status === 0) {
  status = run(['run-many', '-t', 'test', '--outputStyle=static', ...extra]);
}

let passed = 0;
let failed = 0;
let skipped = 0;
let files = [];
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
}
console.log(`\nProjects with tests: ${files.length}`);
console.log(`Tests: ${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
if (skipped > 0) {
  console.error('Skipped tests are not allowed.');
  status = status || 1;
}
if (status === 0 && passed === 0) {
  console.error('No test ran.');
  status = 1;
}
process.exit(status);
