// Completes a library's publishable package in dist/libs/<lib>, after the library's Nx `compile`
// target (@nx/js:tsc) has put there the CommonJS build with its declarations and the ES module
// entry (index.mjs and index.d.mts, compiled from src/index.mts, which re-exports index.js):
// writes the package.json that Node, TypeScript and `npm pack` read there.
//
// The package has one implementation, CommonJS, and two entries onto it: `require` loads
// index.js, `import` loads index.mjs, whose names Node takes from index.js. One copy of each
// class whichever way a program loads it (no dual-package hazard: an error thrown inside the
// SDK is `instanceof` the class the program imported). The library's own package.json stays the
// workspace's view (sources and the /testing entry, for jest and tsc through their path
// mappings); the test-support entry is not published (it needs the workspace's devDependencies).
//
// usage: node tools/scripts/package-lib.mjs <lib>
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const lib = process.argv[2];
if (!lib || !existsSync(join(root, 'libs', lib, 'package.json'))) {
  console.error('usage: node tools/scripts/package-lib.mjs <lib>, for libs/<lib>/package.json');
  process.exit(2);
}
const outdir = join(root, 'dist', 'libs', lib);
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const rootPkg = readJson(join(root, 'package.json'));
const source = readJson(join(root, 'libs', lib, 'package.json'));

const entries = {
  import: { types: './index.d.mts', default: './index.mjs' },
  require: { types: './index.d.ts', default: './index.js' },
};
const missing = Object.values(entries)
  .flatMap((e) => Object.values(e))
  .filter((file) => !existsSync(join(outdir, file)));
if (missing.length > 0) {
  console.error(
    `package-lib: ${missing.join(', ')} missing in dist/libs/${lib}; run \`nx run ${lib}:compile\` first`,
  );
  process.exit(1);
}

const pkg = {
  name: source.name,
  version: source.version,
  description: source.description,
  license: rootPkg.license,
  engines: rootPkg.engines,
  type: 'commonjs',
  main: entries.require.default,
  types: entries.require.types,
  exports: { '.': entries, './package.json': './package.json' },
  dependencies: source.dependencies ?? {},
};
writeFileSync(join(outdir, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
console.error(`package-lib: dist/libs/${lib}/package.json (${pkg.name}@${pkg.version})`);
