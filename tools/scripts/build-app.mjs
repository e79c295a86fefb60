// Builds one app into a self-contained deployable folder, dist/apps/<app>:
//   main.js (+ any src/**/*.worker.ts entries) bundled by esbuild with the workspace's own
//   libraries (@zmq-mq/*) inlined, every npm package left external; when the app has a web
//   page (apps/<app>/web/index.html and main.ts), web/: the page, its script bundled for the
//   browser with everything it imports (npm packages too) and its styles; a package.json that lists
//   exactly the npm packages the bundle requires, at the versions the root declares; and a
//   package-lock.json pruned by Nx from the root one, so `npm ci --omit=dev` in that folder
//   installs the very versions the tests ran against. The rest of the repo is not needed there.
//
// Safe to run several at once (two `npm run consume` started together): nothing is built when
// the inputs recorded in .build-inputs.json are unchanged, and a new build is made in a
// temporary folder beside the target, then each file is renamed into place (a reader sees the
// old file or the new one, never a missing or half-written one).
//
// usage: node tools/scripts/build-app.mjs <app> [--outdir DIR]
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const app = args[0];
if (!app || app.startsWith('-')) {
  console.error('usage: node tools/scripts/build-app.mjs <app> [--outdir DIR]');
  process.exit(2);
}
const outIdx = args.indexOf('--outdir');
const outdir = resolve(outIdx >= 0 ? args[outIdx + 1] : join(root, 'dist', 'apps', app));
const appRoot = join(root, 'apps', app);
const srcRoot = join(appRoot, 'src');
if (!existsSync(join(srcRoot, 'main.ts'))) {
  console.error(`build-app: apps/${app}/src/main.ts not found`);
  process.exit(2);
}
const shown = relative(root, outdir) || outdir;
const STAMP = '.build-inputs.json';
// Read by every build besides the bundled sources: versions, lockfile, this script, tsconfig paths.
const FIXED_INPUTS = [
  'package.json',
  'package-lock.json',
  'tools/scripts/build-app.mjs',
  'tsconfig.base.json',
];

function findWorkers(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findWorkers(p));
    else if (entry.name.endsWith('.worker.ts')) found.push(p);
  }
  return found.sort();
}

function hashFile(rel) {
  try {
    return createHash('sha256')
      .update(readFileSync(join(root, rel)))
      .digest('hex');
  } catch {
    return null;
  }
}

function stampOf(inputs, workers, outputs) {
  const hashes = {};
  for (const rel of [...new Set([...FIXED_INPUTS, ...inputs])].sort()) hashes[rel] = hashFile(rel);
  return {
    workers: workers.map((w) => relative(root, w)),
    inputs: hashes,
    outputs: outputs.sort(),
  };
}

/** True when the last build's recorded inputs all hash the same and its outputs are in place. */
function upToDate(workers) {
  let previous;
  try {
    previous = JSON.parse(readFileSync(join(outdir, STAMP), 'utf8'));
  } catch {
    return false;
  }
  if (typeof previous?.inputs !== 'object' || !Array.isArray(previous.outputs)) return false;
  const now = stampOf(Object.keys(previous.inputs), workers, previous.outputs);
  return (
    JSON.stringify(now) === JSON.stringify(previous) &&
    previous.outputs.every((f) => existsSync(join(outdir, f)))
  );
}

const webRoot = join(appRoot, 'web');
const hasWeb = existsSync(join(webRoot, 'index.html'));
const workers = findWorkers(srcRoot);
if (upToDate(workers)) {
  console.error(`build-app: ${shown} is up to date`);
  process.exit(0);
}

const { build } = await import('esbuild');
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

