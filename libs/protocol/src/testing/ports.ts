import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: for programs that take a port flag, and
 * for an endpoint where nothing listens. Prefer `tcp://127.0.0.1:*` where a socket binds.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `tcp://127.0.0.1:<free port>`. */
export async function freeEndpoint(): Promise<string> {
  return `tcp://127.0.0.1:${await freePort()}`;
}
