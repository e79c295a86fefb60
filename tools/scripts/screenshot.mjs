// `npm run screenshot`: builds the broker, bundles apps/e2e/src/dashboard-screenshot.ts (zeromq
// and playwright-core stay external) and runs it; it writes docs/dashboard.png.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' }).status;

if (node([join(root, 'tools', 'scripts', 'build-app.mjs'), 'broker']) !== 0) process.exit(1);
const outfile = join(root, 'dist', 'tools', 'screenshot', 'main.js');
await build({
  entryPoints: [join(root, 'apps', 'e2e', 'src', 'dashboard-screenshot.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['zeromq', 'playwright-core'],
  tsconfig: join(root, 'tsconfig.base.json'),
  logLevel: 'warning',
});
process.exit(node([outfile]) ?? 1);
