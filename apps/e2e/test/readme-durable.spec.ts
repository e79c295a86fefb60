// The README's "Durable queues" commands run as written against a broker process (its endpoints
// in place of the defaults) and print what the README shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@zmq-mq/protocol/testing';
import { appMain, REPO_ROOT, type AppName } from '../src/paths';
import { startNode } from '../src/process';
import { durableFixture } from './durable-fixture';

const SECTION = '## Durable queues';

/** The section's console block: each `$ ` command with the lines it printed. */
function readmeSession(): Array<{ command: string; output: string[] }> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n${SECTION}\n`);
  expect(start).toBeGreaterThanOrEqual(0);
  const section = readme.slice(start, readme.indexOf('\n## ', start + SECTION.length));
  const block = /```console\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  const session: Array<{ command: string; output: string[] }> = [];
  for (const line of block.split('\n').filter((l) => l !== '')) {
    if (line.startsWith('$ ')) session.push({ command: line.slice(2), output: [] });
    else session[session.length - 1]?.output.push(line);
  }
  return session;
}

/** A command line's words, as a shell splits them (single quotes only, as the README uses). */
function words(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map(([, quoted, bare]) => quoted ?? bare ?? '');
}

/** `npm start -- ARGS` or `npm run APP -- ARGS`: the program and its arguments. */
function program(command: string): { app: AppName; args: string[] } {
  const [npm, verb, ...rest] = words(command);
  expect(npm).toBe('npm');
  const app = (verb === 'start' ? 'broker' : rest.shift()) as string;
  const names: Record<string, AppName> = {
    broker: 'broker',
    produce: 'producer',
    consume: 'consumer',
    queues: 'queues',
  };
  expect(rest[0]).toBe('--');
  return { app: names[app] as AppName, args: rest.slice(1) };
}

/** A README output line as a pattern: the default endpoints and the timings may differ. */
function like(line: string): RegExp {
  const text = line
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/tcp:\/\/127\\\.0\\\.0\\\.1:5558/g, 'tcp://127\\.0\\.0\\.1:\\d+')
    .replace(/in \d+ ms/g, 'in \\d+ ms');
  return new RegExp(`^${text}$`);
}

describe('README: durable queues', () => {
  const fixture = durableFixture();

  it('shows the broker, a confirmed producer, a queue consumer and the queue list', () => {
    expect(readmeSession().map((c) => program(c.command).app)).toEqual([
      'broker',
      'producer',
      'consumer',
      'queues',
    ]);
  });

  it('its commands run against a broker process and print what it shows', async () => {
    const [start, produce, consume, list] = readmeSession();
    const broker = await fixture.broker(program(start!.command).args);
    const { reliable, monitor } = broker.ports;

    const producer = program(produce!.command);
    const sent = fixture.process(
      startNode(appMain('producer'), [...producer.args, '-c', reliable]),
    );
    expect(await sent.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    expect(sent.stdoutLines.filter((l) => l !== '')).toEqual([]);
    expect(sent.stderrLines.filter((l) => l !== '')).toEqual(
      produce!.output.map((l) => expect.stringMatching(like(l))),
    );

    // The consumer runs on (it takes the queue until stopped), as in its own terminal.
    const consumer = program(consume!.command);
    const taking = fixture.process(
      startNode(appMain('consumer'), [...consumer.args, '-c', reliable]),
    );
    const [json] = await taking.waitForStdoutLines(1, 20_000);
    const shown = JSON.parse(consume!.output.find((l) => l.startsWith('{')) as string);
    const got = JSON.parse(json as string);
    expect(Object.keys(got)).toEqual(Object.keys(shown));
    expect(got).toMatchObject({
      ...shown,
      meta: { ...shown.meta, id: got.meta.id, timestamp: got.meta.timestamp },
    });
    // Its two notices, each once (the link's event and the broker's WELCOME race each other).
    const notices = consume!.output.filter((l) => !l.startsWith('{')).map(like);
    for (const notice of notices) await taking.waitForLine(notice, 10_000, 'stderr');
    const said = taking.stderrLines.filter((l) => l !== '');
    expect(said).toHaveLength(notices.length);
    expect(said).toEqual(expect.arrayContaining(notices.map((n) => expect.stringMatching(n))));
    await waitFor(
      async () => (await broker.queue('orders')).counters.acked === 1,
      10_000,
      'the ack',
    );

    const queues = program(list!.command);
    const listed = fixture.process(
      startNode(appMain('queues'), ['--monitor', monitor, ...queues.args]),
    );
    expect(await listed.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    expect(listed.stdoutLines.filter((l) => l !== '')).toEqual(list!.output);
    expect(await taking.stop('SIGINT')).toEqual({ code: 0, signal: null });
  }, 60_000);
});
