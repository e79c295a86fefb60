// The packed libraries in a folder outside the repository, as another repository's service gets
// them: `npm pack` of each build, `npm install` of the tarballs (with their runtime dependencies
// only, from the registry or npm's cache), `tsc --noEmit` over programs that use them, then a
// producer, a subscriber and a worker run there against the built broker, as an ES module and as
// CommonJS.
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { examples } from '@zmq-mq/contracts';
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';
import { REPO_ROOT } from '../src/paths';
import { packLibraries, PACKED_LIBS, runIn, workspaceVersion, type Packed } from '../src/outside';

const FIXTURES = join(__dirname, '..', 'fixtures', 'outside');
const PROGRAMS = ['program.mjs', 'program.cjs', 'types.mts', 'types.cts', 'tsconfig.json'];

describe('the packed libraries, outside the repository', () => {
  let dir: string;
  let packed: Packed[];
  let broker: RunningBroker | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'zmq-mq-outside-'));
    packed = await packLibraries(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'outside', version: '1.0.0', private: true }, null, 2),
    );
    for (const file of PROGRAMS) copyFileSync(join(FIXTURES, file), join(dir, file));
    await runIn(dir, 'npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...packed.map((p) => `./${p.filename}`),
    ]);
    // The outside project's own tools for the type check, at the workspace's versions.
    await runIn(dir, 'npm', [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--save-dev',
      `typescript@${workspaceVersion('typescript')}`,
      `@types/node@${workspaceVersion('@types/node')}`,
    ]);
  }, 120000);

  afterEach(async () => {
    await broker?.stop();
    broker = undefined;
  });

  afterAll(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it('packs built JavaScript and declarations with an entry for import and for require', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(PACKED_LIBS.map((l) => `@zmq-mq/${l}`).sort());
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect(files).toEqual(
        expect.arrayContaining([
          'package.json',
          'index.js',
          'index.d.ts',
          'index.mjs',
          'index.d.mts',
        ]),
      );
      // No TypeScript source, and no test-support entry (it needs the workspace's devDependencies).
      expect(files.filter((f) => /\.[mc]?ts$/.test(f) && !/\.d\.[mc]?ts$/.test(f))).toEqual([]);
      expect(files.filter((f) => /testing|stand-in/.test(f))).toEqual([]);
      const pkg = JSON.parse(
        readFileSync(join(dir, 'node_modules', p.name, 'package.json'), 'utf8'),
      );
      expect(pkg).toMatchObject({
        main: './index.js',
        types: './index.d.ts',
        exports: {
          '.': {
            import: { types: './index.d.mts', default: './index.mjs' },
            require: { types: './index.d.ts', default: './index.js' },
          },
        },
      });
      expect(pkg).not.toHaveProperty('devDependencies');
      expect(pkg).not.toHaveProperty('private');
    }
  });

  it('installs with runtime dependencies only', () => {
    const installed = (name: string) => existsSync(join(dir, 'node_modules', name, 'package.json'));
    expect(['zeromq', 'msgpackr'].filter(installed)).toEqual(['zeromq', 'msgpackr']);
    expect(['fast-check', 'jest', 'ts-jest', 'nx', 'esbuild'].filter(installed)).toEqual([]);
  });

  it('type-checks programs that use them, under import and under require (tsc --noEmit)', async () => {
    // tsconfig.json: nodenext, strict, checkJs; the .mts and .cts files hold @ts-expect-error
    // lines, which fail the check if the types resolve to `any`.
    await runIn(dir, process.execPath, [
      join('node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      '.',
    ]);
  });

  const { orderId } = examples['orders.created'];
  const { paymentId, amount } = examples['payments.settled'];
  it.each([
    {
      as: 'an ES module',
      program: 'program.mjs',
      printed: [`subscriber orders.created ${orderId} 2`, `worker orders.created ${orderId}`],
    },
    {
      as: 'CommonJS',
      program: 'program.cjs',
      printed: [
        `subscriber payments.settled ${paymentId} application/msgpack`,
        `worker payments.settled ${amount}`,
      ],
    },
  ])('runs a producer, a subscriber and a worker as $as', async ({ program, printed }) => {
    broker = await startBrokerProcess();
    const args = [program, broker.ingress, broker.publish, broker.push];
    expect(await runIn(dir, process.execPath, args)).toEqual(printed);
  });

  it('is the minimal program libs/client/README.md shows', () => {
    const readme = readFileSync(join(REPO_ROOT, 'libs', 'client', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map(([, code]) => code);
    expect(blocks).toContain(readFileSync(join(FIXTURES, 'program.mjs'), 'utf8'));
  });

  it('gives import and require one copy of each class', async () => {
    const script = [
      "import { createRequire } from 'node:module';",
      ...PACKED_LIBS.flatMap((lib) => [
        `const esm_${lib} = await import('@zmq-mq/${lib}');`,
        `const cjs_${lib} = createRequire(import.meta.url)('@zmq-mq/${lib}');`,
        `const names_${lib} = Object.keys(cjs_${lib}).filter((n) => n !== '__esModule');`,
        `console.log('${lib}', names_${lib}.length, names_${lib}.every((n) => esm_${lib}[n] === cjs_${lib}[n]));`,
      ]),
    ].join('\n');
    const out = await runIn(dir, process.execPath, ['--input-type=module', '-e', script]);
    expect(out).toEqual(
      PACKED_LIBS.map((lib) => expect.stringMatching(new RegExp(`^${lib} [1-9]\\d* true$`))),
    );
  });
});
