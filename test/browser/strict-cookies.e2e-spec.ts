import { createServer, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { ConsoleErrors, describeInBrowser, launchBrowser, newPage, signIn } from '../support/browser.js';
import { partnerToken } from '../support/session.js';
import { freePort, startServer, type TestServer, WRITE_TOKEN } from '../support/server.js';

/**
 * SESSION_COOKIE_SAMESITE=strict with partner SSO, in Chromium: a link from another site (localhost is
 * another site than 127.0.0.1) brings no strict cookie, so the landing first hands the URL on through a
 * page of its own; only then can it see who is signed in, and refuse to swap them for the link's person.
 */
const SECRET = 'partner-secret-for-the-strict-suite-0123456789';
const SIGNED_IN = { email: 'strict.owner@browser.example', password: 'owner password for strict' };
const OTHER = 'strict.other@browser.example';

let t: TestServer;
let browser: Browser;
let partner: Server;
let partnerUrl: string;
let links: Record<string, string> = {};

describeInBrowser('strict session cookies and a cross-site sign-in link', () => {
  beforeAll(async () => {
    [t, browser] = await Promise.all([
      startServer({
        SESSION_COOKIE_SAMESITE: 'strict',
        JWT_SSO_SECRET: SECRET,
        JWT_SSO_AUTO_CREATE_USERS: 'true',
      }),
      launchBrowser(),
    ]);
    const created = await t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: SIGNED_IN });
    expect(created.status).toBe(201);
    const port = await freePort();
    partnerUrl = `http://localhost:${port}`;
    partner = createServer((request, res) => {
      const href = links[request.url ?? ''] ?? '';
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<a id="go" href="${href}">Open Latchkey</a>`);
    });
    await new Promise<void>((resolve) => partner.listen(port, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    partner?.close();
    await Promise.all([browser?.close(), t?.stop()]);
  });

  function link(email: string): string {
    return `${t.baseUrl}/?token=${partnerToken(SECRET, { email })}`;
  }

  it('signed in as one person, a link for another is refused (409), nothing spent; a link for the same person lands', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    await signIn(page, t.baseUrl, SIGNED_IN.email, SIGNED_IN.password);
    const before = await t.db.query('SELECT count(*)::int AS n FROM sso_replay');

    links = { '/other': link(OTHER), '/same': link(SIGNED_IN.email) };
    await page.goto(`${partnerUrl}/other`);
    const answer = page.waitForResponse(
      (res) => res.url().startsWith(`${t.baseUrl}/?token=`) && res.status() === 409,
    );
    await page.click('#go');
    await answer;
    await page.waitForSelector('text=You are signed in as');
    expect(await page.textContent('body')).toContain(SIGNED_IN.email);
    const after = await t.db.query('SELECT count(*)::int AS n FROM sso_replay');
    expect(after.rows[0].n).toBe(before.rows[0].n);
    expect((await t.db.query('SELECT 1 FROM users WHERE email = $1', [OTHER])).rowCount).toBe(0);

    await page.goto(`${partnerUrl}/same`);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#go')]);
    expect((await page.textContent('[data-field="email"]'))?.trim()).toBe(SIGNED_IN.email);
    expect(errors.unexpected(/status of 409/)).toEqual([]);
    await context.close();
  });

  it('signed out, a cross-site link signs the person in and the first page sees the new session', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    links = { '/new': link('strict.new@browser.example') };
    await page.goto(`${partnerUrl}/new`);
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#go')]);
    expect((await page.textContent('[data-field="email"]'))?.trim()).toBe('strict.new@browser.example');
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });
});
