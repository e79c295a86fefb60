/**
 * Brokers and Python peers for the interoperability tests: the original design's pyzmq
 * broker and ours (as a process), and Python consumers whose output is parsed back into frames.
 */
import { Broker, type BrokerOptionsInput } from '@zmq-mq/broker';
import { freeEndpoint, waitFor } from '@zmq-mq/protocol/testing';
import { appMain } from './paths';
import { startNode, type TestProcess } from './process';
import { startPython } from './python';

/** A running broker's three endpoints, and how to stop it. */
export interface RunningBroker {
  readonly ingress: string;
  readonly publish: string;
  readonly push: string;
  stop(): Promise<void>;
}

/** fixtures/original_broker.py on ephemeral ports. */
export async function startOriginalBroker(): Promise<RunningBroker> {
  const any = 'tcp://127.0.0.1:*';
  const proc = startPython('original_broker.py', [
    '--ingress',
    any,
    '--publish',
    any,
    '--push',
    any,
  ]);
  try {
    const line = await proc.waitForLine(/^ready /, 10000, 'stdout');
    const [, ingress = '', publish = '', push = ''] = line.split(' ');
    return { ingress, publish, push, stop: () => stopProcess(proc) };
  } catch (err) {
    proc.kill();
    throw err;
  }
}

/**
 * Our Broker class, embedded in the test process, on ephemeral ports, silent, monitor and
 * durable queues off; `options` override any of that.
 */
export async function startEmbeddedBroker(
  options: BrokerOptionsInput = {},
): Promise<RunningBroker> {
  const any = 'tcp://127.0.0.1:*';
  const broker = new Broker({
    ingress: any,
    publish: any,
    push: any,
    monitor: null,
    reliable: null,
    logLevel: 'silent',
    ...options,
  });
  const { ingress, publish, push } = await broker.start();
  return { ingress, publish, push, stop: async () => void (await broker.stop()) };
}

/**
 * Our built broker (`node dist/apps/broker/main.js`) on free ports, monitor and durable queues
 * off (the durable queues' tests start it themselves: src/durable.ts).
 */
export async function startBrokerProcess(
  extraArgs: readonly string[] = [],
): Promise<RunningBroker> {
  const [ingress, publish, push] = [
    await freeEndpoint(),
    await freeEndpoint(),
    await freeEndpoint(),
  ];
  const args = [
    '--ingress',
    ingress,
    '--publish',
    publish,
    '--push',
    push,
    '--monitor',
    'off',
    '--reliable',
    'off',
  ];
  const proc = startNode(appMain('broker'), [...args, ...extraArgs]);
  try {
    await proc.waitForLine(/"msg":"broker started"/, 10000, 'stdout');
    return { ingress, publish, push, stop: () => stopProcess(proc) };
  } catch (err) {
    proc.kill();
    throw err;
  }
}

async function stopProcess(proc: TestProcess): Promise<void> {
  try {
    const exit = await proc.stop('SIGTERM', 10000);
    if (exit.code !== 0) throw new Error(`exited with ${JSON.stringify(exit)}:\n${proc.output}`);
  } finally {
    proc.kill();
  }
}

/** A Python consumer (fixtures/consumer.py) and the messages it printed, as frames. */
export class PythonConsumer {
  private constructor(readonly proc: TestProcess) {}

  /** Starts `consumer.py sub|pull --connect endpoint` and waits for its `ready` line. */
  static async start(
    mode: 'sub' | 'pull',
    endpoint: string,
    args: readonly string[] = [],
  ): Promise<PythonConsumer> {
    const proc = startPython('consumer.py', [mode, '--connect', endpoint, ...args]);
    try {
      await proc.waitForLine(/^ready$/, 10000, 'stdout');
    } catch (err) {
      proc.kill();
      throw err;
    }
    return new PythonConsumer(proc);
  }

  /** Every message printed so far, frame by frame. */
  messages(): Buffer[][] {
    return this.proc.stdoutLines
      .filter((line) => line.startsWith('{'))
      .map((line) =>
        (JSON.parse(line) as { frames: string[] }).frames.map((h) => Buffer.from(h, 'hex')),
      );
  }

  /** Waits until a message satisfies `match`; returns every message up to and including it. */
  async waitFor(match: (frames: Buffer[]) => boolean, timeoutMs = 10000): Promise<Buffer[][]> {
    let upTo: Buffer[][] = [];
    await waitFor(
      () => {
        const all = this.messages();
        const at = all.findIndex(match);
        upTo = all.slice(0, at + 1);
        return at >= 0;
      },
      timeoutMs,
      () => `a matching message from consumer.py:\n${this.proc.output}`,
    );
    return upTo;
  }

  kill(): void {
    this.proc.kill();
  }
}

/** A message of one frame. */
export function frames(...parts: Array<string | Uint8Array>): Buffer[] {
  return parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)));
}

/** Drops the probes that precede the real messages; fails if a probe comes after one. */
export function withoutProbes(received: Buffer[][], isProbe: (m: Buffer[]) => boolean): Buffer[][] {
  const firstReal = received.findIndex((m) => !isProbe(m));
  const real = firstReal < 0 ? [] : received.slice(firstReal);
  if (real.some(isProbe)) throw new Error('a probe arrived after the real messages');
  return real;
}
