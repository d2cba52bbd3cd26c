import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Frame, Page, Request } from 'playwright-core';
import {
  ConsoleErrors,
  describeInBrowser,
  launchBrowser,
  newPage,
  PHONE,
  screenshot,
  signIn,
} from '../support/browser.js';
import { freePort, ROOT, startServer, WRITE_TOKEN, type TestServer } from '../support/server.js';

/**
 * Latchkey as a person uses it, in Debian's Chromium driven by playwright-core: sign in and out with the
 * keyboard, the admin directory, API tokens and applications, the partner application's iframe, phone-width screens.
 * Every page is photographed into test/artifacts/ for review. No page may log a console error, except
 * the network error of a deliberately wrong password or a throttled attempt.
 */

const ADMIN = { email: 'admin@browser.example', password: 'admin password for the browser' };
const MEMBER = { email: 'member@browser.example', password: 'member password 123' };
const SSO_SECRET = 'partner-secret-for-the-browser-suite-0123456789';
const PARTNER_USER = 'demo@partner.example';
// What Chromium logs for a fetch that got an error status: expected only where a test provokes one.
const FAILED_FETCH = (status: number): RegExp =>
  new RegExp(`Failed to load resource: the server responded with a status of ${status}`);

let t: TestServer;
let browser: Browser;
let partner: ChildProcess;
let partnerUrl: string;

