// `npm run bench -- [flags]`: runs the brokers under the same load, prints the report and
// writes bench-results/<name>.{json,md,svg}. Every process it starts is stopped on the way out.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { join, resolve } from 'node:path';
import { brokerKind, unavailable } from './brokers';
import type { BrokerId } from './brokers';
import { parseOptions, USAGE } from './options';
import type { BenchOptions } from './options';
import { BROKER_SOURCE, REPO_ROOT } from './paths';
import { ProcessGroup, fifoUnavailable } from './processes';
import type { Scheduling } from './processes';
import { renderChart } from './chart';
import { runMemoryTest } from './memory';
import type { MemoryResult } from './memory';
import { hotFunctions } from './profile';
import type { CpuProfile, HotFunction } from './profile';
import { curveTables, medianRun, rateTables, saturationTables } from './report';
import type { RateSearchResult } from './report';
import { reliableTables } from './reliable/report';
import { runReliable } from './reliable/run';
import type { ReliableRun } from './reliable/run';
import { redactedArgs } from './reliable/store-options';
import { runScenario } from './scenario';
import type { PathResult, ScenarioResult } from './scenario';
import { searchRate } from './search';
import { describeSpeed, speedCheck } from './speed-check';
import type { SpeedCheck } from './speed-check';

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
          meter: options.meter,
          broker: kind,
          payloadBytes,
          producers,
          ratePerSec: options.fixedRate,
          windowMs: options.windowMs,
          backpressure: !options.dropAtProducer,
          scheduling: options.scheduling,
          startOptions: { dashboard: options.dashboard },
        });
        log(
          `  fan-out ${Math.round(r.sub.msgsPerSec)} msg/s, work ${Math.round(r.pull?.msgsPerSec ?? 0)} msg/s, cpu ${r.cpuUsPerMsg?.toFixed(2) ?? '—'} µs/msg, broker ${r.brokerCpuSeconds?.toFixed(2) ?? '—'} s, producers ${r.harnessCpuSeconds.producers.toFixed(2)} s, consumers ${r.harnessCpuSeconds.consumers.toFixed(2)} s, first delivery after ${r.sub.startLagMs.toFixed(0)} ms, backlog in CPU window ${r.backlogInCpuWindow}${r.sendErrors > 0 ? `, SEND ERRORS ${r.sendErrors}` : ''}`,
        );
        results.push(r);
      }
    }
  }
  return results;
}

const LOSS_LIMIT = 0.001;
/**
 * A rate is sustainable only if each path's last message arrives within this long of the last
 * send: loss alone let an overloaded broker pass while its backlog (up to 30-60k messages of
 * 100 B in socket buffers) drained after the window (the plain forwarder passed 141k msg/s
 * with a 354 ms backlog).
 */
const LAG_LIMIT_MS = 50;

/** The rate search and the run at half the highest rate, every process scheduled `scheduling`. */
async function rateSearch(
  options: BenchOptions,
  brokers: BrokerId[],
  sat: ScenarioResult[],
  scheduling: Scheduling,
): Promise<RateSearchResult[]> {
  const combos = options.rateMatrix
    ? options.payloads.flatMap((payloadBytes) =>
        options.producers.map((producers) => ({ payloadBytes, producers })),
      )
    : [{ payloadBytes: options.payloads[0] as number, producers: options.producers[0] as number }];
  const results: RateSearchResult[] = [];
  for (const { payloadBytes, producers } of combos) {
    for (const id of brokers) {
      const kind = brokerKind(id);
      const saturated = sat.find(
        (r) => r.broker === id && r.payloadBytes === payloadBytes && r.producers === producers,
      );
      const start = saturated
        ? Math.min(saturated.sub.msgsPerSec, saturated.pull?.msgsPerSec ?? Infinity) * 0.9
        : 50_000;
      const trials: RateSearchResult['trials'] = [];
      const run = (ratePerSec: number): Promise<ScenarioResult> =>
        runScenario(group, {
          meter: options.meter,
          broker: kind,
          payloadBytes,
          producers,
          ratePerSec,
          windowMs: options.windowMs,
          scheduling,
          startOptions: { dashboard: options.dashboard },
        });
      const found = await searchRate(
        async (rate) => {
          let r: ScenarioResult;
          try {
            r = await run(rate);
          } catch (err) {
            // A process that stopped answering (a producer starved at a rate it cannot make)
            // fails this trial, not the whole run; runScenario has stopped its processes.
            log(`rate ${kind.label}: ${rate} msg/s -> run failed (${(err as Error).message}) fail`);
            trials.push({ rate, pass: false, subLoss: NaN, pullLoss: null });
            return false;
          }
          const keptUp = (p: PathResult | null): boolean =>
            p === null || (p.loss < LOSS_LIMIT && p.lagMs <= LAG_LIMIT_MS);
          const pass = keptUp(r.sub) && keptUp(r.pull);
          trials.push({ rate, pass, subLoss: r.sub.loss, pullLoss: r.pull?.loss ?? null });
          log(
            `rate ${kind.label}${scheduling === 'fifo' ? ' (SCHED_FIFO)' : ''}: ${rate} msg/s -> loss ${(r.sub.loss * 100).toFixed(3)}% / ${((r.pull?.loss ?? 0) * 100).toFixed(3)}%, lag ${r.sub.lagMs.toFixed(0)} / ${r.pull?.lagMs.toFixed(0) ?? '—'} ms ${pass ? 'pass' : 'fail'}`,
          );
          return pass;
        },
        {
          start: Math.max(start, 2000),
          minRate: 1000,
          precision: 0.05,
          maxTrials: 7,
          confirmations: options.confirmations,
        },
      );
      const halfRuns: ScenarioResult[] = [];
      for (let i = 0; found.rate !== null && i < options.halfRuns; i++) {
        let r: ScenarioResult;
        try {
          r = await run(Math.round(found.rate / 2));
        } catch (err) {
          log(`  at half: run failed (${(err as Error).message}); not counted`);
          continue;
        }
        log(
          `  at half (${r.offeredPerSec} msg/s): p99 ${r.sub.latencyUs.p99.toFixed(0)} / ${r.pull?.latencyUs.p99.toFixed(0) ?? '—'} µs, cpu ${r.cpuUsPerMsg?.toFixed(2)} µs/msg`,
        );
        halfRuns.push(r);
      }
      results.push({
        broker: id,
        label: kind.label,
        payloadBytes,
        producers,
        scheduling,
        maxRatePerSec: found.rate,
        trials,
        halfRuns,
        atHalf: medianRun(halfRuns),
      });
    }
  }
  return results;
}

