import { existsSync } from 'node:fs';
import { APPS, appMain } from './paths';

/**
 * The tests run the apps' deployable bundles, which their Nx `build` targets make before e2e's
 * tests start (e2e's `test` target depends on them). Run directly by Jest, say which is missing.
 */
export default function globalSetup(): void {
  const missing = APPS.filter((app) => !existsSync(appMain(app)));
  if (missing.length > 0) {
    throw new Error(
      `e2e: ${missing.map((app) => appMain(app)).join(', ')} not built; run \`npx nx test e2e\`, which builds the apps first`,
    );
  }
}
