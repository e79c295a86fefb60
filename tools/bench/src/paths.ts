// Where things are, from the bundled entry points in dist/tools/bench/.
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '..', '..', '..');
export const BENCH_DIST = join(REPO_ROOT, 'dist', 'tools', 'bench');
/** Our broker's build; `BENCH_BROKER_MAIN` runs another (to compare two builds run by run). */
export const BROKER_MAIN =
  process.env['BENCH_BROKER_MAIN'] ?? join(REPO_ROOT, 'dist', 'apps', 'broker', 'main.js');
export const BROKER_SOURCE = join(REPO_ROOT, 'apps', 'broker', 'src', 'main.ts');
export const ORIGINAL_BROKER_PY = join(REPO_ROOT, 'apps', 'e2e', 'fixtures', 'original_broker.py');
export const LIBZMQ_PROXY_PY = join(REPO_ROOT, 'tools', 'bench', 'python', 'libzmq_proxy.py');
/** The Python with pyzmq (Debian's); the `python3` on PATH may lack it. */
export const PYTHON = '/usr/bin/python3';

export function benchScript(
  name: 'producer' | 'consumer' | 'forwarder' | 'reliable-producer' | 'reliable-consumer',
): string {
  return join(BENCH_DIST, `${name}.js`);
}
