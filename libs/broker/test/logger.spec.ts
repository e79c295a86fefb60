import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// A child process whose only libuv thread is busy (a long pbkdf2): an asynchronous write to
// stdout waits behind it. It logs two lines through createLogger() and exits at once, as the
// broker app does after its last line. Both must come out, in order, whether stdout is a pipe
// (here) or a file: with pino's default asynchronous destination the second came first.
const CHILD = `
require(process.env.TS_NODE_PATH).register({ transpileOnly: true, project: process.env.TS_PROJECT });
const { createLogger } = require(process.env.LOGGER_PATH);
require('node:crypto').pbkdf2('x', 'y', 2000000, 64, 'sha512', () => {});
const log = createLogger('info');
log.warn('work messages left undelivered at shutdown');
log.info('broker stopped');
process.exit(0);
`;

describe('createLogger', () => {
  it('writes each line before it returns, so lines logged just before process.exit() stay in order', () => {
    const r = spawnSync(process.execPath, ['-e', CHILD], {
      env: {
        ...process.env,
        UV_THREADPOOL_SIZE: '1',
        TS_NODE_PATH: require.resolve('ts-node'),
        TS_PROJECT: join(__dirname, '..', 'tsconfig.json'),
        LOGGER_PATH: join(__dirname, '..', 'src', 'logger.ts'),
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(0);
    const msgs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['work messages left undelivered at shutdown', 'broker stopped']);
  });
});
