import { cookieHeader, cookieLogin, jwtPayload, partnerToken, setCookies } from './support/session.js';
import { startServer, WRITE_TOKEN, type HttpResult, type TestServer } from './support/server.js';

/**
 * The pages over plain HTTP: who gets which page or redirect, the headers every page carries, the session
 * kept alive by the refresh cookie, escaping, and the static assets. The browser suite clicks through them.
 */

const ADMIN = { email: 'admin@pages.example', password: 'admin password for pages' };
const MEMBER = { email: 'member@pages.example', password: 'member password 123' };
const SSO_SECRET = 'partner-secret-for-the-pages-suite-0123456789';
const PARTNER_ORIGIN = 'https://partner.example';

let t: TestServer;
let memberId: string;

beforeAll(async () => {
  t = await startServer({
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
    JWT_SSO_SECRET: SSO_SECRET,
    JWT_SSO_AUTO_CREATE_USERS: 'true',
    FRAME_ANCESTORS: PARTNER_ORIGIN,
  });
  const res = await t.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: { ...MEMBER, first_name: '<script>alert(1)</script>', last_name: 'O\'Brien & "Sons"' },
  });
  expect(res.status).toBe(201);
  memberId = res.body.id;
});

afterAll(async () => {
  await t?.stop();
});

function page(path: string, jar: Record<string, string> = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { accept: 'text/html' };
  if (Object.keys(jar).length > 0) headers.cookie = cookieHeader(jar);
  return t.request('GET', path, { headers });
}

function expectPageHeaders(res: HttpResult): void {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain(`frame-ancestors 'self' ${PARTNER_ORIGIN}`);
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toContain('unsafe-inline');
}

describe('signed out', () => {
  it.each([
    ['/', '/login'],
    ['/users', '/login?next=%2Fusers'],
    ['/tokens', '/login?next=%2Ftokens'],
    ['/clients', '/login?next=%2Fclients'],
    ['/users?search=ada&page=2', '/login?next=%2Fusers%3Fsearch%3Dada%26page%3D2'],
  ])('GET %s redirects to the sign-in page (%s)', async (path, location) => {
    const res = await page(path);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(location);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('GET /login is the sign-in form, with the page headers', async () => {
    const res = await page('/login');
    expect(res.status).toBe(200);
    expectPageHeaders(res);
    expect(res.text).toContain('<form id="login-form"');
    expect(res.text).toContain('autocomplete="current-password"');
    expect(res.text).toContain('<script type="module" src="/assets/login.js">');
  });

  it.each([
    ['/users', '/users'],
    ['/users?page=2', '/users?page=2'],
    ['https://evil.example/', '/'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['javascript:alert(1)', '/'],
  ])('keeps next=%j only when it is a local path', async (next, kept) => {
    const res = await page(`/login?next=${encodeURIComponent(next)}`);
    expect(res.status).toBe(200);
    const attribute = /data-next="([^"]*)"/.exec(res.text)?.[1];
    expect(attribute?.replace(/&amp;/g, '&')).toBe(kept);
  });
});

describe('signed in', () => {
  it('GET /login sends a signed-in browser on to next', async () => {
    const jar = await cookieLogin(t, MEMBER.email, MEMBER.password);
    const res = await page('/login?next=%2Ftokens', jar);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/tokens');
  });

  it('the profile shows the account, how this session signed in, and escapes what users typed', async () => {
    const jar = await cookieLogin(t, MEMBER.email, MEMBER.password);
    const res = await page('/', jar);
    expect(res.status).toBe(200);
    expectPageHeaders(res);
    expect(res.text).toContain(MEMBER.email);
    expect(res.text).toContain('With a password');
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).toContain('O&#39;Brien &amp; &quot;Sons&quot;');
    expect(res.text).not.toContain('<script>alert(1)');
    // a member sees no admin navigation
    expect(res.text).not.toContain('href="/users"');
    expect(res.text).not.toContain('href="/clients"');
    expect(res.text).toContain(`data-user-id="${memberId}"`);
  });

  it.each(['/users', '/tokens', '/clients'])(
    '%s is 403 "Not allowed" for a member, 200 for an admin',
    async (path) => {
      const member = await page(path, await cookieLogin(t, MEMBER.email, MEMBER.password));
      expect(member.status).toBe(403);
      expectPageHeaders(member);
      expect(member.text).toContain('Not allowed');
      const admin = await page(path, await cookieLogin(t, ADMIN.email, ADMIN.password));
      expect(admin.status).toBe(200);
      expectPageHeaders(admin);
      expect(admin.text).toContain('href="/users"');
      expect(admin.text).toContain('href="/clients"');
      expect(admin.text).not.toContain('Not allowed');
      expect(admin.text).toMatch(new RegExp(`href="${path}"\\s+aria-current="page"`));
    },
  );

  it('the applications page: the form and the table, a script and no inline script or style', async () => {
    const member = await page('/clients', await cookieLogin(t, MEMBER.email, MEMBER.password));
    expect(member.text).toContain('Managing applications is for administrators.');
    const res = await page('/clients', await cookieLogin(t, ADMIN.email, ADMIN.password));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<title>Applications · Latchkey</title>');
    expect(res.text).toContain('<script type="module" src="/assets/clients.js">');
    expect(res.text).toContain('<form id="client-form"');
    expect(res.text).toContain('our own app: no consent page');
    expect(res.text).toMatch(
      /<input\s+type="checkbox"\s+name="scopes"\s+value="openid"\s+checked\s+disabled/,
    );
    expect(res.text).toContain('<table id="clients"');
    expect(res.text).toContain('<dialog id="edit-dialog"');
    expect(res.text).toContain('<dialog id="confirm-dialog"');
    // The CSP allows neither: no inline script, no style attribute or element.
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(res.text).not.toMatch(/\sstyle=|<style/);
  });

  it('an SSO session says so on the profile, and keeps saying so after a refresh', async () => {
    const landing = await t.request(
      'GET',
      `/?token=${partnerToken(SSO_SECRET, { email: 'sso@pages.example' })}`,
    );
    expect(landing.status).toBe(302);
    const cookies = setCookies(landing);
    expect(jwtPayload(cookies.access_token.value).amr).toEqual(['sso']);
    const jar = { refresh_token: cookies.refresh_token.value };
    // Only the refresh cookie left (the access cookie expired): the page rotates the session itself.
    const res = await page('/', jar);
    expect(res.status).toBe(200);
    expect(res.text).toContain('By single sign-on');
    expect(jwtPayload(setCookies(res).access_token.value).amr).toEqual(['sso']);
  });
});

