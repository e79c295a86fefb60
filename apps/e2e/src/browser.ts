import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO_ROOT } from './paths';

/** Debian's chromium, which `npm test` installs with apt-get when missing (never a download). */
export const CHROMIUM = '/usr/bin/chromium';

/** Where browser tests and the screenshot script write screenshots (tmp/ is not committed). */
export const ARTIFACTS = join(REPO_ROOT, 'tmp', 'artifacts');

/**
 * Flags for a quiet, quick headless start: no GPU, no sandbox (root in containers), and no
 * traffic of Chromium's own (no QUIC, updates, sync, first-run or background requests), so the
 * only requests are the page's.
 */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A headless Chromium with a fresh profile; `close()` ends it and removes the profile. */
export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Starts Chromium (a fresh --user-data-dir under tmp/) with one page of `width` × `height`. */
export async function launchChromium(width = 1280, height = 900): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: \`npm test\` installs it (as root), or: apt-get install -y chromium`,
    );
  }
  mkdirSync(join(REPO_ROOT, 'tmp'), { recursive: true });
  const profile = mkdtempSync(join(REPO_ROOT, 'tmp', 'chromium-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width, height },
      timeout: 30_000,
    });
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a screenshot of `page` as ARTIFACTS/`name`.png; returns its path. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}
