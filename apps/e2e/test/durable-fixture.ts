import { DurableBroker } from '../src/durable';
import type { TestProcess } from '../src/process';

/**
 * For a describe block of the durable queues' tests: brokers, processes and clients made
 * through it are stopped after each test (processes killed, clients closed, brokers killed and
 * their data directories removed).
 */
export function durableFixture(): {
  broker(args: readonly string[], options?: { token?: boolean }): Promise<DurableBroker>;
  process<T extends TestProcess>(p: T): T;
  client<T extends { close(): Promise<void> }>(c: T): T;
} {
  const brokers: DurableBroker[] = [];
  const procs: TestProcess[] = [];
  const clients: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const p of procs.splice(0)) p.kill();
    for (const c of clients.splice(0)) await c.close();
    for (const b of brokers.splice(0)) await b.close();
  });
  return {
    async broker(args, options) {
      const b = await DurableBroker.create(args, options);
      brokers.push(b);
      await b.start();
      return b;
    },
    process(p) {
      procs.push(p);
      return p;
    },
    client(c) {
      clients.push(c);
      return c;
    },
  };
}
