// The peers come from Debian's packages: the benchmark installs a missing one itself when it
// runs as root, and otherwise says which command would.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const APT_UPDATE_TIMEOUT_MS = 5 * 60_000;
const APT_INSTALL_TIMEOUT_MS = 15 * 60_000;

let updated = false;

/** The command that installs `pkg`, for a message. */
export function installCommand(pkg: string): string {
  return `apt-get update && apt-get install -y ${pkg}`;
}

function runApt(args: string[], timeoutMs: number): string | null {
  const r = spawnSync('apt-get', args, {
    // apt's output goes to stderr with the bench's log: stdout carries the report.
    stdio: ['ignore', 2, 2],
    timeout: timeoutMs,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.error) return r.error.message;
  return r.status === 0 ? null : `exit ${r.status ?? r.signal}`;
}

/**
 * Makes sure `binary` exists, installing Debian's `pkg` when it does not (as root only).
 * Returns null when it is there, or why the peer cannot run.
 */
export function ensurePackage(
  pkg: string,
  binary: string,
  log: (line: string) => void,
  isRoot: boolean = process.getuid?.() === 0,
): string | null {
  if (existsSync(binary)) return null;
  if (!isRoot)
    return `${pkg} is not installed (${binary} missing); as root: ${installCommand(pkg)}`;
  if (!updated) {
    log('apt-get update');
    const problem = runApt(['update'], APT_UPDATE_TIMEOUT_MS);
    if (problem) return `apt-get update failed (${problem}); as root: ${installCommand(pkg)}`;
    updated = true;
  }
  log(`apt-get install -y ${pkg}`);
  const problem = runApt(['install', '-y', pkg], APT_INSTALL_TIMEOUT_MS);
  if (problem) return `apt-get install -y ${pkg} failed (${problem})`;
  return existsSync(binary) ? null : `apt-get install -y ${pkg} left no ${binary}`;
}
