// `npm run bench -- [flags]`: runs the brokers under the same load, prints the report and
// writes bench-results/<name>.{json,md,svg}. Every process it starts is stopped on the way out.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { join, resolve } from 'node:path';
import { brokerKind, unavailable } from './brokers';
import type { BrokerId } from './brokers';
import { parseOptions, USAGE } from './options';
import type { BenchOptions } from './options';
import { BROKER_SOURCE, REPO_ROOT } from './paths';
import { ProcessGroup } from './processes';
import { saturationTables } from './report';
import { runScenario } from './scenario';
import type { ScenarioResult } from './scenario';

const group = new ProcessGroup();

function log(line: string): void {
  console.error(`[bench] ${line}`);
}

function buildBroker(): void {
  if (!existsSync(BROKER_SOURCE)) return;
  const r = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'tools', 'scripts', 'build-app.mjs'), 'broker'],
    {
      stdio: 'inherit',
    },
  );
  if (r.status !== 0) throw new Error('building the broker failed');
}

function gitCommit(): string {
  const r = spawnSync('git', ['rev-parse', '--short', 'HEAD'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

async function saturation(options: BenchOptions, brokers: BrokerId[]): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const payloadBytes of options.payloads) {
    for (const producers of options.producers) {
      for (const id of brokers) {
        const kind = brokerKind(id);
        log(
          `saturation ${kind.label}: ${payloadBytes} B, ${producers} producer(s), ${options.windowMs} ms`,
        );
        const r = await runScenario(group, {
          broker: kind,
          payloadBytes,
          producers,
          ratePerSec: null,
          windowMs: options.windowMs,
          backpressure: !options.dropAtProducer,
        });
        log(
          `  fan-out ${Math.round(r.sub.msgsPerSec)} msg/s, work ${Math.round(r.pull?.msgsPerSec ?? 0)} msg/s, cpu ${r.cpuUsPerMsg?.toFixed(2) ?? '—'} µs/msg, broker ${r.brokerCpuSeconds?.toFixed(2) ?? '—'} s, producers ${r.harnessCpuSeconds.producers.toFixed(2)} s, consumers ${r.harnessCpuSeconds.consumers.toFixed(2)} s`,
        );
        results.push(r);
      }
    }
  }
  return results;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const buildProblem = options.build ? buildBroker() : null;
  const skipped: Record<string, string> = {};
  const brokers = options.brokers.filter((id) => {
    const why = id.startsWith('ours') && buildProblem ? buildProblem : unavailable(id);
    if (why) {
      skipped[id] = why;
      log(`skipping ${id}: ${why}`);
    }
    return why === null;
  });
  const started = new Date();
  const sat = options.saturation ? await saturation(options, brokers) : [];

  const outDir = resolve(REPO_ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const command = `npm run bench --${process.argv
    .slice(2)
    .map((a) => ` ${a}`)
    .join('')}`;
  const meta = {
    command,
    date: started.toISOString(),
    durationSec: Math.round((Date.now() - started.getTime()) / 1000),
    commit: gitCommit(),
    node: process.version,
    cpus: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    kernel: release(),
    skipped,
  };
  const markdown = [
    `## Benchmark results (${meta.date}, commit ${meta.commit})`,
    '',
    `Command: \`${command}\` — ${meta.cpus}, Node ${meta.node}.`,
    ...Object.entries(skipped).map(([id, why]) => `Skipped ${id}: ${why}.`),
    '',
    saturationTables(sat),
  ].join('\n');
  writeFileSync(
    join(outDir, `${options.name}.json`),
    JSON.stringify({ meta, saturation: sat }, null, 2) + '\n',
  );
  writeFileSync(join(outDir, `${options.name}.md`), markdown + '\n');
  console.log(markdown);
}

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping every process started`);
    group.killAll();
    process.exit(130);
  });
}
process.on('exit', () => group.killAll());

main()
  .then(() => group.stopAll())
  .catch(async (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    await group.stopAll(1000);
    process.exitCode = 1;
  });