describeInBrowser('the pages in a real browser', () => {
  beforeAll(async () => {
    const partnerPort = await freePort();
    partnerUrl = `http://127.0.0.1:${partnerPort}`;
    [t, browser] = await Promise.all([
      startServer({
        BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
        JWT_SSO_SECRET: SSO_SECRET,
        JWT_SSO_AUTO_CREATE_USERS: 'true',
        FRAME_ANCESTORS: partnerUrl,
      }),
      launchBrowser(),
    ]);
    partner = await startPartner(partnerPort, t.baseUrl);
    const member = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { ...MEMBER, first_name: 'Mem', last_name: 'Ber' },
    });
    expect(member.status).toBe(201);
  });

  afterAll(async () => {
    partner?.kill('SIGTERM');
    await Promise.all([browser?.close(), t?.stop()]);
  });

  it('signs in with the keyboard alone, lands on the page asked for, and signs out', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    await page.goto(`${t.baseUrl}/users`);
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe('/login?next=%2Fusers');
    await screenshot(page, 'login');
    // The username field has the focus on arrival; Tab to the password, Enter submits.
    await page.keyboard.type(ADMIN.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(ADMIN.password);
    await Promise.all([page.waitForURL(`${t.baseUrl}/users`), page.keyboard.press('Enter')]);
    await page.waitForSelector('#users tbody tr');

    await page.goto(`${t.baseUrl}/`);
    await expectText(page, '[data-field="email"]', ADMIN.email);
    await expectText(page, '[data-field="sign-in-method"]', 'With a password');
    await expectText(page, '[data-field="source"]', 'Created in Latchkey · administrator');
    await screenshot(page, 'profile');
    const before = await activeFamilies(t, ADMIN.email);

    await Promise.all([page.waitForURL(`${t.baseUrl}/login`), page.click('#sign-out')]);
    const names = (await context.cookies()).map((c) => c.name);
    expect(names).not.toContain('access_token');
    expect(names).not.toContain('refresh_token');
    expect(await activeFamilies(t, ADMIN.email)).toBe(before - 1);
    await page.goto(`${t.baseUrl}/`);
    expect(page.url()).toBe(`${t.baseUrl}/login`);
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });

  it('says clearly when the password is wrong and when attempts are throttled', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    await page.goto(`${t.baseUrl}/login`);
    await page.fill('#username', 'nobody@browser.example');
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.fill('#password', `wrong password ${attempt}`);
      await page.click('#login-submit');
      await expectText(page, '#login-error', 'Wrong username, email or password.');
      // the password is cleared and focused for the next try
      expect(await page.inputValue('#password')).toBe('');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('password');
    }
    await page.fill('#password', 'wrong password 6');
    await page.click('#login-submit');
    await expectText(page, '#login-error', /^Too many sign-in attempts\. Try again in 1[45] minutes\.$/);
    await screenshot(page, 'login-throttled');
    expect(page.url()).toBe(`${t.baseUrl}/login`);
    expect(errors.unexpected(FAILED_FETCH(401), FAILED_FETCH(429))).toEqual([]);
    await context.close();
  });

  it('shows a member "Not allowed" on the admin pages, and no admin navigation', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    await signIn(page, t.baseUrl, MEMBER.email, MEMBER.password);
    expect(page.url()).toBe(`${t.baseUrl}/`);
    expect(await page.locator('nav[aria-label="Main"] a').allTextContents()).toEqual(['Profile']);
    for (const path of ['/users', '/tokens', '/clients']) {
      const response = await page.goto(`${t.baseUrl}${path}`);
      expect(response?.status()).toBe(403);
      await expectText(page, 'h1', 'Not allowed');
    }
    await screenshot(page, 'not-allowed');
    // Chromium reports the 403 status of the page itself; the page has no errors of its own.
    expect(errors.unexpected(FAILED_FETCH(403))).toEqual([]);
    await context.close();
  });

  it('directory: search as you type, paging, create, edit names, deactivate and reactivate', async () => {
    const seeded = Array.from({ length: 30 }, (_, i) => ({
      email: `staff${String(i + 1).padStart(2, '0')}@dir.example`,
      first_name: 'Staff',
      last_name: `Number ${i + 1}`,
    }));
    seeded.push({ email: 'grace@dir.example', first_name: 'Grace', last_name: 'Hopper' });
    seeded.push({ email: 'xss@dir.example', first_name: '<img src=x onerror=alert(1)>', last_name: 'X' });
    const sync = await t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: seeded });
    expect(sync.status).toBe(200);

    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    const unsafe = recordUnsafeRequests(page);
    await signIn(page, t.baseUrl, ADMIN.email, ADMIN.password);
    await page.goto(`${t.baseUrl}/users`);
    await page.waitForSelector('#users tbody tr[data-user-id]');

    // Search as you type: no button, the list follows the keys (and the address keeps the search).
    await page.locator('#search').pressSequentially('hopp', { delay: 30 });
    await expectRows(page, ['grace@dir.example']);
    expect(new URL(page.url()).searchParams.get('search')).toBe('hopp');
    // What users typed is shown as text, never run as markup.
    await page.fill('#search', 'xss@');
    await expectRows(page, ['xss@dir.example']);
    await expectText(page, '#users tbody .name', '<img src=x onerror=alert(1)> X');
    expect(await page.locator('#users tbody img').count()).toBe(0);

    // Paging: 30 staff, 25 a page.
    await page.fill('#search', 'staff');
    await expectText(page, '#page-info', '1–25 of 30');
    expect(await page.locator('#users tbody tr').count()).toBe(25);
    expect(await page.isDisabled('#previous-page')).toBe(true);
    await page.click('#next-page');
    await expectText(page, '#page-info', '26–30 of 30');
    expect(await page.locator('#users tbody tr').count()).toBe(5);
    expect(await page.isDisabled('#next-page')).toBe(true);
    await screenshot(page, 'directory');

    // Create.
    await page.click('#new-user');
    await page.fill('#user-email', 'New.Person@Dir.Example ');
    await page.fill('#user-first-name', 'New');
    await page.fill('#user-last-name', 'Person');
    await page.fill('#user-password', 'new person password');
    await screenshot(page, 'directory-new-user');
    await page.click('#user-submit');
    await expectText(page, '#status', 'Created new.person@dir.example.');
    const created = await userRow(t, 'new.person@dir.example');
    expect(created).toMatchObject({
      first_name: 'New',
      last_name: 'Person',
      source: 'local',
      is_active: true,
    });
    const login = await t.request('POST', '/token', {
      body: { username: 'new.person@dir.example', password: 'new person password' },
    });
    expect(login.status).toBe(200);

    // Edit names.
    await page.fill('#search', 'new.person');
    await expectRows(page, ['new.person@dir.example']);
    await page.click('button[aria-label="Edit new.person@dir.example"]');
    await page.fill('#user-first-name', 'Renamed');
    await page.click('#user-submit');
    await expectText(page, '#status', 'Saved new.person@dir.example.');
    await expectText(page, '#users tbody .name', 'Renamed Person');
    expect((await userRow(t, 'new.person@dir.example')).first_name).toBe('Renamed');

    // Deactivate (after a confirmation), then reactivate.
    await page.click('button[aria-label="Deactivate new.person@dir.example"]');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-submit');
    await expectText(page, '#status', 'Deactivated new.person@dir.example.');
    await page.waitForSelector('tr.inactive');
    expect((await userRow(t, 'new.person@dir.example')).is_active).toBe(false);
    const refused = await t.request('GET', '/api/me', {
      headers: { authorization: `Bearer ${login.body.access_token}` },
    });
    expect(refused.status).toBe(401);
    await page.click('button[aria-label="Reactivate new.person@dir.example"]');
    await expectText(page, '#status', 'Reactivated new.person@dir.example.');
    expect((await userRow(t, 'new.person@dir.example')).is_active).toBe(true);

    // An admin cannot deactivate themselves from here.
    await page.fill('#search', ADMIN.email);
    await expectRows(page, [ADMIN.email]);
    expect(await page.locator(`button[aria-label="Deactivate ${ADMIN.email}"]`).count()).toBe(0);

    // Every unsafe request the page sent carried the CSRF header, equal to the csrf_token cookie.
    const csrf = (await context.cookies()).find((c) => c.name === 'csrf_token')?.value;
    expect(unsafe.map((r) => r.method)).toEqual(['POST', 'PATCH', 'DELETE', 'PATCH']);
    for (const request of unsafe) expect(request.csrf).toBe(csrf);
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });

  it('API tokens: create with scopes, shown once with a copy button, working, then revoked', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    await signIn(page, t.baseUrl, ADMIN.email, ADMIN.password);
    await page.goto(`${t.baseUrl}/tokens`);
    await page.waitForSelector('#tokens tbody tr[data-token-id]');
    await page.fill('#token-name', 'reporting');
    await page.check('input[value="users:read"]');
    await page.uncheck('input[value="users:write"]');
    await page.click('#token-submit');
    await page.waitForSelector('#created-token:not([hidden])');
    const value = await page.inputValue('#created-token-value');
    expect(value).toMatch(/^lk_[\w-]{40,}$/);
    await page.click('#copy-token');
    await expectText(page, '#copy-status', 'Copied the token to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    await screenshot(page, 'tokens');

    // The token reads but cannot write: exactly the scopes chosen.
    expect((await t.request('GET', '/api/users', { apiToken: value })).status).toBe(200);
    const write = await t.request('POST', '/api/users', { apiToken: value, body: { email: 'w@x.example' } });
    expect(write.status).toBe(403);
    const { rows } = await t.db.query('SELECT scopes FROM api_tokens WHERE name = $1', ['reporting']);
    expect(rows).toEqual([{ scopes: ['users:read'] }]);

    // Shown once: after a reload the value is nowhere on the page.
    await page.reload();
    await page.waitForSelector('#tokens tbody tr[data-token-id]');
    expect(await page.content()).not.toContain(value);
    expect(await page.isHidden('#created-token')).toBe(true);

    await page.click('button[aria-label="Revoke reporting"]');
    await page.waitForSelector('#confirm-dialog[open]');
    await page.click('#confirm-submit');
    await expectText(page, '#status', 'Revoked reporting.');
    // the list reloads after the status says so: wait for the row to go
    await page.locator('button[aria-label="Revoke reporting"]').waitFor({ state: 'detached', timeout: 5000 });
    expect((await t.request('GET', '/api/users', { apiToken: value })).status).toBe(401);
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });

  it('applications: create with the keyboard, the secret shown once and working, edit, delete', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    const unsafe = recordUnsafeRequests(page);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: t.baseUrl });
    await signIn(page, t.baseUrl, ADMIN.email, ADMIN.password);
    await page.goto(`${t.baseUrl}/clients`);
    await expectText(page, '#clients tbody td.empty', 'No applications yet.');
    expect(await page.isChecked('input[name="scopes"][value="openid"]')).toBe(true);
    expect(await page.isDisabled('input[name="scopes"][value="openid"]')).toBe(true);

    // The whole form with the keyboard alone, in this order (the disabled openid box is skipped).
    await page.focus('#client-name');
    await page.keyboard.type('Reports');
    const focused = (): Promise<string | undefined> =>
      page.evaluate(() => {
        const e = document.activeElement;
        return e instanceof HTMLInputElement && !e.id ? `${e.name}=${e.value}` : e?.id;
      });
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('client-type-confidential');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('client-first-party');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('client-redirect-uris');
    await page.keyboard.type('https://reports.example/cb');
    await page.keyboard.press('Enter');
    await page.keyboard.type('http://localhost:3001/cb');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('client-post-logout-uris');
    for (const scope of ['profile', 'email', 'groups', 'offline_access']) {
      await page.keyboard.press('Tab');
      expect(await focused()).toBe(`scopes=${scope}`);
    }
    await page.keyboard.press('Space'); // no refresh tokens for this one
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('client-submit');
    await page.keyboard.press('Enter');

    await page.waitForSelector('#created-client:not([hidden])');
    await expectText(page, '#created-client-title', 'Created Reports.');
    const clientId = await page.inputValue('#created-client-id');
    const secret = await page.inputValue('#created-client-secret');
    expect(clientId).toMatch(/^[\w-]{20,}$/);
    expect(secret).toMatch(/^[\w-]{40,}$/);
    await page.click('#copy-client-secret');
    await expectText(page, '#copy-status', 'Copied the client secret to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await page.click('#copy-client-id');
    await expectText(page, '#copy-status', 'Copied the client ID to the clipboard.');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(clientId);
    await screenshot(page, 'clients');

    const admin = await t.request('POST', '/token', {
      body: { username: ADMIN.email, password: ADMIN.password },
    });
    expect(admin.status).toBe(200);
    const asAdmin = { authorization: `Bearer ${admin.body.access_token}` };
    const registered = await t.request('GET', `/api/clients/${clientId}`, { headers: asAdmin });
    expect(registered.body).toMatchObject({
      name: 'Reports',
      type: 'confidential',
      first_party: true,
      redirect_uris: ['https://reports.example/cb', 'http://localhost:3001/cb'],
      post_logout_redirect_uris: [],
      scopes: ['openid', 'profile', 'email', 'groups'],
    });

    // The secret shown is the client's: a client_credentials grant with it is answered with a token.
    const grant = await clientCredentials(clientId, secret);
    expect(grant.status).toBe(200);
    expect(grant.body.access_token).toEqual(expect.any(String));

    // The row, and the secret shown once: after a reload it is nowhere on the page.
    const row = `#clients tbody tr[data-client-id="${clientId}"]`;
    await expectText(page, `${row} .name`, 'Reports');
    await expectText(page, `${row} td[data-label="Type"]`, 'Confidential');
    await expectText(page, `${row} td[data-label="First-party"]`, 'Yes');
    expect(await page.locator(`${row} .uris li`).allTextContents()).toEqual([
      'https://reports.example/cb',
      'http://localhost:3001/cb',
    ]);
    await page.reload();
    await page.waitForSelector(row);
    expect(await page.content()).not.toContain(secret);
    expect(await page.isHidden('#created-client')).toBe(true);

    // Edit in a dialog, opened from the keyboard; the API's refusal is shown in the dialog.
    await page.focus('button[aria-label="Edit Reports"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#edit-dialog[open]');
    expect(await focused()).toBe('edit-name');
    expect(await page.inputValue('#edit-redirect-uris')).toBe(
      'https://reports.example/cb\nhttp://localhost:3001/cb',
    );
    expect(await page.isChecked('#edit-first-party')).toBe(true);
    await page.fill('#edit-redirect-uris', 'http://reports.example/cb');
    await page.click('#edit-submit');
    await expectText(page, '#edit-form-error', /^redirect_uris: .*https/);
    await screenshot(page, 'clients-edit');
    await page.fill(
      '#edit-redirect-uris',
      'https://reports.example/callback\n\n  https://reports.example/cb2 ',
    );
    await page.uncheck('#edit-first-party');
    await page.click('#edit-submit');
    await expectText(page, '#status', 'Saved Reports.');
    expect(await page.isVisible('#edit-dialog')).toBe(false);
    const edited = await t.request('GET', `/api/clients/${clientId}`, { headers: asAdmin });
    expect(edited.body).toMatchObject({
      name: 'Reports',
      first_party: false,
      redirect_uris: ['https://reports.example/callback', 'https://reports.example/cb2'],
    });
    await expectText(page, `${row} td[data-label="First-party"]`, 'No');
    await expectText(page, `${row} .uris li`, 'https://reports.example/callback');

    // A public client gets no secret.
    await page.fill('#client-name', 'Single-page app');
    await page.check('#client-type-public');
    await page.fill('#client-redirect-uris', 'https://spa.example/');
    await page.click('#client-submit');
    await expectText(page, '#created-client-title', 'Created Single-page app.');
    expect(await page.isHidden('#created-secret-field')).toBe(true);
    expect(await page.inputValue('#created-client-secret')).toBe('');
    const spaId = await page.inputValue('#created-client-id');
    await expectText(page, `#clients tbody tr[data-client-id="${spaId}"] td[data-label="Type"]`, 'Public');

    // Delete, after the confirmation: gone from the list and from the API, and its secret opens nothing.
    await page.click('button[aria-label="Delete Reports"]');
    await page.waitForSelector('#confirm-dialog[open]');
    await expectText(page, '#confirm-text', 'Sign-ins through “Reports” stop; its tokens stop working.');
    await page.click('#confirm-submit');
    await expectText(page, '#status', 'Deleted Reports.');
    await page.locator(row).waitFor({ state: 'detached', timeout: 5000 });
    expect((await t.request('GET', `/api/clients/${clientId}`, { headers: asAdmin })).status).toBe(404);
    expect((await clientCredentials(clientId, secret)).status).toBe(401);

    const csrf = (await context.cookies()).find((c) => c.name === 'csrf_token')?.value;
    expect(unsafe.map((r) => r.method)).toEqual(['POST', 'PATCH', 'PATCH', 'POST', 'DELETE']);
    for (const request of unsafe) expect(request.csrf).toBe(csrf);
    // Only the refused edit's 400, which the page showed.
    expect(errors.unexpected(FAILED_FETCH(400))).toEqual([]);
    await context.close();
  });

  it("the partner's page embeds Latchkey, signed in as the partner's user, with no token in the iframe's URL", async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    await page.goto(partnerUrl);
    await page.fill('#partner-password', 'demo');
    await Promise.all([page.waitForURL(`${partnerUrl}/`), page.click('#partner-sign-in')]);
    const frame = await latchkeyFrame(page);
    await frame.waitForSelector('[data-field="email"]');
    expect(frame.url()).toBe(`${t.baseUrl}/`);
    expect(frame.url()).not.toContain('token=');
    expect((await frame.textContent('[data-field="email"]'))?.trim()).toBe(PARTNER_USER);
    expect((await frame.textContent('[data-field="sign-in-method"]'))?.trim()).toBe(
      'By single sign-on from a partner application',
    );
    expect(await userRow(t, PARTNER_USER)).toMatchObject({ source: 'sso', first_name: 'Demo' });
    await screenshot(page, 'partner-iframe');

    // The same story in the top-level window: the partner's link lands on the profile, token gone.
    await Promise.all([page.waitForURL(`${t.baseUrl}/`), page.click('#open-latchkey')]);
    await expectText(page, '[data-field="email"]', PARTNER_USER);
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });

  it('a site that is not a frame ancestor cannot embed the pages', async () => {
    const port = await freePort();
    const stranger = await serve(port, `<iframe id="latchkey" src="${t.baseUrl}/login"></iframe>`);
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    try {
      await page.goto(`http://127.0.0.1:${port}/`);
      const frame = await page.waitForSelector('#latchkey').then((e) => e.contentFrame());
      await page.waitForTimeout(500);
      // Chromium replaces a refused frame by its error page: no sign-in form reached the stranger.
      expect(await frame?.$('#login-form')).toBeNull();
      expect(errors.messages.join('\n')).toMatch(/frame-ancestors/);
    } finally {
      await context.close();
      stranger.close();
    }
  });

  it("profile: where you're signed in, signing another browser out, then everywhere else", async () => {
    const errors = new ConsoleErrors();
    const here = await newPage(browser, errors);
    const laptop = await newPage(browser, errors);
    const phone = await newPage(browser, errors);
    for (const { page } of [laptop, phone, here])
      await signIn(page, t.baseUrl, MEMBER.email, MEMBER.password);
    await here.page.goto(`${t.baseUrl}/`);
    const rows = here.page.locator('#sessions li');
    expect(await rows.count()).toBeGreaterThanOrEqual(3);
    await expectText(here.page, '#sessions li:has(.badge)', /This browser/);
    await expectText(here.page, '#sessions li:has(.badge)', /Chrome on Linux/);
    await screenshot(here.page, 'profile-sessions');
    const count = await rows.count();

    // "Sign out" on one other session: it is gone from the list, and that browser is signed out.
    const laptopSid = await sessionIdOf(laptop.context);
    await here.page.click(`button[data-end-session="${laptopSid}"]`);
    await here.page.waitForSelector(`#sessions li[data-session-id="${laptopSid}"]`, { state: 'detached' });
    expect(await rows.count()).toBe(count - 1);
    await laptop.page.goto(`${t.baseUrl}/`);
    expect(laptop.page.url()).toBe(`${t.baseUrl}/login`);

    // "Sign out everywhere else": only this browser is left, and the phone is signed out too.
    await here.page.click('#end-other-sessions');
    await here.page.waitForSelector('#end-other-sessions', { state: 'detached' });
    expect(await rows.count()).toBe(1);
    await phone.page.goto(`${t.baseUrl}/`);
    expect(phone.page.url()).toBe(`${t.baseUrl}/login`);
    await here.page.reload();
    expect(await rows.count()).toBe(1);
    expect(errors.unexpected()).toEqual([]);
    await Promise.all([here, laptop, phone].map(({ context }) => context.close()));
  });

  it('every page fits a phone-width screen', async () => {
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors, PHONE);
    await page.goto(`${t.baseUrl}/login`);
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'phone-login');
    await signIn(page, t.baseUrl, ADMIN.email, ADMIN.password);
    for (const [path, ready, name] of [
      ['/', '#profile', 'phone-profile'],
      ['/users', '#users tbody tr[data-user-id]', 'phone-directory'],
      ['/tokens', '#tokens tbody tr[data-token-id]', 'phone-tokens'],
      ['/clients', '#clients tbody tr', 'phone-clients'],
    ]) {
      await page.goto(`${t.baseUrl}${path}`);
      await page.waitForSelector(ready);
      await expectNoSidewaysScroll(page);
      await screenshot(page, name);
    }
    await page.goto(`${t.baseUrl}/users`);
    await page.click('#new-user');
    await expectNoSidewaysScroll(page);
    await screenshot(page, 'phone-directory-new-user');
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

