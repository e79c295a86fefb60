// A handler that always throws: its messages become dead letters after --max-deliveries; the
// programs list, replay and purge them, and so does the monitor's HTTP API.
import { QueueWorker } from '@zmq-mq/client';
import { waitFor } from '@zmq-mq/protocol/testing';
import { getJson } from '../src/durable';
import { appMain, type AppName } from '../src/paths';
import { startNode } from '../src/process';
import { durableFixture } from './durable-fixture';

describe('durable queues: dead letters', () => {
  const fixture = durableFixture();

  /** Runs an app to its end (bounded): its exit code and stdout lines. */
  async function run(
    app: AppName,
    args: string[],
  ): Promise<{ code: number | null; lines: string[] }> {
    const p = fixture.process(startNode(appMain(app), args));
    const exit = await p.waitForExit(20_000);
    return { code: exit.code, lines: p.stdoutLines.filter((l) => l !== '') };
  }

  it('dead-letters after max deliveries; replay (CLI and HTTP) delivers again, attempt 1; purge empties', async () => {
    const broker = await fixture.broker(['--queue', 'jobs=jobs.', '--max-deliveries', '3'], {
      token: true,
    });
    const { reliable, monitor } = broker.ports;
    const token = ['--token-file', broker.tokenFile!];
    const produced = await run('producer', [
      ...['--confirm', '-c', reliable, '-t', 'jobs.run'],
      ...['{"n":1}', '{"n":2}', '{"n":3}'],
    ]);
    expect(produced.code).toBe(0);

    const failing = fixture.client(
      new QueueWorker({
        connect: reliable,
        queue: 'jobs',
        backoff: { initialMs: 10, factor: 1 },
      }),
    );
    const attempts: number[] = [];
    void failing.run(
      async (d) => {
        attempts.push(d.attempt);
        throw new Error('always fails');
      },
      { concurrency: 3, onHandlerError: () => undefined },
    );
    await waitFor(
      async () => (await broker.queue('jobs')).dead === 3,
      20_000,
      'three dead letters',
    );
    await failing.close();
    expect(attempts.sort()).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3]);

    // Dead letters show messages: the monitor's token, even to read them.
    const refused = fixture.process(
      startNode(appMain('queues'), ['--monitor', monitor, 'dead', 'jobs']),
    );
    expect((await refused.waitForExit(20_000)).code).toBe(1);
    expect(refused.stderrLines.join('\n')).toMatch(/asks for its token.*--token-file FILE/);
    const dead = await run('queues', ['--monitor', monitor, ...token, 'dead', 'jobs']);
    expect(dead.code).toBe(0);
    const letters = dead.lines.map((l) => JSON.parse(l));
    expect(letters.map((d) => [d.payload, d.reason, d.attempts])).toEqual([
      ['{"n":1}', 'max-deliveries', 3],
      ['{"n":2}', 'max-deliveries', 3],
      ['{"n":3}', 'max-deliveries', 3],
    ]);
    expect(letters[0].meta).toMatchObject({ topic: 'jobs.run', contentType: 'application/json' });

    // The CLI replays one, by seq; a consumer gets it again, as a first attempt.
    const replayed = await run('queues', [
      '-m',
      monitor,
      ...token,
      'replay',
      'jobs',
      '--seq',
      String(letters[0].seq),
    ]);
    expect(replayed).toEqual({ code: 0, lines: ['replayed 1 dead letter to jobs'] });
    const first = await run('consumer', ['queue', 'jobs', '-c', reliable, '--count', '1']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.lines[0]!)).toMatchObject({
      queue: 'jobs',
      attempt: 1,
      body: { n: 1 },
    });

    // The HTTP API replays another.
    expect(
      await getJson(
        `${monitor}/queues/jobs/replay`,
        'POST',
        JSON.stringify({ seqs: [letters[1].seq] }),
        broker.token,
      ),
    ).toEqual({ queue: 'jobs', replayed: 1 });
    const second = await run('consumer', ['queue', 'jobs', '-c', reliable, '--count', '1']);
    expect(JSON.parse(second.lines[0]!)).toMatchObject({ attempt: 1, body: { n: 2 } });

    // The last one is purged; the list shows an empty queue that delivered 8 times in all.
    expect(await run('queues', ['-m', monitor, ...token, 'purge', 'jobs'])).toEqual({
      code: 0,
      lines: ['purged 1 dead letter of jobs'],
    });
    const list = await run('queues', ['-m', monitor, ...token, 'list']);
    expect(list.code).toBe(0);
    expect(list.lines[0]).toMatch(/^queue\s+depth\s+unacked/);
    expect(list.lines[1]!.split(/\s+/).slice(0, 5)).toEqual(['jobs', '0', '0', '0', '0']);
    expect(await broker.queue('jobs')).toMatchObject({
      counters: { deadLettered: 3, replayed: 2, purged: 1, acked: 2 },
    });
    expect(await run('queues', ['-m', monitor, ...token, 'dead', 'nope'])).toMatchObject({
      code: 1,
    });
  }, 60_000);
});
