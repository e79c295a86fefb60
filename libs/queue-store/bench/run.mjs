// Bundles the queue-store micro-benchmark with esbuild into tmp/queue-store-bench and runs
// it with the arguments given (see store-bench.ts for them).
// usage: node libs/queue-store/bench/run.mjs [--messages N] [--sizes 100,1024] ...
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const outfile = join(root, 'tmp', 'queue-store-bench', 'store-bench.js');
await build({
  entryPoints: [join(here, 'store-bench.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['lmdb', 'msgpackr'],
  tsconfig: join(root, 'tsconfig.base.json'),
  logLevel: 'warning',
});
const r = spawnSync(process.execPath, ['--enable-source-maps', outfile, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
