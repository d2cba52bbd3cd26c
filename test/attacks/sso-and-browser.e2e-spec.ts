import { randomUUID } from 'node:crypto';
import { cookieHeader, cookieLogin, partnerToken, setCookies } from '../support/session.js';
import { startServer, WRITE_TOKEN, type HttpResult, type TestServer } from '../support/server.js';

/**
 * What a browser attacker tries: open redirects after an SSO landing, login CSRF (switching a signed-in
 * person to another account, or dropping a session by a background request), and the headers and cookie
 * flags that keep pages and API answers out of other sites' hands.
 */

const SSO_SECRET = 'partner-secret-for-the-browser-attack-suite-0123';
const PUBLIC = 'https://latchkey.example';
const ALICE = { email: 'alice@csrf.example', password: 'alice password 123' };

let t: TestServer; // plain http, SSO with auto-create
let secure: TestServer; // behind https (PUBLIC_URL), for HSTS and __Host- cookies
let framed: TestServer; // as t, with FRAME_ANCESTORS: a partner may frame the pages

beforeAll(async () => {
  [t, secure, framed] = await Promise.all([
    startServer({ JWT_SSO_SECRET: SSO_SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' }),
    startServer({ PUBLIC_URL: PUBLIC, JWT_ISSUER: PUBLIC }),
    startServer({
      JWT_SSO_SECRET: SSO_SECRET,
      JWT_SSO_AUTO_CREATE_USERS: 'true',
      FRAME_ANCESTORS: 'https://partner.example',
    }),
  ]);
  for (const server of [t, secure]) {
    const res = await server.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: ALICE });
    expect(res.status).toBe(201);
  }
});

afterAll(async () => {
  await Promise.all([t?.stop(), secure?.stop(), framed?.stop()]);
});

const landing = (email: string, extra: Record<string, unknown> = {}): string =>
  partnerToken(SSO_SECRET, { email, ...extra });

async function usersNamed(email: string): Promise<number> {
  const { rows } = await t.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [email]);
  return rows[0].n;
}

/** What a sign-in writes: users (and a digest of every row, so an update shows), sessions, spent jtis. */
async function written(
  server: TestServer,
): Promise<{ users: number; usersDigest: string; refreshTokens: number; ssoReplay: number }> {
  const { rows } = await server.db.query(`
    SELECT (SELECT count(*)::int FROM users) AS "users",
           (SELECT coalesce(md5(string_agg(u::text, ',' ORDER BY u.id)), '') FROM users u) AS "usersDigest",
           (SELECT count(*)::int FROM refresh_tokens) AS "refreshTokens",
           (SELECT count(*)::int FROM sso_replay) AS "ssoReplay"`);
  return rows[0];
}

/** A Location that a browser resolves to this origin: one slash, then neither slash nor backslash. */
function expectStaysOnSite(location: string | null, server: TestServer): void {
  expect(location).toMatch(/^\/(?![/\\])/);
  // eslint-disable-next-line no-control-regex -- the point is to find control characters
  expect(location).not.toMatch(/[\u0000-\u001f\\]/);
  expect(new URL(location ?? '', server.baseUrl).origin).toBe(new URL(server.baseUrl).origin);
}

