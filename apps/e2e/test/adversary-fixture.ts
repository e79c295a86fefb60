import type { ZmtpSocketType } from '@zmq-mq/protocol';
import { RawPeer, zmtpHandshake } from '@zmq-mq/protocol/testing';
import { BrokerProcess, NormalFlow } from '../src/adversary';

/** Most the broker's peak memory may rise over its baseline in the adversarial tests (MB). */
export const MEMORY_BOUND_MB = 64;

/** What an adversarial test starts with: the broker, the flow, the broker's RSS before (MB). */
export interface Arena {
  broker: BrokerProcess;
  flow: NormalFlow;
  baselineMb: number;
}

/**
 * The end of every adversarial test: the flow delivers a run after the attack, the broker's
 * peak memory (VmHWM, over the whole test) stayed within MEMORY_BOUND_MB of its baseline, and
 * the broker stops cleanly on SIGTERM.
 */
export async function expectUnharmed({ broker, flow, baselineMb }: Arena): Promise<void> {
  await flow.deliver(500, 'after');
  const { peakMb, rssMb } = broker.memory();
  const name = expect.getState().currentTestName ?? '';
  console.log(
    `${name.slice(0, 60)}: broker RSS ${baselineMb.toFixed(0)} MB before, peak ${peakMb.toFixed(0)} MB, ${rssMb.toFixed(0)} MB after`,
  );
  expect(peakMb - baselineMb).toBeLessThan(MEMORY_BOUND_MB);
  await broker.stop();
}

const ROLE_OF = { ingress: 'producers', publish: 'subscribers', push: 'workers' } as const;

/**
 * For a describe block: `start(args)` starts a broker process with a normal flow that has
 * delivered a first run, `raw(endpoint)` opens hostile connections, `peer(port, type)` one that
 * completes a ZMTP 3 handshake as a socket of `type` (and waits until the broker counts it),
 * `track(x)` keeps anything else to close; afterEach closes and kills everything.
 */
export function adversaryFixture(): {
  start(args?: string[], openFiles?: number): Promise<Arena>;
  raw(endpoint: string): Promise<RawPeer>;
  peer(port: keyof typeof ROLE_OF, type: ZmtpSocketType): Promise<RawPeer>;
  readonly raws: RawPeer[];
  track<T extends { close(): unknown }>(thing: T): T;
} {
  let arena: Partial<Arena> = {};
  const raws: RawPeer[] = [];
  const tracked: Array<{ close(): unknown }> = [];
  afterEach(() => {
    for (const r of raws.splice(0)) r.destroy();
    for (const t of tracked.splice(0)) t.close();
    arena.flow?.close();
    arena.broker?.kill();
    arena = {};
  });
  const raw = async (endpoint: string): Promise<RawPeer> => {
    const peer = await RawPeer.open(endpoint);
    raws.push(peer);
    return peer;
  };
  return {
    raws,
    raw,
    async peer(port, type) {
      const broker = arena.broker as BrokerProcess;
      const role = ROLE_OF[port];
      const before = (await broker.stats()).connections[role].handshakes;
      const peer = await raw(broker.started[port]);
      await peer.write(zmtpHandshake(type));
      await broker.untilStats(
        (s) => s.connections[role].handshakes === before + 1,
        `a raw ${type} peer on ${port}`,
      );
      return peer;
    },
    async start(args = [], openFiles) {
      arena.broker = await BrokerProcess.start(args, openFiles);
      arena.flow = await NormalFlow.open(arena.broker.started);
      await arena.flow.deliver(200, 'before');
      arena.baselineMb = arena.broker.memory().rssMb;
      return arena as Arena;
    },
    track(thing) {
      tracked.push(thing);
      return thing;
    },
  };
}
