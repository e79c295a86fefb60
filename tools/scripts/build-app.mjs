// Builds one app into a self-contained deployable folder, dist/apps/<app>:
//   main.js (+ any src/**/*.worker.ts entries) bundled by esbuild with the workspace's own
//   libraries (@zmq-mq/*) inlined, every npm package left external, and a package.json that
//   lists exactly the npm packages the bundle requires, at the versions the root declares.
// `npm install --omit=dev` inside that folder is all a host needs; the rest of the repo is not.
//
// usage: node tools/scripts/build-app.mjs <app> [--outdir DIR]
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const app = args[0];
if (!app || app.startsWith('-')) {
  console.error('usage: node tools/scripts/build-app.mjs <app> [--outdir DIR]');
  process.exit(2);
}
const outIdx = args.indexOf('--outdir');
const outdir = outIdx >= 0 ? args[outIdx + 1] : join(root, 'dist', 'apps', app);
const appRoot = join(root, 'apps', app);
if (!existsSync(join(appRoot, 'src', 'main.ts'))) {
  console.error(`build-app: apps/${app}/src/main.ts not found`);
  process.exit(2);
}

function findWorkers(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findWorkers(p));
    else if (entry.name.endsWith('.worker.ts')) found.push(p);
  }
  return found;
}

const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const used = new Set();

const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (resolveArgs) => {
      const spec = resolveArgs.path;
      if (spec.startsWith('@zmq-mq/')) return undefined; // workspace library: bundle it
      if (builtins.has(spec)) return { path: spec, external: true };
      const parts = spec.split('/');
      const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      used.add(name);
      return { path: spec, external: true };
    });
  },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const srcRoot = join(appRoot, 'src');
await build({
  entryPoints: [join(srcRoot, 'main.ts'), ...findWorkers(srcRoot)],
  outdir,
  outbase: srcRoot,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  tsconfig: join(root, 'tsconfig.base.json'),
  plugins: [externalPackages],
  logLevel: 'warning',
  banner: { js: '#!/usr/bin/env node' },
});

const deps = {};
for (const name of [...used].sort()) {
  const version = rootPkg.dependencies?.[name];
  if (!version) {
    console.error(
      `build-app: apps/${app} requires "${name}", which is not a runtime dependency in the root package.json`,
    );
    process.exit(1);
  }
  deps[name] = version;
}
const appPkg = {
  name: `@zmq-mq/${app}`,
  version: rootPkg.version,
  private: true,
  description: `zmq-mq ${app} (built from apps/${app})`,
  license: rootPkg.license,
  main: 'main.js',
  bin: { [`zmq-mq-${app}`]: 'main.js' },
  engines: rootPkg.engines,
  scripts: { start: 'node main.js' },
  dependencies: deps,
};
writeFileSync(join(outdir, 'package.json'), JSON.stringify(appPkg, null, 2) + '\n');
console.error(
  `build-app: ${relative(root, outdir) || outdir}/main.js with dependencies ${Object.keys(deps).join(', ') || '(none)'}`,
);
