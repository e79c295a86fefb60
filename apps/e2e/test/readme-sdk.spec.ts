// The README's "SDK in 20 lines" is examples/sdk-tour.ts, character for character, and the
// command the README gives for it, `npm run example:sdk`, runs it against a broker process and
// prints what the README says, then ends by itself.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';
import { REPO_ROOT } from '../src/paths';
import { TestProcess } from '../src/process';

const EXAMPLE = 'examples/sdk-tour.ts';

/** The README's ```ts blocks whose first line names `file` (`// examples/sdk-tour.ts…`). */
function readmeBlocks(file: string): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
    .map(([, code = '']) => code)
    .filter((code) => code.startsWith(`// ${file}`));
}

describe('README: the SDK in 20 lines', () => {
  let broker: RunningBroker | undefined;
  let example: TestProcess | undefined;

  afterEach(async () => {
    example?.kill();
    example = undefined;
    await broker?.stop();
    broker = undefined;
  });

  it(`shows ${EXAMPLE} exactly as it is in the repository`, () => {
    const file = readFileSync(join(REPO_ROOT, EXAMPLE), 'utf8');
    expect(readmeBlocks(EXAMPLE)).toEqual([file]);
    expect(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).toContain(
      '`npm run example:sdk` runs it',
    );
  });

  it('npm run example:sdk runs it against a broker process, prints what the README says, and ends', async () => {
    broker = await startBrokerProcess();
    example = new TestProcess('npm', ['run', 'example:sdk'], {
      // The variables the broker reads point the example's default endpoints at this broker.
      env: {
        ZMQMQ_INGRESS: broker.ingress,
        ZMQMQ_PUBLISH: broker.publish,
        ZMQMQ_PUSH: broker.push,
        npm_config_update_notifier: 'false',
        // Nx runs tests with FORCE_COLOR set, and console.log colours a number then.
        FORCE_COLOR: '0',
      },
    });
    expect(await example.waitForExit(30000)).toEqual({ code: 0, signal: null });
    // npm's own lines: `> zmq-mq@0.1.0 example:sdk` and the command
    const printed = example.stdoutLines.filter((l) => l !== '' && !l.startsWith('> '));
    expect(printed).toEqual([
      expect.stringMatching(
        /^orders\.created 42 [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
      ),
      'work o-1',
    ]);
    expect(example.stderrLines.filter((l) => l !== '')).toEqual([]);
  });
});