describe('open redirects after an SSO landing', () => {
  // The usual bypasses: scheme-relative, backslashes, control characters, encodings, userinfo, schemes.
  const attempts = [
    '//evil.example',
    '///evil.example',
    '////evil.example/',
    '/\\evil.example',
    '\\/evil.example',
    '\\\\evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r\n/evil.example',
    ' //evil.example',
    'https://evil.example',
    'https:evil.example',
    'http:/\\evil.example',
    'HTTPS://EVIL.EXAMPLE',
    'javascript:alert(document.domain)',
    'JaVaScRiPt:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'evil.example',
    '@evil.example',
    'https://latchkey.example@evil.example',
    `${PUBLIC}.evil.example`,
    '%2F%2Fevil.example',
    '/%5Cevil.example',
    '/..//evil.example',
    '/.//evil.example',
  ];

  it.each(attempts)('next=%j never leaves the site', async (next) => {
    const res = await t.request(
      'GET',
      `/sso/login?token=${landing(`redirect-${randomUUID()}@partner.example`)}&next=${encodeURIComponent(next)}`,
    );
    expect(res.status).toBe(302);
    const location = res.headers.get('location') ?? '';
    // a path on this origin: one slash, then no slash or backslash, no control characters
    expect(location).toMatch(/^\/(?![/\\])/);
    // eslint-disable-next-line no-control-regex -- the point is to find control characters
    expect(location).not.toMatch(/[\u0000-\u001f\\]/);
    expect(new URL(location, t.baseUrl).origin).toBe(new URL(t.baseUrl).origin);
  });
});

describe('the clean URL after a page landing', () => {
  // Sent as raw request targets: Fastify hands them to us unnormalised, and URL parsing then removes dot
  // segments (`.`, `%2e`, `..`) and turns `\` into `/`, which folds each of these into `//evil.example/`.
  // (A raw tab or newline in the target never gets this far: Node's HTTP parser answers 400.)
  it.each([
    '/.//evil.example/',
    '/.//evil.example',
    '/%2e//evil.example/',
    '/.%2E//evil.example/',
    '/%2e%2e//evil.example/',
    '/a/..//evil.example/',
    '/a/%2e%2e//evil.example/',
    '/.///evil.example/',
    '/.\\/evil.example/',
    '/.\\\\evil.example/',
    '/..\\/evil.example/',
    'http://evil.example/.//evil.example/',
    `http://127.0.0.1//evil.example/`,
  ])('GET %s?token=… redirects to /, not to another host', async (path) => {
    const email = `clean-${randomUUID()}@partner.example`;
    const res = await t.request('GET', `${path}?token=${landing(email)}`, { rawPath: true });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expectStaysOnSite(res.headers.get('location'), t);
    expect(await usersNamed(email)).toBe(1);
  });

  it.each([
    ['//evil.example/', '/'],
    ['/\\evil.example/', '/'],
    ['/%2f/evil.example/', '/%2f/evil.example/'],
    ['/.%5c/evil.example/', '/.%5c/evil.example/'],
    ['/a/./b/../c?x=1&', '/a/c?x=1'],
  ])('GET %s?token=… keeps its local path: %s', async (path, expected) => {
    const query = path.includes('?') ? '' : '?';
    const res = await t.request('GET', `${path}${query}token=${landing(`kept-${randomUUID()}@p.example`)}`, {
      rawPath: true,
    });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(expected);
    expectStaysOnSite(res.headers.get('location'), t);
  });
});

