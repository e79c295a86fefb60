/**
 * The workspace's libraries as another repository gets them: packed with `npm pack` from their
 * builds (dist/libs/<lib>, made by each library's Nx `build` target), installed with npm in a
 * folder outside the repository, and programs run there.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';
import { TestProcess } from './process';

/** The libraries a service outside the repository installs. */
export const PACKED_LIBS = ['protocol', 'client', 'contracts'] as const;

/** Where a library's publishable package is built. */
export function packageDir(lib: (typeof PACKED_LIBS)[number]): string {
  return join(REPO_ROOT, 'dist', 'libs', lib);
}

/** What `npm pack --json` says of one tarball. */
export interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

// npm passes its configuration to the scripts it runs as npm_* variables (the repository's
// prefix among them): a command run for the outside folder must not inherit them.
const npmFree: NodeJS.ProcessEnv = Object.fromEntries(
  Object.keys(process.env)
    .filter((name) => /^npm_/i.test(name))
    .map((name) => [name, undefined]),
);

/** Runs a command to its end in `cwd`; resolves with its stdout lines, rejects with all output. */
export async function runIn(
  cwd: string,
  command: string,
  args: readonly string[],
  timeoutMs = 60000,
): Promise<string[]> {
  const proc = new TestProcess(command, args, {
    cwd,
    env: { ...npmFree, npm_config_update_notifier: 'false', FORCE_COLOR: '0' },
  });
  const exit = await proc.waitForExit(timeoutMs);
  if (exit.code !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited with ${JSON.stringify(exit)}:\n${proc.output}`,
    );
  }
  return proc.stdoutLines;
}

/** Packs every library into `dir`; throws naming a library that was not built. */
export async function packLibraries(dir: string): Promise<Packed[]> {
  const missing = PACKED_LIBS.filter((lib) => !existsSync(join(packageDir(lib), 'package.json')));
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not built; run \`npx nx test e2e\`, which builds them`);
  }
  const lines = await runIn(dir, 'npm', [
    'pack',
    '--json',
    '--pack-destination',
    dir,
    ...PACKED_LIBS.map(packageDir),
  ]);
  return JSON.parse(lines.join('\n')) as Packed[];
}

/** The version of a package installed in the workspace (so that npm finds it in its cache). */
export function workspaceVersion(name: string): string {
  return (require(join(REPO_ROOT, 'node_modules', name, 'package.json')) as { version: string })
    .version;
}
