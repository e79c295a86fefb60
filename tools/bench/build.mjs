// Bundles the benchmark's entry points (orchestrator, producer, consumer, plain forwarder, the
// durable-queue producer and consumer) into dist/tools/bench/ with esbuild; zeromq stays
// external (native addon).
// usage: node tools/bench/build.mjs
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'tools', 'bench', 'src');
await build({
  entryPoints: [
    ...['main', 'producer', 'consumer', 'forwarder'].map((n) => ({
      in: join(src, `${n}.ts`),
      out: n,
    })),
    { in: join(src, 'reliable', 'producer.ts'), out: 'reliable-producer' },
    { in: join(src, 'reliable', 'consumer.ts'), out: 'reliable-consumer' },
  ],
  outdir: join(root, 'dist', 'tools', 'bench'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['zeromq'],
  tsconfig: join(root, 'tsconfig.base.json'),
  logLevel: 'warning',
});
