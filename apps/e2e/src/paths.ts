import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

/** The deployable apps, built into dist/apps/<app> by their Nx build targets before the tests. */
export const APPS = ['broker', 'producer', 'consumer', 'queues'] as const;
export type AppName = (typeof APPS)[number];

/** Path of an app's built entry point. */
export function appMain(app: AppName): string {
  return join(REPO_ROOT, 'dist', 'apps', app, 'main.js');
}

/** The Python with Debian's pyzmq and msgpack (the pyenv python3 on PATH has neither). */
export const PYTHON = '/usr/bin/python3';

export const FIXTURES = join(__dirname, '..', 'fixtures');