async function expectText(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  const locator = page.locator(selector).first();
  await locator.waitFor();
  await page
    .waitForFunction(
      ([sel, want, isRegExp]) => {
        const text = document.querySelector(sel)?.textContent?.trim() ?? '';
        return isRegExp ? new RegExp(want).test(text) : text === want;
      },
      [
        selector,
        expected instanceof RegExp ? expected.source : expected,
        expected instanceof RegExp,
      ] as const,
      { timeout: 5000 },
    )
    .catch(async () => {
      throw new Error(
        `${selector}: expected ${String(expected)}, saw ${JSON.stringify(await locator.textContent())}`,
      );
    });
}

/** Waits until the directory lists exactly these emails. */
async function expectRows(page: Page, emails: string[]): Promise<void> {
  await page.waitForFunction(
    (want) => {
      const shown = [...document.querySelectorAll('#users tbody tr[data-user-id]')].map(
        (row) => row.querySelector('.email')?.textContent ?? row.querySelector('.name')?.textContent,
      );
      return JSON.stringify(shown) === JSON.stringify(want);
    },
    emails,
    { timeout: 5000 },
  );
}

/** Nothing wider than the screen: on failure, names the elements that stick out. */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const sticking = await page.evaluate(() => {
    if (document.documentElement.scrollWidth <= window.innerWidth) return [];
    return [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth)
      .map((e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${e.className}`);
  });
  expect({ url: page.url(), sticking }).toEqual({ url: page.url(), sticking: [] });
}

function recordUnsafeRequests(page: Page): { method: string; csrf: string | undefined }[] {
  const seen: { method: string; csrf: string | undefined }[] = [];
  page.on('request', (request: Request) => {
    const path = new URL(request.url()).pathname;
    if (path.startsWith('/api/') && !['GET', 'HEAD'].includes(request.method())) {
      seen.push({ method: request.method(), csrf: request.headers()['x-csrf-token'] });
    }
  });
  return seen;
}

/** The session (`sid`) of a browser's access-token cookie. */
async function sessionIdOf(context: BrowserContext): Promise<string> {
  const cookie = (await context.cookies()).find((c) => c.name === 'access_token');
  if (!cookie) throw new Error('no access_token cookie');
  return JSON.parse(Buffer.from(cookie.value.split('.')[1], 'base64url').toString('utf8')).sid;
}

/** A client_credentials grant at the token endpoint, authenticated with HTTP Basic. */
function clientCredentials(clientId: string, secret: string) {
  return t.request('POST', '/oidc/token', {
    raw: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
  });
}

async function userRow(server: TestServer, email: string): Promise<any> {
  const { rows } = await server.db.query('SELECT * FROM users WHERE email = $1', [email]);
  return rows[0];
}

async function activeFamilies(server: TestServer, email: string): Promise<number> {
  const { rows } = await server.db.query(
    `SELECT count(*)::int AS n FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE u.email = $1 AND s.revoked_at IS NULL`,
    [email],
  );
  return rows[0].n;
}

async function latchkeyFrame(page: Page): Promise<Frame> {
  const handle = await page.waitForSelector('iframe#latchkey');
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const frame = await handle.contentFrame();
    if (frame && frame.url().startsWith(t.baseUrl)) return frame;
    await page.waitForTimeout(100);
  }
  throw new Error('the Latchkey iframe never loaded');
}

function startPartner(port: number, latchkeyUrl: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'examples', 'partner-app', 'server.mjs')], {
    env: {
      PATH: process.env.PATH,
      PARTNER_PORT: String(port),
      LATCHKEY_URL: latchkeyUrl,
      JWT_SSO_SECRET: SSO_SECRET,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 15_000;
    const poll = (): void => {
      if (child.exitCode !== null) return reject(new Error(`partner app exited:\n${output}`));
      fetch(`http://127.0.0.1:${port}/`)
        .then((res) => (res.ok ? resolve(child) : retry()))
        .catch(retry);
    };
    const retry = (): void => {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        reject(new Error(`partner app did not start:\n${output}`));
      } else setTimeout(poll, 100);
    };
    poll();
  });
}

function serve(port: number, body: string): Promise<Server> {
  const server = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body));
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
