import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page, Request, Response } from 'playwright-core';
import { bearer, newPerson, PASSWORD } from '../support/actors.js';
import { ConsoleErrors, describeInBrowser, launchBrowser, newPage, screenshot } from '../support/browser.js';
import { freePort, ROOT, startServer, type TestServer } from '../support/server.js';
import { partnerToken } from '../support/session.js';

/**
 * Latchkey's OpenID Provider with a client we did not write: a single-page application on another origin
 * that signs in with oidc-client-ts (its browser bundle, as an SPA ships it) as a public client, code +
 * PKCE, in Debian's Chromium. The token, userinfo and refresh requests are the browser's own cross-origin
 * fetches, so they pass only if Latchkey's CORS answers let them. No page may log a console error.
 */

const SSO_SECRET = 'partner-secret-for-the-oidc-spa-suite-0123456789';
const LIBRARY = join(ROOT, 'node_modules', 'oidc-client-ts', 'dist', 'browser', 'oidc-client-ts.min.js');
const APP = join(ROOT, 'test', 'browser', 'oidc-spa', 'app.mjs');

let t: TestServer;
let browser: Browser;
let spa: Server;
let spaUrl: string;
let clientId: string;

describeInBrowser('a single-page application signs in with oidc-client-ts', () => {
  beforeAll(async () => {
    const port = await freePort();
    spaUrl = `http://127.0.0.1:${port}`;
    [t, browser] = await Promise.all([
      startServer({ JWT_SSO_SECRET: SSO_SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' }),
      launchBrowser(),
    ]);
    const admin = await newPerson(t, { admin: true });
    const created = await t.request('POST', '/api/clients', {
      headers: bearer(admin.accessToken),
      body: { name: 'SPA', type: 'public', first_party: true, redirect_uris: [`${spaUrl}/callback`] },
    });
    expect(created.status).toBe(201);
    expect(created.body.client_secret).toBeUndefined();
    clientId = created.body.client_id;
    spa = await serveSpa(port, t.baseUrl, clientId);
  });

  afterAll(async () => {
    spa?.close();
    await Promise.all([browser?.close(), t?.stop()]);
  });

  it('password: the SPA sends the browser to /login, gets an ID token with amr pwd, renews silently', async () => {
    const person = await newPerson(t);
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    const answers = recordFetches(page);
    await page.goto(`${spaUrl}/`);
    await expectState(page, 'signed-out');
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.click('#sign-in')]);
    expect(new URL(page.url()).origin).toBe(t.baseUrl);
    expect(new URL(page.url()).searchParams.get('next')).toMatch(/^\/interaction\//);
    await page.fill('#username', person.email);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${spaUrl}/`), page.click('#login-submit')]);
    await expectState(page, 'signed-in');
    await screenshot(page, 'oidc-spa-signed-in');

    const claims = await shown(page, '#claims');
    expect(claims).toMatchObject({
      iss: t.baseUrl,
      aud: clientId,
      sub: person.id,
      email: person.email,
      amr: ['pwd'],
    });
    expect(await shown(page, '#profile')).toMatchObject({ sub: person.id, email: person.email });
    // The library's own cross-origin fetches (discovery, code exchange, userinfo with a bearer token, so
    // after a CORS preflight): each answered for the SPA's origin by name.
    const fetches = await Promise.all(answers);
    expect(new Set(fetches.map((f) => f.call))).toEqual(
      new Set(['GET /.well-known/openid-configuration', 'POST /oidc/token', 'GET /oidc/userinfo']),
    );
    for (const f of fetches) {
      // Discovery is cacheable (public, 300 s): a copy the browser answers from its cache shows no Origin.
      const origin = f.call.startsWith('GET /.well-known/') && f.origin === undefined ? undefined : spaUrl;
      expect(f).toMatchObject({ status: 200, origin, allowOrigin: spaUrl });
    }
    expect(await page.textContent('#refresh-token')).toBe('no');
    const token = await accessToken(page);
    expect(await userinfo(token)).toMatchObject({ status: 200, body: { sub: person.id } });
    expect(errors.unexpected()).toEqual([]);

    // Without a refresh token, signinSilent renews in a hidden iframe: prompt=none on Latchkey's session.
    // Its cookies (SameSite=Lax) go with the iframe because the SPA and Latchkey are the same site here
    // (127.0.0.1, other ports); on another site a browser sends them to no iframe, and renewal needs
    // offline_access (below).
    const silent = recordNavigations(page, { frames: 'sub' });
    await page.click('#renew');
    await page.waitForFunction(() => document.getElementById('renewals')?.textContent === '1');
    await expectState(page, 'signed-in');
    expect(await accessToken(page)).not.toBe(token);
    expect(silent.map((url) => url.origin + url.pathname)).toEqual([
      `${t.baseUrl}/oidc/authorize`,
      `${spaUrl}/callback`,
    ]);
    expect(silent[0].searchParams.get('prompt')).toBe('none');
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });

  it('partner SSO first: the SPA signs in without a password typed, with amr sso', async () => {
    const email = `spa-sso-${Date.now()}@partner.example`;
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    const visited = recordNavigations(page);
    await page.goto(`${t.baseUrl}/sso/login?token=${partnerToken(SSO_SECRET, { email })}`);
    expect(page.url()).toBe(`${t.baseUrl}/`);
    await page.waitForSelector('[data-field="email"]');

    await page.goto(`${spaUrl}/`);
    await Promise.all([page.waitForURL(`${spaUrl}/`), page.click('#sign-in')]);
    await expectState(page, 'signed-in');
    expect(await shown(page, '#claims')).toMatchObject({ email, amr: ['sso'] });
    // Straight through Latchkey: no sign-in page on the way.
    expect(visited.filter((url) => url.pathname === '/login')).toEqual([]);
    expect(visited.some((url) => url.pathname.startsWith('/interaction/'))).toBe(true);
    expect(errors.unexpected()).toEqual([]);
    await context.close();
  });

  it('renewal: with offline_access, signinSilent uses the refresh token and gets a new access token', async () => {
    const person = await newPerson(t);
    const errors = new ConsoleErrors();
    const { context, page } = await newPage(browser, errors);
    const answers = recordFetches(page);
    await page.goto(`${spaUrl}/`);
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.click('#sign-in-offline')]);
    await page.fill('#username', person.email);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(`${spaUrl}/`), page.click('#login-submit')]);
    await expectState(page, 'signed-in');
    expect(await page.textContent('#refresh-token')).toBe('yes');
    const before = await accessToken(page);
    const firstClaims = await shown(page, '#claims');

    await page.click('#renew');
    await page.waitForFunction(() => document.getElementById('renewals')?.textContent === '1');
    await expectState(page, 'signed-in');
    const after = await accessToken(page);
    expect(after).not.toBe(before);
    expect(await userinfo(after)).toMatchObject({ status: 200, body: { sub: person.id } });
    // A new ID token for the same sign-in (oidc-client-ts checks sub and auth_time match).
    const renewedClaims = await shown(page, '#claims');
    expect(renewedClaims).toMatchObject({ sub: person.id, amr: ['pwd'], auth_time: firstClaims.auth_time });
    expect(renewedClaims.iat).toBeGreaterThanOrEqual(firstClaims.iat);
    const tokenRequests = (await Promise.all(answers)).filter((f) => f.call === 'POST /oidc/token');
    expect(tokenRequests.map((r) => r.grant)).toEqual(['authorization_code', 'refresh_token']);
    for (const r of tokenRequests)
      expect(r).toMatchObject({ status: 200, origin: spaUrl, allowOrigin: spaUrl });
    // The refresh token rotated: the one the SPA holds now is no longer the one it started with.
    const [held] = await page.evaluate(() =>
      Object.keys(sessionStorage)
        .filter((key) => key.startsWith('oidc.user:'))
        .map((key) => JSON.parse(sessionStorage.getItem(key) ?? '{}').refresh_token as string),
    );
    expect(held).toEqual(expect.any(String));
    expect(held).not.toBe(tokenRequests[1].refreshToken);
    expect(errors.unexpected()).toEqual([]);

    // Signing out of Latchkey ends what the SPA was given in that session: its next renewal is refused.
    await page.goto(`${t.baseUrl}/`);
    await Promise.all([page.waitForURL(`${t.baseUrl}/login`), page.click('#sign-out')]);
    await page.goto(`${spaUrl}/`);
    await expectState(page, 'signed-in');
    await page.click('#renew');
    await expectState(page, 'error');
    expect(await page.textContent('#error')).toMatch(/^invalid_grant: /);
    expect(await userinfo(after)).toMatchObject({ status: 401 });
    // Chromium logs the token endpoint's 400, and the SPA logs the error it shows.
    expect(errors.unexpected(/status of 400/, /SPA: invalid_grant/)).toEqual([]);
    await context.close();
  });
});

// ---------------------------------------------------------------------------------------------
// helpers

/** The SPA: one page (with its callback at /callback), the library's browser bundle and app.mjs. */
function serveSpa(port: number, authority: string, client: string): Promise<Server> {
  const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<link rel="icon" href="data:,">
<title>SPA</title>
<script src="/oidc-client-ts.min.js"></script>
<script type="module" src="/app.mjs"></script>
</head>
<body data-authority="${authority}" data-client-id="${client}">
<main>
<h1>An SPA on another origin</h1>
<button id="sign-in" type="button">Sign in with Latchkey</button>
<button id="sign-in-offline" type="button">Sign in, with a refresh token</button>
<button id="renew" type="button">Renew</button>
<p id="status"></p>
<p id="error"></p>
<h2>ID token</h2><pre id="claims"></pre>
<h2>Profile</h2><pre id="profile"></pre>
<p>Access token: <output id="access-token"></output></p>
<p>Refresh token: <output id="refresh-token"></output></p>
<p>Renewals: <output id="renewals">0</output></p>
</main>
</body>
</html>`;
  const files: Record<string, [string, string]> = {
    '/oidc-client-ts.min.js': ['text/javascript', readFileSync(LIBRARY, 'utf8')],
    '/app.mjs': ['text/javascript', readFileSync(APP, 'utf8')],
  };
  // A strict policy, as a careful SPA would have: its own scripts, requests to Latchkey only, and frames of
  // Latchkey and itself (the silent renewal's iframe goes to Latchkey and comes back to /callback).
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    `connect-src ${authority}`,
    `frame-src 'self' ${authority}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const server = createServer((request, res) => {
    const path = (request.url ?? '/').split('?', 1)[0];
    const file = files[path];
    if (file) return void res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    if (path === '/' || path === '/callback')
      return void res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp })
        .end(page);
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

async function expectState(page: Page, state: 'signed-in' | 'signed-out' | 'error'): Promise<void> {
  await page.waitForSelector(`#status[data-state="${state}"]`, { timeout: 10_000 }).catch(async () => {
    throw new Error(
      `SPA: expected ${state}, saw ${await page.textContent('#status')} ${await page.textContent('#error')}`,
    );
  });
}

async function shown(page: Page, selector: string): Promise<any> {
  return JSON.parse((await page.textContent(selector)) ?? 'null');
}

async function accessToken(page: Page): Promise<string> {
  return (await page.textContent('#access-token')) ?? '';
}

async function userinfo(token: string): Promise<{ status: number; body: any }> {
  const res = await t.request('GET', '/oidc/userinfo', { headers: bearer(token) });
  return { status: res.status, body: res.body };
}

/** Every URL the page (or its iframes) went through, redirects included. */
function recordNavigations(page: Page, { frames }: { frames: 'main' | 'sub' } = { frames: 'main' }): URL[] {
  const seen: URL[] = [];
  page.on('request', (request: Request) => {
    if (!request.isNavigationRequest() || request.url() === 'about:blank') return;
    if ((request.frame() === page.mainFrame()) === (frames === 'main')) seen.push(new URL(request.url()));
  });
  return seen;
}

/**
 * The page's requests to Latchkey's provider (fetches, not navigations) and its answers: for the token
 * endpoint also the grant type and refresh token sent; the request's Origin and the answer's
 * Access-Control-Allow-Origin, which is what lets the page read it.
 */
interface LatchkeyFetch {
  call: string;
  status: number;
  origin?: string;
  allowOrigin?: string;
  grant: string | null;
  refreshToken: string | null;
}

function recordFetches(page: Page): Promise<LatchkeyFetch>[] {
  const seen: Promise<LatchkeyFetch>[] = [];
  page.on('response', (response: Response) => {
    const request = response.request();
    const url = new URL(request.url());
    const provider = url.pathname.startsWith('/oidc/') || url.pathname.startsWith('/.well-known/');
    if (request.isNavigationRequest() || url.origin !== t.baseUrl || !provider) return;
    const form = new URLSearchParams(request.method() === 'POST' ? (request.postData() ?? '') : '');
    seen.push(
      request.allHeaders().then((headers) => ({
        call: `${request.method()} ${url.pathname}`,
        status: response.status(),
        origin: headers.origin,
        allowOrigin: response.headers()['access-control-allow-origin'],
        grant: form.get('grant_type'),
        refreshToken: form.get('refresh_token'),
      })),
    );
  });
  return seen;
}
