import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

// A child process whose only libuv thread is busy (a long pbkdf2): an asynchronous write to
// stdout waits behind it. It logs two lines through createLogger(), flushes and exits, as the
// broker app does after its last line. Both must come out, in order: exiting without the flush,
// the second came first.
const CHILD = `
require(process.env.TS_NODE_PATH).register({ transpileOnly: true, project: process.env.TS_PROJECT });
const { createLogger, flushLogger } = require(process.env.LOGGER_PATH);
require('node:crypto').pbkdf2('x', 'y', 2000000, 64, 'sha512', () => {});
const log = createLogger('info');
log.warn('work messages left undelivered at shutdown');
log.info('broker stopped');
flushLogger(log, 15000).then(() => process.exit(0));
`;

describe('createLogger', () => {
  it('flushLogger lets lines logged just before process.exit() come out in order', () => {
    const r = spawnSync(process.execPath, ['-e', CHILD], {
      env: {
        ...process.env,
        UV_THREADPOOL_SIZE: '1',
        TS_NODE_PATH: require.resolve('ts-node'),
        TS_PROJECT: join(__dirname, '..', 'tsconfig.json'),
        LOGGER_PATH: join(__dirname, '..', 'src', 'logger.ts'),
      },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    const msgs = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { msg: string }).msg);
    expect(msgs).toEqual(['work messages left undelivered at shutdown', 'broker stopped']);
  });
});
