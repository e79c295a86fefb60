// Our broker in the durable-queue benchmark: started with its reliable port on a free loopback
// port, one queue, and the store's flags; ready once its port answers HELLO with WELCOME.
import { existsSync } from 'node:fs';
import { Dealer } from 'zeromq';
import { SOCKET_FLAGS, brokerNodeArgs, ourBrokerHelp } from '../brokers';
import { BROKER_MAIN } from '../paths';
import type { Child, ProcessGroup } from '../processes';
import type { QueueNames } from './messages';
import { freePort } from './ports';
import * as wire from './zmq-mq-protocol';

export const START_TIMEOUT_MS = 20_000;

/** Why zmq-mq does not run, when its broker has no reliable port (yet). */
export const ZMQ_MQ_UNAVAILABLE = 'reliable port not available';

/**
 * The broker's environment: this one without the `ZMQMQ_NATS_*` variables (an exported
 * `ZMQMQ_NATS_PASSWORD` would stop an LMDB broker: it needs a NATS store; the benchmark gives
 * the JetStream broker its login itself), plus `extra`. Other `ZMQMQ_*` variables still reach
 * the broker (README: "Environment variables"); the flags the benchmark gives win over them.
 */
export function brokerEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('ZMQMQ_NATS_')) env[k] = v;
  return { ...env, ...extra };
}

/** Our broker with its reliable port on a free port, the queue of `names`, and `storeArgs`. */
export async function startOurBroker(
  group: ProcessGroup,
  names: QueueNames,
  storeArgs: readonly string[],
  env: NodeJS.ProcessEnv = brokerEnv(),
): Promise<{ child: Child; url: string }> {
  const port = await freePort();
  const url = `tcp://127.0.0.1:${port}`;
  const child = group.spawn(
    'zmq-mq',
    process.execPath,
    [
      ...brokerNodeArgs(),
      BROKER_MAIN,
      ...SOCKET_FLAGS,
      '--monitor',
      'off',
      '--reliable',
      url,
      '--queue',
      `${names.queue}=${names.prefix}`,
      ...storeArgs,
    ],
    undefined,
    env,
  );
  try {
    await child.waitForLine(/"msg":"broker started"/, START_TIMEOUT_MS);
    await helloProbe(url);
  } catch (err) {
    await child.stop('SIGTERM', 5000);
    throw new Error(`${ZMQ_MQ_UNAVAILABLE} (${(err as Error).message})`, { cause: err });
  }
  return { child, url };
}

/** Why our broker cannot run here, or null. */
export function ourBrokerUnavailable(): string | null {
  if (!existsSync(BROKER_MAIN)) return `${ZMQ_MQ_UNAVAILABLE} (the broker is not built)`;
  return ourBrokerHelp().includes('--reliable')
    ? null
    : `${ZMQ_MQ_UNAVAILABLE} (the broker does not accept --reliable)`;
}

/** HELLO on the reliable port, answered by WELCOME (bounded): the port is there. */
async function helloProbe(url: string): Promise<void> {
  const socket = new Dealer({ linger: 0, receiveTimeout: START_TIMEOUT_MS });
  try {
    socket.connect(url);
    await socket.send(wire.hello('bench-probe', 1000));
    const reply = wire.decodeCommand(await socket.receive());
    if (reply.name !== 'WELCOME') throw new Error(`HELLO answered by ${reply.name}`);
    await socket.send(wire.bye());
  } finally {
    socket.close();
  }
}
