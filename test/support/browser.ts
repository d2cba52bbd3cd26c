import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT } from './server.js';

// Debian's chromium; `.ci/run` installs it when missing. `npx playwright install` cannot download here.
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * The browser suites run wherever Chromium is installed. CI sets LATCHKEY_REQUIRE_BROWSER=1 so that a
 * missing browser fails the run instead of skipping the suites.
 */
export const describeInBrowser: jest.Describe =
  existsSync(CHROMIUM) || process.env.LATCHKEY_REQUIRE_BROWSER === '1' ? describe : describe.skip;

if (!existsSync(CHROMIUM) && process.env.LATCHKEY_REQUIRE_BROWSER !== '1') {
  process.stderr.write(
    `\n  Browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium)\n\n`,
  );
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };

/** Console errors and uncaught exceptions of every page (and frame) of a context, for "no console errors". */
export class ConsoleErrors {
  readonly messages: string[] = [];

  watch(page: Page): Page {
    page.on('console', (message) => {
      if (message.type() === 'error') this.messages.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => this.messages.push(`${page.url()}: uncaught ${error.message}`));
    return page;
  }

  /** The messages not explained by one of `expected` (e.g. the 401 of a deliberately wrong password). */
  unexpected(...expected: RegExp[]): string[] {
    return this.messages.filter((m) => !expected.some((pattern) => pattern.test(m)));
  }
}

export async function newPage(
  browser: Browser,
  errors: ConsoleErrors,
  viewport = DESKTOP,
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  context.on('page', (page) => errors.watch(page));
  const page = await context.newPage();
  return { context, page };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Signs in through the sign-in form, as a person would, and waits for the page it leads to. */
export async function signIn(page: Page, baseUrl: string, login: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.fill('#username', login);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((url) => url.pathname !== '/login'), page.click('#login-submit')]);
}
