// A monitor with a token, in a real browser (Debian's chromium): the page is behind the sign-in
// form, and once signed in the page, its assets and its event stream all pass on the cookie.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium, type Browser } from '../src/browser';
import { appMain } from '../src/paths';
import { startNode, type TestProcess } from '../src/process';

const TOKEN = 'browser-sign-in-token-5b9e01';

describe('the dashboard of a monitor with a token', () => {
  let browser: Browser;
  let dir: string;
  let broker: TestProcess | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
    dir = mkdtempSync(join(tmpdir(), 'zmqmq-e2e-login-'));
  });
  afterAll(async () => {
    broker?.kill();
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('asks for the token, then goes live on the cookie alone', async () => {
    const token = join(dir, 'monitor.token');
    writeFileSync(token, `${TOKEN}\n`);
    const any = 'tcp://127.0.0.1:*';
    broker = startNode(appMain('broker'), [
      ...['--ingress', any, '--publish', any, '--push', any, '--reliable', 'off'],
      ...['--monitor', '127.0.0.1:0', '--monitor-token-file', token],
    ]);
    const { monitor } = JSON.parse(await broker.waitForLine(/"msg":"broker started"/)) as {
      monitor: string;
    };
    const page = browser.page;
    const statuses: number[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname === '/events') statuses.push(r.status());
    });

    const first = await page.goto(`${monitor}/`);
    expect(first?.status()).toBe(401);
    await page.locator('input[name="token"]').fill('a wrong token, long enough');
    await page.locator('button[type="submit"]').click();
    await page.locator('[role="alert"]', { hasText: 'Wrong token.' }).waitFor();

    await page.locator('input[name="token"]').fill(TOKEN);
    await page.locator('button[type="submit"]').click();
    await page.locator('#status[data-state="live"]').waitFor({ timeout: 15_000 });
    expect(new URL(page.url()).pathname).toBe('/');
    // The cookie cannot be read by a script of the page, and went with the event stream.
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(statuses).toContain(200);
    expect(await broker.stop()).toEqual({ code: 0, signal: null });
    broker = undefined;
  });
});
