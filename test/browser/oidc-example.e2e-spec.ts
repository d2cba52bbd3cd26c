import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ConsoleErrors, describeInBrowser, launchBrowser, newPage, screenshot } from '../support/browser.js';
import { freePort, ROOT, testDataDir } from '../support/server.js';
import { createTestDatabase } from '../support/test-db.js';

/**
 * `npm run example` as a person uses it, in Chromium: examples/run-example.mjs starts Latchkey, the partner
 * app and the OIDC app and registers the OIDC app as a client; the partner's user opens Latchkey from the
 * partner app (SSO), and the OIDC app (openid-client, a confidential client) then signs them in without a
 * password. The script runs on its own DATA_DIR and on a database of the test cluster instead of its
 * embedded PostgreSQL (DATABASE_URL), on free ports, all on localhost as the printed URLs say.
 */

const PARTNER_USER = 'demo@partner.example';

let browser: Browser | undefined;
let launching: Promise<Browser> | undefined;
let db: pg.Pool;
let example: Example;
let env: Record<string, string>;
let urls: { latchkey: string; partner: string; oidcApp: string };
// The browser of the partner's user, signed in to Latchkey: the last test goes on in it.
let partnerUser: BrowserContext | undefined;

interface Example {
  child: ChildProcess;
  output: string[];
}

describeInBrowser('npm run example: partner SSO, then the OIDC app without a password', () => {
  beforeAll(async () => {
    const [latchkeyPort, partnerPort, oidcAppPort] = await distinctFreePorts(3);
    urls = {
      latchkey: `http://localhost:${latchkeyPort}`,
      partner: `http://localhost:${partnerPort}`,
      oidcApp: `http://localhost:${oidcAppPort}`,
    };
    const databaseUrl = await createTestDatabase();
    env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DATABASE_URL: databaseUrl,
      DATA_DIR: testDataDir(),
      PORT: String(latchkeyPort),
      PARTNER_PORT: String(partnerPort),
      APP_PORT: String(oidcAppPort),
      LOG_LEVEL: 'warn',
    };
    db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    // Assigned as soon as it is there, so that afterAll closes it even if the example failed to start.
    launching = launchBrowser().then((launched) => (browser = launched));
    example = await runExample(env);
    await launching;
  });

  afterAll(async () => {
    if (example) await stop(example);
    await launching?.catch(() => undefined);
    await partnerUser?.close();
    await Promise.all([browser?.close(), db?.end()]);
  });

  it('prints the three URLs and registers the OIDC app as a first-party confidential client', async () => {
    const banner = example.output.join('\n');
    expect(banner).toContain(`Partner app  ${urls.partner}`);
    expect(banner).toContain(`OIDC app     ${urls.oidcApp}`);
    expect(banner).toContain(`Latchkey     ${urls.latchkey}`);
    const { rows } = await db.query('SELECT type, first_party, redirect_uris FROM oidc_clients');
    expect(rows).toEqual([
      { type: 'confidential', first_party: true, redirect_uris: [`${urls.oidcApp}/callback`] },
    ]);
  });

  it('the partner user opens Latchkey, then signs in to the OIDC app without a password (amr sso)', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser!, errors);
    partnerUser = context;
    const visited = recordNavigations(page);
    await page.goto(urls.partner);
    await page.fill('#partner-password', 'demo');
    await Promise.all([page.waitForURL(`${urls.partner}/`), page.click('#partner-sign-in')]);
    await Promise.all([page.waitForURL(`${urls.latchkey}/`), page.click('#open-latchkey')]);
    expect((await page.textContent('[data-field="email"]'))?.trim()).toBe(PARTNER_USER);

    await signInToOidcApp(page);
    expect(await claim(page, 'email')).toBe(PARTNER_USER);
    expect(await claim(page, 'amr')).toBe('sso');
    const claims = JSON.parse((await page.textContent('#claims')) ?? '{}');
    expect(claims).toMatchObject({ iss: urls.latchkey, email: PARTNER_USER, amr: ['sso'] });
    const { rows } = await db.query('SELECT id FROM users WHERE email = $1', [PARTNER_USER]);
    expect(claims.sub).toBe(rows[0].id);
    await screenshot(page, 'oidc-app-signed-in');
    // No sign-in page of Latchkey's on the way: the partner's landing was the only sign-in.
    expect(visited.filter((url) => url.origin === urls.latchkey && url.pathname === '/login')).toEqual([]);

    // Signing out of the app leaves Latchkey's session: signing in again asks for nothing either.
    await Promise.all([page.waitForURL(`${urls.oidcApp}/`), page.click('#sign-out')]);
    await page.waitForSelector('#sign-in');
    await signInToOidcApp(page);
    expect(await claim(page, 'amr')).toBe('sso');
    expect(errors.unexpected()).toEqual([]);
  });

  it('run again on the same DATA_DIR: the same client is reused, its kept secret still works', async () => {
    await stop(example);
    example = await runExample(env);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM oidc_clients');
    expect(rows[0].n).toBe(1);
    // The partner user's browser still has its Latchkey session (the JWT secret is kept in DATA_DIR too).
    const errors = new ConsoleErrors();
    const page = errors.watch(await partnerUser!.newPage());
    await signInToOidcApp(page);
    expect(await claim(page, 'amr')).toBe('sso');
    expect(errors.unexpected()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

async function signInToOidcApp(page: Page): Promise<void> {
  if (!page.url().startsWith(urls.oidcApp)) await page.goto(urls.oidcApp);
  await Promise.all([page.waitForURL(`${urls.oidcApp}/`), page.click('#sign-in')]);
  await page.waitForSelector('#signed-in', { timeout: 10_000 }).catch(async () => {
    throw new Error(`the OIDC app did not sign in: ${await page.textContent('main')}`);
  });
}

async function claim(page: Page, name: string): Promise<string | undefined> {
  return (await page.textContent(`[data-claim="${name}"]`))?.trim();
}

function recordNavigations(page: Page): URL[] {
  const seen: URL[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame())
      seen.push(new URL(request.url()));
  });
  return seen;
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** `node examples/run-example.mjs` (what `npm run example` runs once built); resolves once it says it runs. */
function runExample(environment: Record<string, string>): Promise<Example> {
  const child = spawn(process.execPath, [join(ROOT, 'examples', 'run-example.mjs')], {
    cwd: ROOT,
    env: environment,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => void output.push(...chunk.toString().split('\n'));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`npm run example did not start within 60 s:\n${output.join('\n')}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm run example exited (${code}):\n${output.join('\n')}`));
    });
    child.stdout?.on('data', () => {
      if (output.some((line) => line.includes('example is running'))) {
        clearTimeout(timer);
        // Let the rest of the banner arrive.
        setTimeout(() => resolve({ child, output }), 100);
      }
    });
  });
}

/** Ctrl-C as a person would (SIGINT to the script): everything stops, and the script exits 0. */
function stop(running: Example): Promise<void> {
  const { child, output } = running;
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.removeAllListeners('exit');
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`npm run example exited with ${code}:\n${output.join('\n')}`));
    });
    child.kill('SIGINT');
  });
}
