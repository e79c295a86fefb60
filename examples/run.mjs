// Runs one example of examples/ as it is written: TypeScript, an ES module with top-level await,
// importing the workspace's libraries (@zmq-mq/*) from their sources. esbuild bundles it with
// those libraries into dist/examples/<name>.mjs (npm packages stay external), then this process
// runs it. A failure prints one line and exits 1.
//
// usage: node examples/run.mjs <name>   (`npm run example:sdk` runs sdk-tour)
//
// The examples use the broker's default endpoints. ZMQMQ_INGRESS, ZMQMQ_PUBLISH and ZMQMQ_PUSH,
// the variables the broker reads, point them at a broker elsewhere: the SDK's defaults are
// replaced in the bundle, the example's code is not touched.
import { build } from 'esbuild';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const name = process.argv[2];
const source = name === undefined ? undefined : join(root, 'examples', `${name}.ts`);
if (source === undefined || !existsSync(source)) {
  console.error('usage: node examples/run.mjs <name>, for examples/<name>.ts');
  process.exit(2);
}

// Default endpoint constants (`export const DEFAULT_INGRESS = 'tcp://…';`) and the variables
// that replace them.
const overrides = Object.entries({
  DEFAULT_INGRESS: process.env.ZMQMQ_INGRESS,
  DEFAULT_PUBLISH: process.env.ZMQMQ_PUBLISH,
  DEFAULT_PUSH: process.env.ZMQMQ_PUSH,
}).filter(([, value]) => value !== undefined && value !== '');
const replaced = new Set();

const workspaceDefaults = {
  name: 'workspace-defaults',
  setup(b) {
    b.onLoad({ filter: /[\\/]libs[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      for (const [constant, value] of overrides) {
        const declaration = new RegExp(`(export const ${constant}\\s*=\\s*)'[^']*'`);
        if (!declaration.test(text)) continue;
        text = text.replace(declaration, `$1${JSON.stringify(value)}`);
        replaced.add(constant);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

const outfile = join(root, 'dist', 'examples', `${name}.mjs`);
await build({
  entryPoints: [source],
  outfile,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: 'inline',
  tsconfig: join(root, 'examples', 'tsconfig.json'),
  // Workspace libraries are bundled from source; every npm package is imported at run time.
  packages: 'external',
  alias: {
    '@zmq-mq/protocol': join(root, 'libs/protocol/src/index.ts'),
    '@zmq-mq/client': join(root, 'libs/client/src/index.ts'),
  },
  plugins: overrides.length > 0 ? [workspaceDefaults] : [],
  logLevel: 'warning',
});
const missed = overrides.map(([constant]) => constant).filter((c) => !replaced.has(c));
if (missed.length > 0) {
  console.error(`examples/run.mjs: found no declaration of ${missed.join(', ')} to replace`);
  process.exit(1);
}

process.on('unhandledRejection', (err) => {
  console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
try {
  await import(pathToFileURL(outfile).href);
} catch (err) {
  console.error(`${name}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
