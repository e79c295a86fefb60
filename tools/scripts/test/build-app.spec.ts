// build-app.mjs as `npm run consume` uses it: several started at once, each then running the
// bundle it was promised, against one output folder; and the deploy folder's pruned lockfile.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runProcess } from './run-process';
import type { Run } from './run-process';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const BUILD_APP = join(REPO_ROOT, 'tools', 'scripts', 'build-app.mjs');

function run(command: string, args: string[]): Promise<Run> {
  return runProcess(command, args, { cwd: REPO_ROOT });
}

/** `node build-app.mjs consumer --outdir DIR && exec node DIR/main.js --help`, as the npm script does. */
function buildThenRun(outdir: string): Promise<Run> {
  const script = 'node "$1" consumer --outdir "$2" && exec node "$2/main.js" --help';
  return run('sh', ['-c', script, 'sh', BUILD_APP, outdir]);
}

function lockedVersions(lockfile: string): Map<string, Set<string>> {
  const packages = JSON.parse(readFileSync(lockfile, 'utf8')).packages as Record<
    string,
    { version?: string; link?: boolean }
  >;
  const versions = new Map<string, Set<string>>();
  for (const [path, entry] of Object.entries(packages)) {
    if (!path || entry.link || !entry.version) continue;
    const name = path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
    versions.set(name, (versions.get(name) ?? new Set()).add(entry.version));
  }
  return versions;
}

describe('build-app', () => {
  let dir: string;
  let outdir: string;

  beforeAll(() => {
    // Inside the repository, so that the bundle finds its npm packages in node_modules.
    mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
    dir = mkdtempSync(join(REPO_ROOT, 'tmp', 'build-app-'));
    outdir = join(dir, 'consumer');
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const PARALLEL = 3;
  const usage = /^Usage: zmq-mq-consume/m;

  it('three builds started at once into one empty folder each run the bundle', async () => {
    const runs = await Promise.all(Array.from({ length: PARALLEL }, () => buildThenRun(outdir)));
    for (const run of runs) {
      expect(run).toEqual({ code: 0, output: expect.stringMatching(usage) });
    }
  });

  it('three rebuilds at once leave no moment without a runnable main.js', async () => {
    writeFileSync(join(outdir, '.build-inputs.json'), '{}\n'); // every input now counts as changed
    let building = true;
    const builds = Promise.all(
      Array.from({ length: PARALLEL }, () =>
        run('node', [BUILD_APP, 'consumer', '--outdir', outdir]),
      ),
    ).finally(() => (building = false));
    // main.js is read again and again for as long as the builds go on (at most 10^6 times):
    // it must always be there and complete (esbuild ends it with its source map comment).
    const main = join(outdir, 'main.js');
    const problems = new Set<string>();
    let reads = 0;
    while (building && reads < 1_000_000) {
      reads += 1;
      try {
        if (!readFileSync(main, 'utf8').trimEnd().endsWith('//# sourceMappingURL=main.js.map')) {
          problems.add('main.js incomplete');
        }
      } catch (e) {
        problems.add(`main.js unreadable: ${(e as NodeJS.ErrnoException).code}`);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (const build of await builds) {
      expect(build).toEqual({
        code: 0,
        output: expect.stringMatching(
          /build-app: .*consumer\/main\.js with dependencies commander, msgpackr, zeromq/,
        ),
      });
    }
    expect(reads).toBeGreaterThan(0);
    expect([...problems]).toEqual([]);
    expect(await run('node', [main, '--help'])).toEqual({
      code: 0,
      output: expect.stringMatching(usage),
    });
  });

  it('builds nothing when no input changed, and rebuilds when one did', async () => {
    const before = statSync(join(outdir, 'main.js')).mtimeMs;
    const same = await buildThenRun(outdir);
    expect(same.output).toMatch(/build-app: .*consumer is up to date/);
    expect(statSync(join(outdir, 'main.js')).mtimeMs).toBe(before);

    const stampPath = join(outdir, '.build-inputs.json');
    const stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
    stamp.inputs['apps/consumer/src/main.ts'] = 'a hash of some other content';
    writeFileSync(stampPath, JSON.stringify(stamp));
    const changed = await buildThenRun(outdir);
    expect(changed.code).toBe(0);
    expect(changed.output).toMatch(/consumer\/main\.js with dependencies/);
  });

  it("bundles an app's web page for the browser, its npm imports inlined and recorded", async () => {
    const broker = join(dir, 'broker');
    const build = await run('node', [BUILD_APP, 'broker', '--outdir', broker]);
    expect(build.code).toBe(0);
    const web = join(broker, 'web');
    expect(readFileSync(join(web, 'index.html'), 'utf8')).toContain('assets/main.js');
    const script = readFileSync(join(web, 'main.js'), 'utf8');
    // One self-contained browser script: no module loader, uPlot inside with its licence.
    expect(script).not.toMatch(/\brequire\(/);
    expect(script).toContain('uPlot, MIT Licensed');
    expect(readFileSync(join(web, 'main.css'), 'utf8')).toContain('.u-legend');
    const pkg = JSON.parse(readFileSync(join(broker, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.dependencies)).not.toContain('uplot');
    const stamp = JSON.parse(readFileSync(join(broker, '.build-inputs.json'), 'utf8'));
    expect(Object.keys(stamp.inputs)).toEqual(
      expect.arrayContaining([
        'apps/broker/web/index.html',
        'apps/broker/web/main.ts',
        'node_modules/uplot/dist/uPlot.esm.js',
      ]),
    );
    expect(stamp.outputs).toEqual(expect.arrayContaining(['web/main.js', 'web/main.css']));
  });

  it('writes a lockfile holding only versions that the root lockfile holds', () => {
    const deployed = lockedVersions(join(outdir, 'package-lock.json'));
    const rootLocked = lockedVersions(join(REPO_ROOT, 'package-lock.json'));
    expect([...deployed.keys()]).toEqual(
      expect.arrayContaining(['commander', 'msgpackr', 'zeromq']),
    );
    for (const [name, versions] of deployed) {
      for (const version of versions)
        expect(`${name}@${rootLocked.get(name)?.has(version) ? version : 'missing'}`).toBe(
          `${name}@${version}`,
        );
    }
    const pkg = JSON.parse(readFileSync(join(outdir, 'package.json'), 'utf8'));
    expect(pkg.allowScripts).toEqual({ zeromq: false, 'msgpackr-extract': false });
  });
});
