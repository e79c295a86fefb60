// The Python snippets in README.md ("Using zmq-mq from other languages") run as written,
// with the default endpoints swapped for the test broker's, and print what the README says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startBrokerProcess, type RunningBroker } from '../src/interop-peers';
import { PYTHON, REPO_ROOT } from '../src/paths';
import { TestProcess } from '../src/process';

const SECTION = '## Using zmq-mq from other languages';

/** The section's ```python blocks, by the file name in their first line (`# producer.py…`). */
function readmeSnippets(): Map<string, string> {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf(SECTION);
  expect(start).toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + SECTION.length);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const snippets = new Map<string, string>();
  for (const [, code = ''] of section.matchAll(/```python\n([\s\S]*?)```/g)) {
    const name = /^# (\S+\.py)/.exec(code)?.[1];
    if (name !== undefined) snippets.set(name, code);
  }
  return snippets;
}

describe('README: using zmq-mq from Python', () => {
  let broker: RunningBroker | undefined;
  const processes: TestProcess[] = [];

  afterEach(async () => {
    for (const p of processes.splice(0)) p.kill();
    await broker?.stop();
    broker = undefined;
  });

  it('has the producer, subscriber and worker snippets', () => {
    expect([...readmeSnippets().keys()]).toEqual(['producer.py', 'subscriber.py', 'worker.py']);
  });

  it('the snippets talk through our broker and print what the README says', async () => {
    broker = await startBrokerProcess();
    const b = broker;
    const run = (name: string): TestProcess => {
      const code = (readmeSnippets().get(name) as string)
        .replace("'tcp://127.0.0.1:5555'", `'${b.ingress}'`)
        .replace("'tcp://127.0.0.1:5556'", `'${b.publish}'`)
        .replace("'tcp://127.0.0.1:5557'", `'${b.push}'`);
      expect(code).not.toContain('127.0.0.1:555'); // every default endpoint was swapped
      const proc = new TestProcess(PYTHON, ['-u', '-c', code]);
      processes.push(proc);
      return proc;
    };
    const subscriber = run('subscriber.py');
    const worker = run('worker.py');
    run('producer.py');
    // The producer sends once a second for ever; its first message may meet the slow joiner.
    await subscriber.waitForLine(/^Got: /, 10000, 'stdout');
    await worker.waitForLine(/^Got: /, 10000, 'stdout');
    expect(subscriber.stdoutLines[0]).toMatch(/^Got: \[b'abc hello\d+\.\d+'\]$/);
    expect(worker.stdoutLines[0]).toMatch(/^Got: \[b'hello\d+\.\d+'\]$/);
    expect(subscriber.stderrLines.concat(worker.stderrLines)).toEqual([]);
  });
});
