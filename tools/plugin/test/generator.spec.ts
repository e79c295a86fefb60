// The service generator on a workspace in memory: what it writes for each role, and the options
// it refuses. The scratch-workspace test (service.e2e.spec.ts) runs what it writes.
import { readJson } from '@nx/devkit';
import type { Tree } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { OptionError } from '@zmq-mq/protocol';
import { serviceGenerator } from '../src';

function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  tree.write('tsconfig.json', JSON.stringify({ files: [], references: [{ path: './libs/x' }] }));
  return tree;
}

/** The files `generate` writes in apps/, and the root tsconfig.json. */
async function written(tree: Tree, generate: () => Promise<unknown>): Promise<string[]> {
  await generate();
  return tree
    .listChanges()
    .map((c) => c.path)
    .filter((path) => path.startsWith('apps/') || path === 'tsconfig.json')
    .sort();
}

describe('nx g @zmq-mq/tools:service', () => {
  // formatFiles cannot load a formatter inside Jest; the scratch-workspace test formats for real.
  const skipFormat = process.env.NX_SKIP_FORMAT;
  beforeAll(() => {
    process.env.NX_SKIP_FORMAT = 'true';
  });
  afterAll(() => {
    if (skipFormat === undefined) delete process.env.NX_SKIP_FORMAT;
    else process.env.NX_SKIP_FORMAT = skipFormat;
  });

  it.each([
    ['producer', 'ZMQMQ_INGRESS', 'DEFAULT_INGRESS'],
    ['subscriber', 'ZMQMQ_PUBLISH', 'DEFAULT_PUBLISH'],
    ['worker', 'ZMQMQ_PUSH', 'DEFAULT_PUSH'],
  ] as const)(
    'makes a %s in apps/NAME, on the SDK and the contracts',
    async (role, variable, fallback) => {
      const tree = workspace();
      const files = await written(tree, () =>
        serviceGenerator(tree, { name: 'orders-audit', role, topics: 'orders.' }),
      );
      expect(files).toEqual([
        'apps/orders-audit/README.md',
        'apps/orders-audit/jest.config.js',
        'apps/orders-audit/project.json',
        'apps/orders-audit/src/main.ts',
        'apps/orders-audit/src/service.ts',
        'apps/orders-audit/test/service.spec.ts',
        'apps/orders-audit/tsconfig.app.json',
        'apps/orders-audit/tsconfig.json',
        'apps/orders-audit/tsconfig.spec.json',
        'tsconfig.json',
      ]);
      const read = (file: string) => tree.read(`apps/orders-audit/${file}`, 'utf8') as string;
      expect(readJson(tree, 'apps/orders-audit/project.json')).toMatchObject({
        name: 'orders-audit',
        tags: ['type:app', 'scope:service'],
        targets: {
          build: { options: { command: 'node tools/scripts/build-app.mjs orders-audit' } },
          test: { dependsOn: ['build', '^build', { projects: ['broker'], target: 'build' }] },
        },
      });
      expect(read('src/main.ts')).toContain(`(process.env.${variable} ?? ${fallback}).split(',')`);
      expect(read('src/service.ts')).toMatch(
        /export const topics = topicsWithPrefix\(teamTopics, ['"]orders\.['"]\);/,
      );
      expect(read('src/service.ts')).toContain('export class OrdersAudit {');
      expect(read('README.md')).toContain(
        `npx nx g @zmq-mq/tools:service orders-audit --role ${role} --topics orders.`,
      );
      // No template syntax is left anywhere.
      for (const file of files) expect(tree.read(file, 'utf8')).not.toMatch(/<%|%>/);
      expect(readJson(tree, 'tsconfig.json').references).toEqual([
        { path: './libs/x' },
        { path: './apps/orders-audit' },
      ]);
    },
  );

  it('takes every topic of the contracts without --topics', async () => {
    const tree = workspace();
    await serviceGenerator(tree, { name: 'all', role: 'subscriber' });
    expect(tree.read('apps/all/src/service.ts', 'utf8')).toMatch(
      /topicsWithPrefix\(teamTopics, (''|"")\)/,
    );
  });

  it('refuses a bad name, a taken name, an unknown role and a prefix of no topic', async () => {
    const tree = workspace();
    tree.write('apps/taken/README.md', '');
    const refusal = (options: Parameters<typeof serviceGenerator>[1]) =>
      serviceGenerator(tree, options).then(
        () => 'generated',
        (err: unknown) => (err instanceof OptionError ? err.message : String(err)),
      );
    expect(await refusal({ name: 'Orders', role: 'worker' })).toBe(
      'name: must be lower case letters, digits and dashes, from a letter (got "Orders")',
    );
    expect(await refusal({ name: 'taken', role: 'worker' })).toBe(
      'name: is taken: a project or apps/taken exists (got "taken")',
    );
    expect(await refusal({ name: 'x', role: 'broker' as 'worker' })).toBe(
      '--role: must be one of producer, subscriber, worker (got "broker")',
    );
    expect(await refusal({ name: 'x', role: 'worker', topics: 'billing.' })).toMatch(
      /^--topics: is the prefix of no topic in libs\/contracts \(orders\.created, .*\) \(got "billing\."\)$/,
    );
    expect(tree.exists('apps/x')).toBe(false);
  });
});