describe('Fetch Metadata on both SSO entry points (Resource Isolation Policy)', () => {
  const SITES = ['same-origin', 'same-site', 'none', 'cross-site'];
  const MODES = ['navigate', 'no-cors', 'cors', 'same-origin'];
  const DESTS = ['document', 'iframe', 'frame', 'embed', 'object', 'image', 'empty'];
  const ENTRIES = ['/sso/login', '/account/settings'];

  // From another site only a navigation the person sees: a top-level page, or a frame where framing is
  // allowed. `<embed>` and `<object>` also navigate, unseen.
  const crossSiteAllowed = (mode: string, dest: string, frameable: boolean): boolean =>
    mode === 'navigate' && (dest === 'document' || (frameable && (dest === 'iframe' || dest === 'frame')));

  type Case = [
    entry: string,
    frameAncestors: 'set' | 'unset',
    what: string,
    status: 302 | 403,
    headers: Record<string, string>,
  ];
  const cases: Case[] = [];
  for (const frameAncestors of ['unset', 'set'] as const) {
    for (const entry of ENTRIES) {
      cases.push([entry, frameAncestors, 'no Fetch Metadata', 302, {}]);
      cases.push([
        entry,
        frameAncestors,
        "Node's fetch (cors, no Sec-Fetch-Site)",
        302,
        { 'sec-fetch-mode': 'cors' },
      ]);
      for (const site of SITES) {
        for (const mode of MODES) {
          for (const dest of DESTS) {
            const allowed = site !== 'cross-site' || crossSiteAllowed(mode, dest, frameAncestors === 'set');
            cases.push([
              entry,
              frameAncestors,
              `Sec-Fetch-Site ${site}, -Mode ${mode}, -Dest ${dest}`,
              allowed ? 302 : 403,
              { 'sec-fetch-site': site, 'sec-fetch-mode': mode, 'sec-fetch-dest': dest },
            ]);
          }
        }
      }
    }
  }

  it.each(cases)(
    'GET %s?token=…, FRAME_ANCESTORS %s, %s: %i',
    async (entry, frameAncestors, _, status, headers) => {
      const server = frameAncestors === 'set' ? framed : t;
      const before = await written(server);
      const token = landing(`fm-${randomUUID()}@partner.example`);
      const res = await server.request('GET', `${entry}?token=${token}`, { headers });
      expect(res.status).toBe(status);
      if (status === 403) {
        expect(res.body.code).toBe('forbidden');
        expect(res.headers.getSetCookie()).toEqual([]);
        // nothing spent: no user created or updated, no session, the jti not recorded
        expect(await written(server)).toEqual(before);
      } else {
        expect(Object.keys(setCookies(res))).toEqual(
          expect.arrayContaining(['access_token', 'refresh_token']),
        );
        expectStaysOnSite(res.headers.get('location'), server);
        expect(await written(server)).toMatchObject({
          users: before.users + 1,
          refreshTokens: before.refreshTokens + 1,
          ssoReplay: before.ssoReplay + 1,
        });
      }
    },
  );

  it.each([
    ['embed', 'unset'],
    ['object', 'set'],
  ])(
    'a cross-site <%s> (FRAME_ANCESTORS %s) with a link for an existing account does not touch it',
    async (dest, frameAncestors) => {
      const server = frameAncestors === 'set' ? framed : t;
      const email = `existing-${randomUUID()}@partner.example`;
      expect((await server.request('GET', `/?token=${landing(email)}`)).status).toBe(302);
      const before = await written(server);
      const res = await server.request('GET', `/?token=${landing(email)}`, {
        headers: { 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': dest },
      });
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie()).toEqual([]);
      // last_login_at and updated_at unchanged: the digest covers every column of every user
      expect(await written(server)).toEqual(before);
    },
  );

  it.each(ENTRIES)(
    "Node's own fetch() signs in on %s (it sends Sec-Fetch-Mode but no Sec-Fetch-Site)",
    async (entry) => {
      const res = await fetch(
        `${t.baseUrl}${entry}?token=${landing(`node-${randomUUID()}@partner.example`)}`,
        {
          redirect: 'manual',
        },
      );
      expect(res.status).toBe(302);
      expect(res.headers.getSetCookie().some((line) => line.startsWith('access_token='))).toBe(true);
    },
  );
});

