import { mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirLockedError } from '../errors';

/** The lock file in a data directory: the pid of the broker that uses it. */
export const LOCK_FILE = 'broker.pid';

/** Directories locked by brokers of this process (a pid file cannot tell them apart). */
const lockedHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Creates `dir` if needed and takes it for this broker: LMDB lets several processes open one
 * environment, but the store's indexes live in one process's memory, so two brokers on one
 * directory would corrupt each other's queues. A pid file whose process is gone (a broker
 * killed with SIGKILL) is taken over. Returns the release function; throws
 * `DataDirLockedError`.
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const real = realpathSync(dir);
  if (lockedHere.has(real)) throw new DataDirLockedError(dir, process.pid);
  const file = join(real, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      let pid = NaN;
      try {
        pid = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // gone meanwhile: try again
      }
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
        throw new DataDirLockedError(dir, pid);
      }
      rmSync(file, { force: true });
    }
  }
  lockedHere.add(real);
  return () => {
    lockedHere.delete(real);
    rmSync(file, { force: true });
  };
}