describe('the session behind the pages', () => {
  it('an expired access cookie is renewed from the refresh cookie, which is spent', async () => {
    const jar = await cookieLogin(t, MEMBER.email, MEMBER.password);
    const res = await page('/', { refresh_token: jar.refresh_token });
    expect(res.status).toBe(200);
    const renewed = setCookies(res);
    expect(renewed.access_token.line).toContain('HttpOnly');
    expect(renewed.refresh_token.value).not.toBe(jar.refresh_token);
    expect(renewed.csrf_token.value).toMatch(/^[\w-]{43}$/);
    expect(jwtPayload(renewed.access_token.value).amr).toEqual(['pwd']);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
        WHERE s.user_id = $1 AND t.spent_at IS NOT NULL`,
      [memberId],
    );
    expect(rows[0].n).toBeGreaterThanOrEqual(1);
  });

  it('after sign-out the cookies open nothing: back to the sign-in page, cookies cleared', async () => {
    const jar = await cookieLogin(t, MEMBER.email, MEMBER.password);
    const out = await t.request('POST', '/logout', {
      body: {},
      headers: { cookie: cookieHeader(jar), 'x-csrf-token': jar.csrf_token },
    });
    expect(out.status).toBe(204);
    const res = await page('/', { refresh_token: jar.refresh_token });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login');
    expect(setCookies(res).refresh_token.line).toMatch(/Expires=Thu, 01 Jan 1970|Max-Age=0/i);
  });

  it('a deactivated user is sent to the sign-in page, whatever cookies they hold', async () => {
    const email = 'leaving@pages.example';
    const password = 'leaving password 123';
    const created = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email, password },
    });
    const jar = await cookieLogin(t, email, password);
    expect((await page('/', jar)).status).toBe(200);
    expect(
      (await t.request('DELETE', `/api/users/${created.body.id}`, { apiToken: WRITE_TOKEN })).status,
    ).toBe(204);
    const res = await page('/', jar);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login');
  });

  it('a forged access cookie is no session', async () => {
    const res = await page('/', { access_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/login');
  });
});

describe('assets', () => {
  it.each([
    ['app.css', 'text/css; charset=utf-8'],
    ['login.js', 'text/javascript; charset=utf-8'],
    ['directory.js', 'text/javascript; charset=utf-8'],
    ['clients.js', 'text/javascript; charset=utf-8'],
    ['icon.svg', 'image/svg+xml'],
  ])('serves %s as %s, revalidated by ETag', async (name, type) => {
    const res = await t.request('GET', `/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const etag = res.headers.get('etag') ?? '';
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await t.request('GET', `/assets/${name}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  it.each([
    '/assets/nope.js',
    '/assets/..%2Fpackage.json',
    '/assets/%2e%2e%2f%2e%2e%2fpackage.json',
    '/assets/tsconfig.json',
  ])('%s is 404', async (path) => {
    const res = await t.request('GET', path);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
  });

  it('every script a page names exists', async () => {
    const jar = await cookieLogin(t, ADMIN.email, ADMIN.password);
    for (const path of ['/login', '/', '/users', '/tokens', '/clients']) {
      const html = (await page(path, path === '/login' ? {} : jar)).text;
      for (const [, src] of html.matchAll(/src="(\/assets\/[^"]+)"/g)) {
        expect((await t.request('GET', src)).status).toBe(200);
      }
    }
  });
});