describe('login CSRF', () => {
  it('a landing for another account does not replace the signed-in person: 409, session kept, token unspent', async () => {
    const jar = await cookieLogin(t, ALICE.email, ALICE.password);
    const mallory = `mallory-${randomUUID()}@partner.example`;
    const token = landing(mallory);
    const res = await t.request('GET', `/?token=${token}`, {
      headers: { cookie: cookieHeader(jar), accept: 'text/html' },
    });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(res.text).toContain(ALICE.email);
    expect(Object.keys(setCookies(res))).not.toContain('access_token');
    expect(await usersNamed(mallory)).toBe(0);
    // Alice is still Alice
    const me = await t.request('GET', '/api/me', { headers: { cookie: cookieHeader(jar) } });
    expect(me.body.email).toBe(ALICE.email);
    // the token was not spent: in a browser with no session it still works, once
    expect((await t.request('GET', `/?token=${token}`)).status).toBe(302);
    expect((await t.request('GET', `/?token=${token}`)).status).toBe(401);
  });

  it('also when only the refresh cookie is left (the access cookie expired): still 409, still Alice', async () => {
    const jar = await cookieLogin(t, ALICE.email, ALICE.password);
    const mallory = `mallory-${randomUUID()}@partner.example`;
    const res = await t.request('GET', `/?token=${landing(mallory)}`, {
      headers: { cookie: `refresh_token=${jar.refresh_token}` },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('session_conflict');
    expect(await usersNamed(mallory)).toBe(0);
    // whatever cookies came back (the session renewed on the way) are Alice's
    const renewed = setCookies(res).access_token?.value;
    if (renewed) {
      const me = await t.request('GET', '/api/me', { headers: { authorization: `Bearer ${renewed}` } });
      expect(me.body.email).toBe(ALICE.email);
    }
  });

  it('API clients get the JSON error session_conflict', async () => {
    const jar = await cookieLogin(t, ALICE.email, ALICE.password);
    const res = await t.request(
      'GET',
      `/sso/login?token=${landing(`other-${randomUUID()}@partner.example`)}`,
      {
        headers: { cookie: cookieHeader(jar) },
      },
    );
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'session_conflict' });
  });

  it('a landing for the person already signed in simply signs them in again', async () => {
    const jar = await cookieLogin(t, ALICE.email, ALICE.password);
    const res = await t.request('GET', `/?token=${landing(ALICE.email)}`, {
      headers: { cookie: cookieHeader(jar) },
    });
    expect(res.status).toBe(302);
    expect(setCookies(res).access_token.value).toBeTruthy();
  });

  it.each([
    ['no-cors', '/'],
    ['cors', '/'],
    ['same-origin', '/'],
    ['no-cors', '/sso/login'],
    ['cors', '/sso/login'],
  ])(
    'a background request (Sec-Fetch-Mode: %s) to %s cannot drop a session into the browser',
    async (mode, path) => {
      const email = `background-${randomUUID()}@partner.example`;
      const token = landing(email);
      const res = await t.request('GET', `${path}?token=${token}`, {
        headers: { 'sec-fetch-mode': mode, 'sec-fetch-site': 'cross-site', 'sec-fetch-dest': 'image' },
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(await usersNamed(email)).toBe(0);
      // a real navigation with the same token works: it was not spent
      const navigation = await t.request('GET', `/?token=${token}`, {
        headers: {
          'sec-fetch-mode': 'navigate',
          'sec-fetch-site': 'cross-site',
          'sec-fetch-dest': 'document',
        },
      });
      expect(navigation.status).toBe(302);
    },
  );

  it.each([
    ['text/plain', '{"username":"alice@csrf.example","password":"alice password 123"}'],
    ['application/x-www-form-urlencoded', 'username=alice%40csrf.example&password=alice+password+123'],
    [
      'multipart/form-data; boundary=x',
      '--x\r\nContent-Disposition: form-data; name="username"\r\n\r\nalice\r\n--x--',
    ],
  ])('a cross-site form post to POST /token?cookie=1 (%s) sets no cookie: 415', async (type, raw) => {
    const res = await t.request('POST', '/token?cookie=1', { raw, headers: { 'content-type': type } });
    expect(res.status).toBe(415);
    expect(res.body.code).toBe('unsupported_media_type');
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('headers', () => {
  it.each([
    ['GET', '/health'],
    ['GET', '/api/me'],
    ['POST', '/token'],
    ['GET', '/no/such/route'],
    ['GET', '/.well-known/jwks.json'],
  ])('API answer %s %s: nosniff, frame-ancestors none, helmet defaults', async (method, path) => {
    const res = await t.request(method, path, method === 'POST' ? { body: {} } : {});
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'none'");
    expect(res.headers.get('strict-transport-security')).toBeNull();
    expect(res.headers.get('x-frame-options')).toBeNull();
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(res.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    expect(res.headers.get('x-permitted-cross-domain-policies')).toBe('none');
  });

  it('pages may be framed only by the configured ancestors (none here: this origin)', async () => {
    const res = await t.request('GET', '/login');
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('behind https: HSTS on every answer', async () => {
    for (const path of ['/health', '/login', '/api/me', '/assets/app.css']) {
      const res = await secure.request('GET', path);
      expect({ path, hsts: res.headers.get('strict-transport-security') }).toEqual({
        path,
        hsts: 'max-age=31536000',
      });
    }
  });
});

describe('cookie flags', () => {
  function flags(line: string): string[] {
    return line
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase());
  }

  it('over http: HttpOnly tokens, a readable CSRF cookie, SameSite=Lax, Path=/, no Domain', async () => {
    const res = await t.request('POST', '/token?cookie=1', {
      body: { username: ALICE.email, password: ALICE.password },
    });
    const cookies = setCookies(res);
    expect(Object.keys(cookies).sort()).toEqual(['access_token', 'csrf_token', 'refresh_token']);
    for (const [name, { line }] of Object.entries(cookies)) {
      expect(flags(line)).toEqual(expect.arrayContaining(['path=/', 'samesite=lax']));
      expect(flags(line).some((f) => f.startsWith('domain='))).toBe(false);
      expect(flags(line).includes('httponly')).toBe(name !== 'csrf_token');
    }
  });

  it('behind https: the same cookies, Secure and __Host- prefixed, and they work', async () => {
    const res = await secure.request('POST', '/token?cookie=1', {
      body: { username: ALICE.email, password: ALICE.password },
    });
    const cookies = setCookies(res);
    expect(Object.keys(cookies).sort()).toEqual([
      '__Host-access_token',
      '__Host-csrf_token',
      '__Host-refresh_token',
    ]);
    for (const [name, { line }] of Object.entries(cookies)) {
      expect(flags(line)).toEqual(expect.arrayContaining(['secure', 'path=/', 'samesite=lax']));
      expect(flags(line).some((f) => f.startsWith('domain='))).toBe(false);
      expect(flags(line).includes('httponly')).toBe(name !== '__Host-csrf_token');
    }
    const jar = Object.fromEntries(Object.entries(cookies).map(([name, { value }]) => [name, value]));
    const me = await secure.request('GET', '/api/me', { headers: { cookie: cookieHeader(jar) } });
    expect(me.status).toBe(200);
    // an unprefixed cookie (which a sibling subdomain could plant) is not read on https
    const planted = await secure.request('GET', '/api/me', {
      headers: { cookie: `access_token=${jar['__Host-access_token']}` },
    });
    expect(planted.status).toBe(401);
    // double submit with the prefixed names
    const refused = await secure.request('POST', '/token/refresh', {
      body: {},
      headers: { cookie: cookieHeader(jar) },
    });
    expect(refused.status).toBe(403);
    const refreshed = await secure.request('POST', '/token/refresh', {
      body: {},
      headers: { cookie: cookieHeader(jar), 'x-csrf-token': jar['__Host-csrf_token'] },
    });
    expect(refreshed.status).toBe(200);
  });
});

function expectNoLeak(res: HttpResult): void {
  expect(res.text).not.toMatch(/at .*\(|node_modules|QueryFailedError|SELECT |INSERT |TypeError/);
}

describe('error pages', () => {
  it('a 409 page and a 404 page say nothing of the internals', async () => {
    expectNoLeak(await t.request('GET', '/nope', { headers: { accept: 'text/html' } }));
    expectNoLeak(await t.request('GET', '/sso/login?token=x.y.z', { headers: { accept: 'text/html' } }));
  });
});