async function memoryTests(options: BenchOptions, brokers: BrokerId[]): Promise<MemoryResult[]> {
  const results: MemoryResult[] = [];
  for (const id of brokers.filter((b) => b === 'ours' || b === 'ours-native')) {
    log(
      `memory ${id}: ${options.memoryMessages} x 100 B at ${options.memoryRatePerSec} msg/s, no worker`,
    );
    const r = await runMemoryTest(group, {
      broker: brokerKind(id),
      messages: options.memoryMessages,
      ratePerSec: options.memoryRatePerSec,
      queueMaxBytes: options.memoryQueueBytes,
      payloadBytes: 100,
      meter: options.meter,
    });
    log(
      `  peak RSS ${r.peakRssMb.toFixed(0)} MB (budget ${r.budgetMb.toFixed(0)} MB), queued ${r.queuedBeforeWorker ?? '?'}, delivered ${r.delivered}/${r.sent} in ${r.drainSeconds.toFixed(1)} s`,
    );
    results.push(r);
  }
  return results;
}

function memoryTable(results: MemoryResult[]): string {
  if (results.length === 0) return '';
  const rows = results.map(
    (r) =>
      `| ${r.label} | ${r.sent.toLocaleString('en-US')} | ${r.queuedBeforeWorker?.toLocaleString('en-US') ?? '—'} | ${r.peakRssMb.toFixed(0)} | ${r.budgetMb.toFixed(0)} | ${r.withinBudget ? 'yes' : 'NO'} | ${r.delivered.toLocaleString('en-US')} | ${r.drainSeconds.toFixed(1)} | ${r.drainedFully ? 'yes' : 'NO'} |`,
  );
  return [
    `### Memory: ${results[0]?.messages.toLocaleString('en-US')} messages of 100 B with no worker, then a worker connects
`,
    '| broker | sent | queued when the worker came | peak RSS MB | budget MB (queue bytes + 100 MB) | within | delivered | drain s | drained fully |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}

async function profileOurs(
  options: BenchOptions,
  brokers: BrokerId[],
  outDir: string,
): Promise<Record<string, { busyMs: number; top: HotFunction[] }>> {
  const out: Record<string, { busyMs: number; top: HotFunction[] }> = {};
  for (const id of brokers.filter((b) => b === 'ours' || b === 'ours-native')) {
    const dir = join(outDir, 'tmp', `profile-${id}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    log(`profiling ${id} under saturation (100 B, 1 producer)`);
    await runScenario(group, {
      meter: options.meter,
      broker: brokerKind(id),
      payloadBytes: 100,
      producers: 1,
      ratePerSec: null,
      windowMs: options.windowMs,
      startOptions: { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] },
    });
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) {
      log(`  no profile written in ${dir}`);
      continue;
    }
    out[id] = hotFunctions(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, 20);
    log(`  profile: ${join(dir, file)}`);
  }
  return out;
}

function profileTable(profiles: Record<string, { busyMs: number; top: HotFunction[] }>): string {
  return Object.entries(profiles)
    .map(([id, p]) =>
      [
        `### Where ${id} spends its time (node --cpu-prof, saturation, 100 B, 1 producer; ${p.busyMs.toFixed(0)} ms busy)\n`,
        '| self ms | share | function | where |',
        '| --- | --- | --- | --- |',
        ...p.top.map(
          (f) =>
            `| ${f.selfMs.toFixed(0)} | ${(f.selfShare * 100).toFixed(1)}% | \`${f.name}\` | ${f.where} |`,
        ),
        '',
      ].join('\n'),
    )
    .join('\n');
}

/** The machine speed check, logged; its checksum (which keeps the loops alive) is dropped. */
function checkSpeed(when: string): SpeedCheck {
  const { aluMs, memoryMs } = speedCheck();
  const check = { aluMs, memoryMs };
  log(`machine speed check (${when}): ${describeSpeed(check)}`);
  return check;
}

/** The load averages (1, 5 and 15 minutes), as `uptime` shows them. */
function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(', ');
}

/** The options, or exit 2 with one line naming what is wrong. */
function optionsOrExit(): BenchOptions {
  try {
    return parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    console.error(`npm run bench: ${(err as Error).message}`);
    process.exit(2);
  }
}

async function main(): Promise<void> {
  const options = optionsOrExit();
  if (options.help) {
    console.log(USAGE);
    return;
  }
  if (options.speedCheckOnly) {
    checkSpeed('alone');
    return;
  }
  const buildProblem = options.build ? buildBroker() : null;
  const skipped: Record<string, string> = {};
  // --reliable runs its own systems: the best-effort brokers are not looked at.
  const brokers = (options.reliable ? [] : options.brokers).filter((id) => {
    const why = id.startsWith('ours') && buildProblem ? buildProblem : unavailable(id);
    if (why) {
      skipped[id] = why;
      log(`skipping ${id}: ${why}`);
    }
    return why === null;
  });
  const started = new Date();
  const outDir = resolve(REPO_ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const wantFifo = options.scheduling === 'fifo' || (options.rateSearch && options.fifoSearch);
  const fifoProblem = wantFifo ? fifoUnavailable() : null;
  if (options.scheduling === 'fifo' && fifoProblem) throw new Error(`--sched fifo: ${fifoProblem}`);
  const fifo = options.rateSearch && options.fifoSearch && fifoProblem === null;
  if (fifoProblem) {
    skipped['the rate search under SCHED_FIFO'] = fifoProblem;
    log(`skipping the rate search under SCHED_FIFO: ${fifoProblem}`);
  }
  const loadAtStart = loadAverage();
  log(`load average (1, 5, 15 min) at the start: ${loadAtStart}`);
  const speedAtStart = checkSpeed('start');
  const sat = options.saturation ? await saturation(options, brokers) : [];
  const rates = options.rateSearch ? await rateSearch(options, brokers, sat, 'default') : [];
  if (fifo) rates.push(...(await rateSearch(options, brokers, sat, 'fifo')));
  const mem = options.memory ? await memoryTests(options, brokers) : [];
  const profiles = options.profile ? await profileOurs(options, brokers, outDir) : {};
  const reliable: ReliableRun | null = options.reliable
    ? await runReliable(
        group,
        {
          systems: options.systems,
          payloads: options.payloads,
          producers: options.producers,
          windowMs: options.windowMs,
          confirmWindow: options.confirmWindow,
          prefetch: options.prefetch,
          store: options.store,
        },
        log,
      )
    : null;
  const speedAtEnd = checkSpeed('end');
  const loadAtEnd = loadAverage();
  log(`load average (1, 5, 15 min) at the end: ${loadAtEnd}`);
  const command = `npm run bench --${redactedArgs(process.argv.slice(2))
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
    speedCheck: { start: speedAtStart, end: speedAtEnd },
    loadAverage: { start: loadAtStart, end: loadAtEnd },
  };
  const markdown = [
    `## Benchmark results (${meta.date}, commit ${meta.commit})`,
    '',
    `Command: \`${command}\` — ${meta.cpus}, Node ${meta.node}.`,
    ...Object.entries(skipped).map(([id, why]) => `Skipped ${id}: ${why}.`),
    '',
    `Machine speed check (the same fixed loops, 5 runs each, median and range; lower is faster; on this 2-core machine the memory loop has varied 8-fold within seconds, and figures from runs at different times are read with it beside them): at the start ${describeSpeed(speedAtStart)}; at the end ${describeSpeed(speedAtEnd)}. Load average (1, 5, 15 min, as \`uptime\`): ${loadAtStart} at the start, ${loadAtEnd} at the end.`,
    '',
    curveTables(sat),
    saturationTables(sat),
    rateTables(rates),
    memoryTable(mem),
    profileTable(profiles),
    reliable ? reliableTables(reliable) : '',
  ]
    .join('\n')
    // Sections that did not run leave empty lines behind.
    .replace(/\n{3,}/g, '\n\n');
  const results = { meta, saturation: sat, rateSearch: rates, memory: mem, profiles, reliable };
  writeFileSync(join(outDir, `${options.name}.json`), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(outDir, `${options.name}.md`), markdown + '\n');
  const caption = `${command} — ${meta.date}, ${meta.cpus}, commit ${meta.commit}`;
  const chart = sat.length + rates.length > 0;
  if (chart) writeFileSync(join(outDir, `${options.name}.svg`), renderChart(sat, rates, caption));
  log(`wrote ${join(options.outDir, options.name)}.{json,md${chart ? ',svg' : ''}}`);
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
