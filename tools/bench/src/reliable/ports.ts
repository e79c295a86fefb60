// Loopback ports for the servers the durable-queue benchmark starts.
import { connect as netConnect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Child } from '../processes';

/** A port free on 127.0.0.1 now (for servers that cannot bind port 0 and say which they got). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port (bounded). */
export async function waitForPort(port: number, child: Child, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = netConnect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!child.running) throw new Error(`${child.name} exited:\n${child.tail()}`);
    if (Date.now() > deadline)
      throw new Error(`${child.name}: port ${port} not open within ${timeoutMs} ms`);
    await sleep(50);
  }
}