// The temporary folder sits beside the target so that the renames stay on one file system.
mkdirSync(dirname(outdir), { recursive: true });
const staging = `${outdir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
try {
  const result = await build({
    entryPoints: [join(srcRoot, 'main.ts'), ...workers],
    outdir: staging,
    outbase: srcRoot,
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    metafile: true,
    tsconfig: join(root, 'tsconfig.base.json'),
    plugins: [externalPackages],
    logLevel: 'warning',
    banner: { js: '#!/usr/bin/env node' },
  });

  const webInputs = hasWeb ? await buildWeb(build) : [];

  const deps = {};
  for (const name of [...used].sort()) {
    const version = rootPkg.dependencies?.[name];
    if (!version) {
      throw new Error(
        `apps/${app} requires "${name}", which is not a runtime dependency in the root package.json`,
      );
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
  await writeLockfile(appPkg, staging);
  writeFileSync(join(staging, 'package.json'), JSON.stringify(appPkg, null, 2) + '\n');

  const outputs = readdirSync(staging, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(staging, join(e.parentPath ?? e.path, e.name)));
  const inputs = [...Object.keys(result.metafile.inputs), ...webInputs];
  writeFileSync(
    join(staging, STAMP),
    JSON.stringify(stampOf(inputs, workers, outputs), null, 2) + '\n',
  );
  install(staging, [...outputs, STAMP]);
  console.error(
    `build-app: ${shown}/main.js with dependencies ${Object.keys(deps).join(', ') || '(none)'}`,
  );
} catch (e) {
  console.error(`build-app: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  rmSync(staging, { recursive: true, force: true });
}

/**
 * The app's web page into <staging>/web: index.html as it is, web/main.ts bundled for the
 * browser (every import inlined, minified) into main.js, and the CSS it imports into main.css.
 * Returns the files read, for the up-to-date check.
 */
async function buildWeb(build) {
  const out = join(staging, 'web');
  const result = await build({
    entryPoints: [join(webRoot, 'main.ts')],
    outdir: out,
    absWorkingDir: root,
    bundle: true,
    platform: 'browser',
    target: ['chrome111', 'firefox111', 'safari16'],
    format: 'iife',
    minify: true,
    legalComments: 'eof',
    metafile: true,
    tsconfig: join(appRoot, 'tsconfig.web.json'),
    logLevel: 'warning',
  });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'index.html'), readFileSync(join(webRoot, 'index.html')));
  return [...Object.keys(result.metafile.inputs), relative(root, join(webRoot, 'index.html'))];
}

/**
 * package-lock.json for the deploy folder: the root lockfile pruned by Nx to the bundle's
 * dependencies (offline, from the project graph's npm nodes), and the root's allowScripts
 * entries for the packages it holds, so npm there runs the same install scripts as here.
 */
async function writeLockfile(appPkg, dir) {
  const require = createRequire(join(root, 'package.json'));
  const devkit = require('@nx/devkit');
  const { generatePrunedDeployOutput } = require('@nx/devkit/internal');
  // Inside an Nx task the graph was just computed; elsewhere compute (or reuse) it.
  const graph = process.env.NX_TASK_TARGET_PROJECT
    ? devkit.readCachedProjectGraph()
    : await devkit.createProjectGraphAsync({ exitOnError: true });
  generatePrunedDeployOutput(appPkg, graph, relative(root, appRoot), {
    outputDirectory: dir,
    packageManager: 'npm',
    workspaceRoot: root,
  });
  const locked = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8')).packages;
  const names = new Set(
    Object.keys(locked).map((p) => p.slice(p.lastIndexOf('node_modules/') + 13)),
  );
  const allow = Object.entries(rootPkg.allowScripts ?? {}).filter(([name]) => names.has(name));
  if (allow.length > 0) appPkg.allowScripts = Object.fromEntries(allow);
}

/** Moves each built file over its old copy with one rename; drops files the new build lacks. */
function install(from, files) {
  const keep = new Set(files);
  if (existsSync(outdir)) {
    for (const e of readdirSync(outdir, { recursive: true, withFileTypes: true })) {
      const rel = relative(outdir, join(e.parentPath ?? e.path, e.name));
      if (e.isFile() && !keep.has(rel)) rmSync(join(outdir, rel), { force: true });
    }
  }
  // The stamp goes last: a build cut short is never taken as up to date.
  for (const rel of files) {
    const target = join(outdir, rel);
    mkdirSync(dirname(target), { recursive: true });
    if (rel !== STAMP && sameContent(join(from, rel), target)) continue;
    renameSync(join(from, rel), target);
  }
}

function sameContent(a, b) {
  try {
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}
