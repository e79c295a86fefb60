// The service generator end to end, in a scratch copy of the workspace (its files as git sees
// them, node_modules linked): `npx nx g @zmq-mq/tools:service` makes a service of each role,
// then `nx lint`, `nx test`, `nx build` and `nx typecheck` pass for each right away, and each
// deploy folder, copied out of the workspace and installed with `npm ci --omit=dev`, runs alone
// against a broker.
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Producer, Subscriber } from '@zmq-mq/client';
import { Closer, Program, startBrokerProgram, take } from '@zmq-mq/client/testing';
import { examples, topics } from '@zmq-mq/contracts';
import { topicsWithPrefix } from '@zmq-mq/protocol';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const MINUTE = 60000;

/** The services made, one per role. */
const SERVICES = [
  { name: 'svc-feed', role: 'producer', topics: 'orders.' },
  { name: 'svc-audit', role: 'subscriber', topics: '' },
  { name: 'svc-settle', role: 'worker', topics: 'payments.' },
] as const;

// The outer Nx run and npm pass their state in NX_* and npm_* variables: the commands run in the
// scratch workspace must start afresh, as a developer's would.
const freshEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(
    Object.keys(process.env)
      .filter((name) => /^(NX_|npm_)/i.test(name))
      .map((name) => [name, undefined]),
  ),
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: '0',
};

/** Runs a command in `cwd` to its end; rejects with its output unless it exits with 0. */
async function run(
  cwd: string,
  command: string,
  args: string[],
  timeoutMs: number,
): Promise<string> {
  const program = new Program(command, args, { cwd, env: freshEnv });
  const exit = await program.exit(timeoutMs);
  if (exit.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} ended with ${JSON.stringify(exit)}:\n${program.output}`,
    );
  }
  return program.output;
}

/** The workspace's files as git sees them (tracked, or new and not ignored), copied to `to`. */
function copyWorkspace(to: string): void {
  const listed = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  for (const file of listed.toString('utf8').split('\0')) {
    if (file === '' || !existsSync(join(REPO_ROOT, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(to, file));
  }
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

describe('nx g @zmq-mq/tools:service, in a scratch copy of the workspace', () => {
  let scratch: string;
  const deployed: string[] = [];
  const closer = new Closer();

  beforeAll(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'zmq-mq-workspace-'));
    copyWorkspace(scratch);
    for (const service of SERVICES) {
      const args = ['nx', 'g', '@zmq-mq/tools:service', service.name, '--role', service.role];
      if (service.topics !== '') args.push('--topics', service.topics);
      await run(scratch, 'npx', args, 2 * MINUTE);
    }
  }, 6 * MINUTE);

  afterEach(() => closer.closeAll());

  afterAll(() => {
    for (const dir of [scratch, ...deployed]) {
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'lints, tests, builds and type-checks each generated service right away, in sync',
    async () => {
      // Run without a terminal, Nx refuses to run tasks in a workspace whose TypeScript project
      // references are out of sync: the run passing shows the generated files are in sync.
      const projects = SERVICES.map((s) => s.name).join(',');
      const output = await run(
        scratch,
        'npx',
        [
          'nx',
          'run-many',
          '-t',
          'lint',
          'test',
          'build',
          'typecheck',
          '-p',
          projects,
          '--outputStyle=static',
        ],
        8 * MINUTE,
      );
      expect(output).toMatch(
        /Successfully ran targets lint, test, build, typecheck for 3 projects/,
      );
      for (const { name } of SERVICES) {
        expect(output).toMatch(
          new RegExp(`build-app: dist/apps/${name}/main.js with dependencies msgpackr, zeromq`),
        );
      }
    },
    10 * MINUTE,
  );

  it(
    'tags each service so that the module-boundary rule keeps it off the broker engine',
    async () => {
      const file = join(scratch, 'apps', 'svc-audit', 'src', 'engine.ts');
      writeFileSync(file, "export { Broker } from '@zmq-mq/broker';\n");
      try {
        await expect(run(scratch, 'npx', ['eslint', file], MINUTE)).rejects.toThrow(
          /A project tagged with "scope:service" can only depend on libs tagged with "scope:shared"/,
        );
      } finally {
        rmSync(file);
      }
    },
    2 * MINUTE,
  );

  /** The service's deploy folder, copied out of the workspace and installed there alone. */
  async function deploy(name: string): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), `zmq-mq-deploy-${name}-`));
    deployed.push(dir);
    cpSync(join(scratch, 'dist', 'apps', name), dir, { recursive: true });
    await run(
      dir,
      'npm',
      ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline'],
      2 * MINUTE,
    );
    return dir;
  }

  const startBroker = () => startBrokerProgram(join(scratch, 'dist', 'apps', 'broker', 'main.js'));

  it(
    'deploys the producer alone: what it sends reaches a subscriber',
    async () => {
      const dir = await deploy('svc-feed');
      const broker = closer.track(await startBroker());
      const orders = topicsWithPrefix(topics, 'orders.');
      const subscriber = closer.track(new Subscriber({ topics: orders, connect: broker.publish }));
      await subscriber.ready();
      const service = closer.track(
        new Program(process.execPath, [join(dir, 'main.js')], {
          env: { ZMQMQ_INGRESS: broker.ingress, INTERVAL_MS: '50' },
        }),
      );
      const received = await take(subscriber, 2);
      expect(received.map((env) => [env.topic, env.body])).toEqual([
        ['orders.created', examples['orders.created']],
        ['orders.cancelled', examples['orders.cancelled']],
      ]);
      expect(await service.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    3 * MINUTE,
  );

  it.each([
    ['subscriber', 'svc-audit', 'ZMQMQ_PUBLISH', 'publish'],
    ['worker', 'svc-settle', 'ZMQMQ_PUSH', 'push'],
  ] as const)(
    'deploys the %s alone: it handles what a producer sends',
    async (_role, name, variable, socket) => {
      const dir = await deploy(name);
      const broker = closer.track(await startBroker());
      const service = closer.track(
        new Program(process.execPath, [join(dir, 'main.js')], {
          env: { [variable]: broker[socket] },
        }),
      );
      await service.line(new RegExp(`^${name}: ready`));
      const producer = closer.track(new Producer({ topics, connect: broker.ingress }));
      await producer.ready();
      await producer.send('payments.settled', examples['payments.settled']);
      const line = await service.line((l) => l.startsWith('{"topic":"payments.settled"'));
      expect(JSON.parse(line)).toMatchObject({ body: examples['payments.settled'] });
      expect(await service.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    },
    3 * MINUTE,
  );
});
