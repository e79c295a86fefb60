import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, REPO_ROOT } from './paths';

/** Builds every app once, as `npx nx build <app>` would, so tests run the deployable bundles. */
export default function globalSetup(): void {
  for (const app of APPS) {
    if (!existsSync(join(REPO_ROOT, 'apps', app, 'src', 'main.ts'))) continue;
    execFileSync(process.execPath, [join(REPO_ROOT, 'tools/scripts/build-app.mjs'), app], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
  }
}
