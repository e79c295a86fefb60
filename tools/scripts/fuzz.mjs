// `npm run fuzz -- --runs N [--seed S]`: the fuzzing properties (every `*.fuzz.spec.ts`: the
// protocol's decoders, the broker's message handling) with N runs each, a batch of generated
// messages a run, under one seed: a fresh one unless given, printed first, so that a failure
// found overnight replays with `--seed S` (fast-check also prints the path to its shrunk case).
// The test suite runs the same properties with a fixed seed and a few hundred runs each.
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { values } = parseArgs({
  options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' } },
});
const runs = Number(values.runs);
const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  console.error('usage: npm run fuzz -- --runs N [--seed S]  (N a whole number >= 1)');
  process.exit(2);
}
console.log(
  `fuzz: ${runs} runs per property, seed ${seed} (replay: npm run fuzz -- --runs ${runs} --seed ${seed})`,
);
const env = { ...process.env, ZMQMQ_FUZZ_RUNS: String(runs), ZMQMQ_FUZZ_SEED: String(seed) };
// A run of a property is at most a batch of 40 messages through the broker: a few ms.
const timeoutMs = 60_000 + runs * 100;
let status = 0;
for (const project of ['libs/protocol', 'libs/broker']) {
  const r = spawnSync(
    join(root, 'node_modules', '.bin', 'jest'),
    [
      '-c',
      join(root, project, 'jest.config.js'),
      '--testPathPatterns',
      '\\.fuzz\\.spec\\.ts$',
    ].concat(['--testTimeout', String(timeoutMs), '--reporters', 'default']),
    { cwd: join(root, project), env, stdio: 'inherit' },
  );
  status ||= r.status ?? 1;
}
process.exit(status);
