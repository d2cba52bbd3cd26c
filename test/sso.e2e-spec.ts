import { createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { countRows, startServer, WRITE_TOKEN, type HttpResult, type TestServer } from './support/server.js';

/**
 * SSO auto-login with a partner-issued JWT (contract §5 and the JWT_SSO_* settings, issue 4): the seed
 * scenario end to end, redirects and `next`, known / unknown / inactive users, every refused variant
 * without side effects, one-time jti across instances, 40 concurrent first logins, the log lines, iframe
 * headers and cookies, RS256 by PEM and ES256 by a JWKS served from this test, and SSO switched off.
 * The built server runs as a child process; tokens are signed here with node:crypto.
 */

const SECRET = 'partner-shared-secret-0123456789';
const ISSUER = 'https://partner.example';
const AUDIENCE = 'latchkey';
const FRAME = 'https://partner.example';

// ---------------------------------------------------------------------------------------------
// helpers

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Every token string this file sends, to prove none of them ever reaches a log line. */
const sentTokens = new Set<string>();
const remember = (token: string): string => {
  sentTokens.add(token);
  return token;
};

/** An HMAC-signed JWT; `header.alg` picks the hash (HS256 by default). */
function hs(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  secret: string = SECRET,
): string {
  const fullHeader = { alg: 'HS256', typ: 'JWT', ...header };
  const body = `${b64(fullHeader)}.${b64(payload)}`;
  const hash = { HS256: 'sha256', HS384: 'sha384', HS512: 'sha512' }[fullHeader.alg] ?? 'sha256';
  return remember(`${body}.${createHmac(hash, secret).update(body).digest('base64url')}`);
}

/** RS256 (PKCS#1 v1.5) or ES256 (JOSE r||s) with a private key. */
function asym(
  alg: 'RS256' | 'ES256',
  key: KeyObject,
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
): string {
  const body = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
  const signature = cryptoSign(
    'sha256',
    Buffer.from(body),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
  );
  return remember(`${body}.${signature.toString('base64url')}`);
}

/** The seed's claims: {email, first_name, last_name, iat, exp}, plus/minus `extra` (undefined deletes). */
function claims(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    email,
    first_name: 'Grace',
    last_name: 'Hopper',
    iat: now(),
    exp: now() + 300,
    ...extra,
  };
  for (const [k, v] of Object.entries(out)) if (v === undefined) delete out[k];
  return out;
}

const withJti = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  jti: randomUUID(),
  ...extra,
});

function setCookies(res: HttpResult): string[] {
  return res.headers.getSetCookie?.() ?? [];
}

function cookieValue(res: HttpResult, name: string): string | undefined {
  const line = setCookies(res).find((l) => l.startsWith(`${name}=`));
  return line?.split(';')[0].slice(name.length + 1);
}

function decodePayload(jwt: string): any {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString('utf8'));
}

async function userByEmail(server: TestServer, email: string): Promise<any> {
  const { rows } = await server.db.query('SELECT * FROM users WHERE email = $1', [email]);
  return rows[0];
}

async function usersWithEmail(server: TestServer, email: string): Promise<number> {
  const { rows } = await server.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [email]);
  return rows[0].n;
}

async function sessionsOf(server: TestServer, userId: string): Promise<number> {
  const { rows } = await server.db.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [
    userId,
  ]);
  return rows[0].n;
}

/** Whether a landing spent this jti (the replay store has it). */
async function spent(server: TestServer, jti: string): Promise<boolean> {
  const { rows } = await server.db.query('SELECT 1 FROM sso_replay WHERE jti = $1', [jti]);
  return rows.length === 1;
}

/** Log lines printed since index `from`, waiting (briefly) until one matches. */
async function waitForLog(
  server: TestServer,
  from: number,
  match: (line: string) => boolean,
): Promise<string> {
  const deadline = Date.now() + 3000;
  for (;;) {
    const found = server.logs.slice(from).find(match);
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no matching log line; got:\n${server.logs.slice(from).join('\n')}`);
    await sleep(25);
  }
}

function messageOf(line: string): string {
  try {
    const entry = JSON.parse(line);
    return typeof entry.message === 'string' ? entry.message : JSON.stringify(entry.message);
  } catch {
    return line;
  }
}

function levelOf(line: string): string | undefined {
  try {
    return JSON.parse(line).level;
  } catch {
    return undefined;
  }
}

async function listen(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

const close = (server: Server): Promise<void> =>
  new Promise((r) => {
    server.closeAllConnections?.();
    server.close(() => r());
  });

// ---------------------------------------------------------------------------------------------
// servers: all started once, in parallel

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const lureKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();

let auto: TestServer; // HS256, auto-create on
let auto2: TestServer; // a second instance on auto's database
let strict: TestServer; // HS256, iss + aud required, auto-create off (default), iframe settings
let pem: TestServer; // RS256 with a PEM public key
let jwks: TestServer; // ES256 through the test's JWKS server
let unreachable: TestServer; // ES256 through a JWKS URL that was stopped before the first fetch
let off: TestServer; // no JWT_SSO_* at all
// Started by the describe that uses them, so that fewer servers start at once:
let verified: TestServer; // HS256 with JWT_SSO_REQUIRE_EMAIL_VERIFIED, auto-create on
let weak: TestServer; // RS256 and ES256 through a JWKS with weak and foreign-curve keys among good ones
let capped: TestServer; // ES256 through a JWKS URL that answers an endless body

let jwksServer: Server;
let jwksHits = 0;
let lureServer: Server;
let lureHits = 0;
let lurePort = 0;
let weakJwksServer: Server;
let endlessServer: Server;
/** The endless JWKS answer: when its first byte went out, and when the client closed the connection. */
const endless = { hits: 0, firstByteAt: 0, closedAt: 0 };

// Keys of the weak server's JWKS: two the verifier must skip, two it must use.
const weakRsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
const goodRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const goodEc = generateKeyPairSync('ec', { namedCurve: 'P-256' });

beforeAll(async () => {
  const served = await listen((_req, res) => {
    jwksHits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1' }] }));
  });
  jwksServer = served.server;
  const lure = await listen((_req, res) => {
    lureHits++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [{ ...lureKey.publicKey.export({ format: 'jwk' }), kid: 'lure' }] }));
  });
  lureServer = lure.server;
  lurePort = lure.port;
  // A JWKS server that existed and was stopped before the service ever fetched from it.
  const gone = await listen((_req, res) => res.end('{"keys":[]}'));
  await close(gone.server);
  [, strict, pem, jwks, unreachable, off] = await Promise.all([
    (async () => {
      auto = await startServer({ JWT_SSO_SECRET: SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' });
      auto2 = await startServer(
        { JWT_SSO_SECRET: SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' },
        { databaseUrl: auto.databaseUrl },
      );
    })(),
    startServer({
      JWT_SSO_SECRET: SECRET,
      JWT_SSO_ISSUER: ISSUER,
      JWT_SSO_AUDIENCE: AUDIENCE,
      FRAME_ANCESTORS: FRAME,
      SESSION_COOKIE_SAMESITE: 'none',
    }),
    startServer({
      JWT_SSO_ALGORITHM: 'RS256',
      JWT_SSO_PUBLIC_KEY: rsaPem,
      JWT_SSO_AUTO_CREATE_USERS: 'true',
    }),
    startServer({
      JWT_SSO_ALGORITHM: 'ES256',
      JWT_SSO_JWKS_URL: `http://127.0.0.1:${served.port}/jwks.json`,
      JWT_SSO_AUTO_CREATE_USERS: 'true',
    }),
    startServer({
      JWT_SSO_ALGORITHM: 'ES256',
      JWT_SSO_JWKS_URL: `http://127.0.0.1:${gone.port}/jwks.json`,
      JWT_SSO_AUTO_CREATE_USERS: 'true',
    }),
    startServer({}),
  ]);
});

afterAll(async () => {
  await Promise.all(allServers().map((s) => s?.stop()));
  await Promise.all([jwksServer, lureServer, weakJwksServer, endlessServer].filter(Boolean).map(close));
});

const allServers = (): TestServer[] => [
  auto,
  auto2,
  strict,
  pem,
  jwks,
  unreachable,
  off,
  verified,
  weak,
  capped,
];

/** 401 sso_token_invalid, no cookie, nothing written. */
async function expectRefused(server: TestServer, path: string, email?: string): Promise<HttpResult> {
  const before = await countRows(server.db, 'users');
  const res = await server.request('GET', path);
  expect({ path: path.slice(0, 60), status: res.status, code: res.body?.code }).toEqual({
    path: path.slice(0, 60),
    status: 401,
    code: 'sso_token_invalid',
  });
  expect(setCookies(res)).toEqual([]);
  expect(await countRows(server.db, 'users')).toBe(before);
  if (email) expect(await usersWithEmail(server, email)).toBe(0);
  return res;
}

// ---------------------------------------------------------------------------------------------

describe('the seed scenario', () => {
  it('signs a new partner user in from /?token= and lands on / signed in', async () => {
    const token = hs(claims('Ada.Seed@Partner.Example', { first_name: 'Ada', last_name: 'Lovelace' }));
    const from = auto.logs.length;
    const res = await auto.request('GET', `/?token=${token}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(
      setCookies(res)
        .map((l) => l.split('=')[0])
        .sort(),
    ).toEqual(expect.arrayContaining(['access_token', 'csrf_token', 'refresh_token']));

    const user = await userByEmail(auto, 'ada.seed@partner.example');
    expect(user).toMatchObject({
      email: 'ada.seed@partner.example',
      source: 'sso',
      first_name: 'Ada',
      last_name: 'Lovelace',
      is_admin: false,
      is_active: true,
    });
    expect(user.last_login_at).not.toBeNull();

    const access = cookieValue(res, 'access_token')!;
    const me = await auto.request('GET', '/api/me', { headers: { cookie: `access_token=${access}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: user.id,
      email: 'ada.seed@partner.example',
      first_name: 'Ada',
      last_name: 'Lovelace',
      source: 'sso',
      is_admin: false,
    });
    expect(me.body.last_login_at).not.toBeNull();

    await waitForLog(auto, from, (l) =>
      messageOf(l).includes('User auto-logged in: ada.seed@partner.example'),
    );
    const messages = auto.logs.slice(from).map(messageOf);
    expect(messages).toEqual(
      expect.arrayContaining([
        'JWT token detected in URL, attempting auto-login',
        'JWT token verified for email: ada.seed@partner.example',
        'User auto-logged in: ada.seed@partner.example',
      ]),
    );
    expect(auto.logs.some((l) => l.includes(token))).toBe(false);
  });

  it('keeps the other query parameters: /reports/x?a=1&token=…&b=2 → /reports/x?a=1&b=2', async () => {
    const onPage = await auto.request(
      'GET',
      `/reports/x?a=1&token=${hs(claims('params@partner.example'))}&b=2`,
    );
    expect(onPage.status).toBe(302);
    expect(onPage.headers.get('location')).toBe('/reports/x?a=1&b=2');
    expect(cookieValue(onPage, 'access_token')).toBeTruthy();
  });

  it('works on a path with no route, keeping the other query parameters', async () => {
    const email = 'params@partner.example';
    const nowhere = await auto.request('GET', `/no/such/page?a=1&token=${hs(claims(email))}&b=2`);
    expect(nowhere.status).toBe(302);
    expect(nowhere.headers.get('location')).toBe('/no/such/page?a=1&b=2');
    expect(cookieValue(nowhere, 'access_token')).toBeTruthy();
  });

  it('GET /sso/login honours a local next, and ignores anything that could leave the site', async () => {
    const email = 'next@partner.example';
    const ok = await auto.request('GET', `/sso/login?token=${hs(claims(email))}&next=/users`);
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe('/users');
    expect(ok.headers.get('referrer-policy')).toBe('no-referrer');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(cookieValue(ok, 'access_token')).toBeTruthy();

    for (const evil of ['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await auto.request(
        'GET',
        `/sso/login?token=${hs(claims(email))}&next=${encodeURIComponent(evil)}`,
      );
      expect({ evil, status: res.status, location: res.headers.get('location') }).toEqual({
        evil,
        status: 302,
        location: '/',
      });
    }
  });
});

describe('known, unknown and inactive users', () => {
  it('refreshes a known user’s names and last_login_at; privilege-looking claims grant nothing', async () => {
    const email = 'known@partner.example';
    const created = await auto.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email, first_name: 'Old', last_name: 'Name' },
    });
    expect(created.status).toBe(201);
    expect((await userByEmail(auto, email)).last_login_at).toBeNull();

    const first = await auto.request(
      'GET',
      `/?token=${hs(claims(email, { first_name: 'Amazing', last_name: 'Grace', is_admin: true, role: 'admin', groups: ['admins'] }))}`,
    );
    expect(first.status).toBe(302);
    const afterFirst = await userByEmail(auto, email);
    expect(afterFirst).toMatchObject({
      id: created.body.id,
      first_name: 'Amazing',
      last_name: 'Grace',
      is_admin: false,
      source: created.body.source, // signing in by SSO does not re-label a directory user
    });
    expect(afterFirst.last_login_at).not.toBeNull();
    const access = cookieValue(first, 'access_token')!;
    expect(decodePayload(access)).toMatchObject({ sub: created.body.id, email, is_admin: false });
    expect(decodePayload(access).role).toBeUndefined();
    const me = await auto.request('GET', '/api/me', { headers: { cookie: `access_token=${access}` } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email, is_admin: false });
    const adminOnly = await auto.request('GET', '/api/tokens', {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(adminOnly.status).toBe(403);

    await sleep(20);
    const second = await auto.request(
      'GET',
      `/?token=${hs(claims(email, { first_name: 'Grace', last_name: 'Brewster', is_admin: 'true' }))}`,
    );
    expect(second.status).toBe(302);
    const afterSecond = await userByEmail(auto, email);
    expect(afterSecond).toMatchObject({ first_name: 'Grace', last_name: 'Brewster', is_admin: false });
    expect(new Date(afterSecond.last_login_at).getTime()).toBeGreaterThan(
      new Date(afterFirst.last_login_at).getTime(),
    );
  });

  it('with auto-create off (the default), an unknown user is 403 sso_user_unknown and nothing is created', async () => {
    const email = 'stranger@partner.example';
    const before = await countRows(strict.db, 'users');
    const sessionsBefore = await countRows(strict.db, 'refresh_tokens');
    const jti = randomUUID();
    const res = await strict.request(
      'GET',
      `/?token=${hs(claims(email, { iss: ISSUER, aud: AUDIENCE, jti }))}`,
    );
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, code: 'sso_user_unknown' });
    expect(setCookies(res)).toEqual([]);
    expect(await countRows(strict.db, 'users')).toBe(before);
    expect(await usersWithEmail(strict, email)).toBe(0);
    expect(await countRows(strict.db, 'refresh_tokens')).toBe(sessionsBefore);
    expect(await spent(strict, jti)).toBe(false);
  });

  it('an inactive user is 403 user_inactive, with no session', async () => {
    const email = 'member@partner.example';
    const created = await strict.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email } });
    expect(created.status).toBe(201);
    const active = await strict.request(
      'GET',
      `/?token=${hs(claims(email, { iss: ISSUER, aud: AUDIENCE }))}`,
    );
    expect(active.status).toBe(302);

    const removed = await strict.request('DELETE', `/api/users/${created.body.id}`, {
      apiToken: WRITE_TOKEN,
    });
    expect(removed.status).toBeLessThan(300);
    expect((await userByEmail(strict, email)).is_active).toBe(false);
    const sessionsBefore = await sessionsOf(strict, created.body.id);
    const jti = randomUUID();
    const once = hs(claims(email, { iss: ISSUER, aud: AUDIENCE, jti }));
    const inactive = await strict.request('GET', `/?token=${once}`);
    expect(inactive.status).toBe(403);
    expect(inactive.body).toMatchObject({ statusCode: 403, code: 'user_inactive' });
    expect(setCookies(inactive)).toEqual([]);
    const after = await userByEmail(strict, email);
    expect(after.is_active).toBe(false);
    expect(await sessionsOf(strict, created.body.id)).toBe(sessionsBefore);
    expect(await spent(strict, jti)).toBe(false);

    // Reactivated, the same link works: the refused landing had not spent it.
    const reactivated = await strict.request('PATCH', `/api/users/${created.body.id}`, {
      apiToken: WRITE_TOKEN,
      body: { is_active: true },
    });
    expect(reactivated.status).toBe(200);
    expect((await strict.request('GET', `/?token=${once}`)).status).toBe(302);
    expect(await spent(strict, jti)).toBe(true);
    expect(await sessionsOf(strict, created.body.id)).toBe(sessionsBefore + 1);
  });
});

describe('bad tokens: 401 sso_token_invalid, no cookie, no user', () => {
  let n = 0;
  const fresh = (): string => `bad-${++n}-${randomUUID().slice(0, 8)}@partner.example`;

  it.each<[string, (email: string) => string]>([
    ['a wrong secret', (e) => hs(claims(e), {}, 'another-partner-secret-0123456789')],
    [
      'alg none with an empty signature',
      (e) => remember(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims(e))}.`),
    ],
    ['alg HS512 when only HS256 is allowed', (e) => hs(claims(e), { alg: 'HS512' })],
    ['no exp', (e) => hs(claims(e, { exp: undefined }))],
    ['exp in the past beyond the leeway', (e) => hs(claims(e, { iat: now() - 600, exp: now() - 120 }))],
    ['exp as a string', (e) => hs(claims(e, { exp: String(now() + 300) }))],
    ['nbf in the future beyond the leeway', (e) => hs(claims(e, { nbf: now() + 120 }))],
    ['iat in the future beyond the leeway', (e) => hs(claims(e, { iat: now() + 120, exp: now() + 600 }))],
    ['exp - iat over JWT_SSO_MAX_AGE (3600)', (e) => hs(claims(e, { exp: now() + 3700 }))],
    ['email_verified: false', (e) => hs(claims(e, { email_verified: false }))],
    ['no email claim', () => hs(claims('ignored@partner.example', { email: undefined }))],
    ['a token over 8 KiB', (e) => hs(claims(e, { padding: 'x'.repeat(7000) }))],
  ])('refuses %s', async (_, make) => {
    const email = fresh();
    const token = make(email);
    await expectRefused(auto, `/?token=${token}`, email);
  });

  it.each(['abc', 'a.b', 'a.b.c'])('refuses the malformed string %p', async (garbage) => {
    await expectRefused(auto, `/?token=${garbage}`);
    await expectRefused(auto, `/sso/login?token=${garbage}`);
  });

  it('the refused variants are refused for their claims alone: the same token shapes done right are accepted', async () => {
    // Positive controls: within the leeway, at exactly the max age, with email_verified true.
    for (const extra of [
      { iat: now() - 600, exp: now() - 10 },
      { nbf: now() + 10 },
      { iat: now() + 10, exp: now() + 300 },
      { exp: now() + 3590 },
      { email_verified: true },
    ]) {
      const res = await auto.request('GET', `/?token=${hs(claims('control@partner.example', extra))}`);
      expect({ extra, status: res.status }).toEqual({ extra, status: 302 });
    }
  });

  it('our own access token is not an SSO token, and the partner token is not an access token', async () => {
    const email = 'haspassword@partner.example';
    await auto.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email, password: 'a-password-123' },
    });
    const login = await auto.request('POST', '/token', {
      body: { username: email, password: 'a-password-123' },
    });
    expect(login.status).toBe(200);
    const ours = remember(login.body.access_token as string);
    expect(
      (await auto.request('GET', '/api/me', { headers: { authorization: `Bearer ${ours}` } })).status,
    ).toBe(200);
    await expectRefused(auto, `/?token=${ours}`);
    await expectRefused(auto, `/sso/login?token=${ours}`);

    const partner = hs(claims(email));
    const asBearer = await auto.request('GET', '/api/me', {
      headers: { authorization: `Bearer ${partner}` },
    });
    expect(asBearer.status).toBe(401);
    const asCookie = await auto.request('GET', '/api/me', { headers: { cookie: `access_token=${partner}` } });
    expect(asCookie.status).toBe(401);
  });

  it('checks iss and aud when JWT_SSO_ISSUER / JWT_SSO_AUDIENCE are set', async () => {
    const email = 'issaud@partner.example';
    await strict.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email } });
    await expectRefused(
      strict,
      `/?token=${hs(claims(email, { iss: 'https://other.example', aud: AUDIENCE }))}`,
    );
    await expectRefused(strict, `/?token=${hs(claims(email, { iss: ISSUER, aud: 'someone-else' }))}`);
    const right = await strict.request('GET', `/?token=${hs(claims(email, { iss: ISSUER, aud: AUDIENCE }))}`);
    expect(right.status).toBe(302);
    // this server's cookies are Secure (SameSite=None), so they carry the __Host- prefix
    expect(cookieValue(right, '__Host-access_token')).toBeTruthy();
  });

  it('refuses a token without iss or without aud when JWT_SSO_ISSUER / JWT_SSO_AUDIENCE are set', async () => {
    const email = 'issaud@partner.example';
    await strict.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email } });
    // Both variants first, so that one report shows which of the two gets through.
    const noIss = await strict.request('GET', `/?token=${hs(claims(email, { aud: AUDIENCE }))}`);
    const noAud = await strict.request('GET', `/?token=${hs(claims(email, { iss: ISSUER }))}`);
    expect({
      withoutIss: [noIss.status, noIss.body?.code, setCookies(noIss).length],
      withoutAud: [noAud.status, noAud.body?.code, setCookies(noAud).length],
    }).toEqual({
      withoutIss: [401, 'sso_token_invalid', 0],
      withoutAud: [401, 'sso_token_invalid', 0],
    });
  });

  it('answers a browser with an HTML page and an API client with the JSON error', async () => {
    const token = hs(claims('html@partner.example', { iat: now() - 600, exp: now() - 120 }));
    const html = await auto.request('GET', `/?token=${token}`, {
      headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
    });
    expect(html.status).toBe(401);
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    expect(html.text).toMatch(/<html/i);
    expect(html.text).not.toContain(token);
    expect(setCookies(html)).toEqual([]);

    const json = await auto.request('GET', `/?token=${token}`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(401);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.body).toEqual({
      statusCode: 401,
      error: expect.any(String),
      code: 'sso_token_invalid',
      message: expect.any(String),
    });
    expect(json.text).not.toContain(token);
  });
});

describe('JWT_SSO_REQUIRE_EMAIL_VERIFIED=true', () => {
  beforeAll(async () => {
    verified = await startServer({
      JWT_SSO_SECRET: SECRET,
      JWT_SSO_AUTO_CREATE_USERS: 'true',
      JWT_SSO_REQUIRE_EMAIL_VERIFIED: 'true',
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['without email_verified', {}],
    ['with email_verified "true" (a string)', { email_verified: 'true' }],
    ['with email_verified 1', { email_verified: 1 }],
    ['with email_verified false', { email_verified: false }],
  ])('refuses a token %s, spending nothing', async (_, extra) => {
    const email = `unverified-${randomUUID().slice(0, 8)}@partner.example`;
    const jti = randomUUID();
    const sessionsBefore = await countRows(verified.db, 'refresh_tokens');
    await expectRefused(verified, `/?token=${hs(claims(email, { ...extra, jti }))}`, email);
    expect(await spent(verified, jti)).toBe(false);
    expect(await countRows(verified.db, 'refresh_tokens')).toBe(sessionsBefore);
  });

  it('accepts email_verified: true', async () => {
    const email = 'verified@partner.example';
    const res = await verified.request('GET', `/?token=${hs(claims(email, { email_verified: true }))}`);
    expect(res.status).toBe(302);
    expect(cookieValue(res, 'access_token')).toBeTruthy();
    expect(await usersWithEmail(verified, email)).toBe(1);
  });
});

describe('one-time tokens (jti)', () => {
  it('keeps a spent jti until exp + leeway + 5 minutes of clock skew between instances', async () => {
    const jti = randomUUID();
    const exp = now() + 300;
    const res = await auto.request('GET', `/?token=${hs(claims('kept@partner.example', { jti, exp }))}`);
    expect(res.status).toBe(302);
    const { rows } = await auto.db.query(
      'SELECT extract(epoch FROM expires_at)::int AS expires FROM sso_replay WHERE jti = $1',
      [jti],
    );
    // JWT_SSO_LEEWAY is 30 s; an instance whose clock runs up to 300 s behind still finds the row
    expect(rows).toEqual([{ expires: exp + 30 + 300 }]);
  });

  it('accepts a jti once, also when re-signed into a different token', async () => {
    const email = 'once@partner.example';
    const jti = randomUUID();
    const token = hs(claims(email, { jti }));
    expect((await auto.request('GET', `/?token=${token}`)).status).toBe(302);
    const { rows } = await auto.db.query('SELECT count(*)::int AS n FROM sso_replay WHERE jti = $1', [jti]);
    expect(rows[0].n).toBe(1);

    const again = await auto.request('GET', `/?token=${token}`);
    expect(again.status).toBe(401);
    expect(again.body).toMatchObject({ statusCode: 401, code: 'sso_token_replayed' });
    expect(setCookies(again)).toEqual([]);

    const respelled = hs(claims(email, { jti, iat: now() - 5, exp: now() + 200 }));
    expect(respelled).not.toBe(token);
    const replayed = await auto.request('GET', `/?token=${respelled}`);
    expect(replayed.status).toBe(401);
    expect(replayed.body.code).toBe('sso_token_replayed');
    expect(setCookies(replayed)).toEqual([]);
  });

  it('a token without jti may be used more than once', async () => {
    const token = hs(claims('nojti@partner.example'));
    expect((await auto.request('GET', `/?token=${token}`)).status).toBe(302);
    expect((await auto.request('GET', `/?token=${token}`)).status).toBe(302);
  });

  it('a jti used on one instance is a replay on another instance of the same database', async () => {
    const jti = randomUUID();
    const token = hs(claims('twoinstances@partner.example', { jti }));
    const onA = await auto.request('GET', `/?token=${token}`);
    expect(onA.status).toBe(302);
    const onB = await auto2.request('GET', `/?token=${token}`);
    expect(onB.status).toBe(401);
    expect(onB.body.code).toBe('sso_token_replayed');
    expect(setCookies(onB)).toEqual([]);
    // and the other way round
    const second = hs(claims('twoinstances@partner.example', withJti()));
    expect((await auto2.request('GET', `/?token=${second}`)).status).toBe(302);
    expect((await auto.request('GET', `/?token=${second}`)).body.code).toBe('sso_token_replayed');
  });

  it('40 concurrent first logins of one new email: 40 successes, one user', async () => {
    const email = 'crowd@partner.example';
    expect(await usersWithEmail(auto, email)).toBe(0);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? auto2 : auto).request('GET', `/?token=${hs(claims(email, withJti()))}`),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(302));
    expect(results.every((r) => cookieValue(r, 'access_token'))).toBe(true);
    expect(await usersWithEmail(auto, email)).toBe(1);
    expect((await userByEmail(auto, email)).source).toBe('sso');
  });
  it('landings sent together are answered each on its own: a taken username is 409 for that one only', async () => {
    // A local user already holds as username the email one landing would create (SSO users take their
    // email as username): that landing fails inside a batch of others, which must all still sign in.
    await auto.db.query(
      `INSERT INTO users (email, username, source) VALUES ('holder@corp.example', 'taken@together.example', 'local')`,
    );
    const emails = Array.from({ length: 11 }, (_, i) => `together${i}@partner.example`);
    emails.splice(5, 0, 'taken@together.example');
    const jtis = emails.map(() => randomUUID());
    const results = await Promise.all(
      emails.map((email, i) => auto.request('GET', `/?token=${hs(claims(email, { jti: jtis[i] }))}`)),
    );

    const taken = results[5];
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('conflict');
    expect(setCookies(taken)).toEqual([]);
    expect(await spent(auto, jtis[5])).toBe(false);
    expect(await usersWithEmail(auto, 'taken@together.example')).toBe(0);
    for (const [i, res] of results.entries()) {
      if (i === 5) continue;
      expect(res.status).toBe(302);
      const user = await userByEmail(auto, emails[i]);
      expect(decodePayload(cookieValue(res, 'access_token') ?? '').sub).toBe(user.id);
      expect(await sessionsOf(auto, user.id)).toBe(1);
    }
  });
});

describe('logs', () => {
  it('a failure logs a warning naming the failed check', async () => {
    const expiredFrom = auto.logs.length;
    await auto.request(
      'GET',
      `/?token=${hs(claims('logexp@partner.example', { iat: now() - 600, exp: now() - 120 }))}`,
    );
    const expired = await waitForLog(
      auto,
      expiredFrom,
      (l) => /expired/i.test(messageOf(l)) || /"check":"expired"/.test(l),
    );
    expect(levelOf(expired)).toBe('warn');

    const signatureFrom = auto.logs.length;
    await auto.request(
      'GET',
      `/?token=${hs(claims('logsig@partner.example'), {}, 'not-the-partner-secret-000')}`,
    );
    const signature = await waitForLog(auto, signatureFrom, (l) => /signature/i.test(l));
    expect(levelOf(signature)).toBe('warn');

    const replayFrom = auto.logs.length;
    const token = hs(claims('logreplay@partner.example', withJti()));
    await auto.request('GET', `/?token=${token}`);
    await auto.request('GET', `/?token=${token}`);
    const replay = await waitForLog(auto, replayFrom, (l) => /replay/i.test(l) && levelOf(l) === 'warn');
    expect(replay).toBeTruthy();
  });
});

describe('iframes', () => {
  it('the SSO redirect carries frame-ancestors, and SameSite=None cookies are Secure, Partitioned and __Host-', async () => {
    const email = 'framed@partner.example';
    await strict.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email } });
    const res = await strict.request('GET', `/?token=${hs(claims(email, { iss: ISSUER, aud: AUDIENCE }))}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('content-security-policy')).toBe(`frame-ancestors 'self' ${FRAME}`);
    const lines = setCookies(res);
    expect(lines.map((l) => l.split('=')[0])).toEqual(
      expect.arrayContaining(['__Host-access_token', '__Host-refresh_token', '__Host-csrf_token']),
    );
    for (const line of lines) {
      // __Host-: Secure, Path=/ and no Domain, or the browser refuses the cookie
      expect(line).toMatch(/;\s*Path=\/(;|$)/i);
      expect(line).not.toMatch(/;\s*Domain=/i);
      expect(line).toMatch(/;\s*Secure(;|$)/i);
      expect(line).toMatch(/;\s*Partitioned(;|$)/i);
      expect(line).toMatch(/;\s*SameSite=None(;|$)/i);
    }
  });

  it('without FRAME_ANCESTORS, only the same origin may frame the page', async () => {
    const res = await auto.request('GET', `/?token=${hs(claims('sameorigin@partner.example'))}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'self'");
    for (const line of setCookies(res)) expect(line).not.toMatch(/SameSite=None/i);
  });
});

describe('asymmetric partner keys', () => {
  it('RS256 with JWT_SSO_PUBLIC_KEY: a partner-signed token works, HS256 keyed with the PEM does not', async () => {
    const ok = await pem.request(
      'GET',
      `/?token=${asym('RS256', rsa.privateKey, claims('rsa@partner.example'))}`,
    );
    expect(ok.status).toBe(302);
    expect(ok.headers.get('location')).toBe('/');
    expect(await usersWithEmail(pem, 'rsa@partner.example')).toBe(1);

    await expectRefused(
      pem,
      `/?token=${hs(claims('confused@partner.example'), {}, rsaPem)}`,
      'confused@partner.example',
    );
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
    await expectRefused(
      pem,
      `/?token=${asym('RS256', stranger.privateKey, claims('forged@partner.example'))}`,
      'forged@partner.example',
    );
  });

  it('ES256 through the JWKS: the right kid works; unknown kids are refused without hammering the JWKS', async () => {
    const ok = await jwks.request(
      'GET',
      `/?token=${asym('ES256', ec.privateKey, claims('ec@partner.example'), { kid: 'k1' })}`,
    );
    expect(ok.status).toBe(302);
    expect(jwksHits).toBeGreaterThanOrEqual(1);

    for (let i = 0; i < 6; i++) {
      await expectRefused(
        jwks,
        `/?token=${asym('ES256', ec.privateKey, claims(`kid${i}@partner.example`), { kid: `unknown-${i}` })}`,
        `kid${i}@partner.example`,
      );
    }
    expect(jwksHits).toBeLessThanOrEqual(2);

    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await expectRefused(
      jwks,
      `/?token=${asym('ES256', other.privateKey, claims('ecforged@partner.example'), { kid: 'k1' })}`,
      'ecforged@partner.example',
    );
  });

  it('never follows a jku header', async () => {
    const token = asym('ES256', lureKey.privateKey, claims('jku@partner.example'), {
      kid: 'lure',
      jku: `http://127.0.0.1:${lurePort}/jwks.json`,
    });
    await expectRefused(jwks, `/?token=${token}`, 'jku@partner.example');
    await sleep(200);
    expect(lureHits).toBe(0);
  });

  it('fails closed when the JWKS cannot be fetched', async () => {
    const token = asym('ES256', ec.privateKey, claims('closed@partner.example'), { kid: 'k1' });
    await expectRefused(unreachable, `/?token=${token}`, 'closed@partner.example');
    await expectRefused(
      unreachable,
      `/?token=${asym('ES256', ec.privateKey, claims('closed@partner.example'), { kid: 'k1' })}`,
      'closed@partner.example',
    );
  });

  describe('unfit JWKS keys and answers', () => {
    beforeAll(async () => {
      const weakJwks = await listen((_req, res) => {
        res.setHeader('content-type', 'application/json');
        const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid });
        res.end(
          JSON.stringify({
            keys: [
              jwk(weakRsa.publicKey, 'weak-rsa'),
              jwk(secp256k1.publicKey, 'k1-curve'),
              jwk(goodRsa.publicKey, 'good-rsa'),
              jwk(goodEc.publicKey, 'good-ec'),
            ],
          }),
        );
      });
      weakJwksServer = weakJwks.server;
      // A JSON document that never ends: past the cap at once (300 KiB), then 16 KiB of whitespace every 5 ms
      // until the client goes away.
      const endlessJwks = await listen((req, res) => {
        endless.hits++;
        res.setHeader('content-type', 'application/json');
        res.write(`{"keys":[${' '.repeat(300 * 1024)}`);
        endless.firstByteAt = Date.now();
        const pad = ' '.repeat(16 * 1024);
        const timer = setInterval(() => res.write(pad), 5);
        req.socket.once('close', () => {
          clearInterval(timer);
          endless.closedAt = Date.now();
        });
      });
      endlessServer = endlessJwks.server;
      [weak, capped] = await Promise.all([
        startServer({
          JWT_SSO_ALGORITHM: 'RS256,ES256',
          JWT_SSO_JWKS_URL: `http://127.0.0.1:${weakJwks.port}/jwks.json`,
          JWT_SSO_AUTO_CREATE_USERS: 'true',
        }),
        startServer({
          JWT_SSO_ALGORITHM: 'ES256',
          JWT_SSO_JWKS_URL: `http://127.0.0.1:${endlessJwks.port}/jwks.json`,
          JWT_SSO_AUTO_CREATE_USERS: 'true',
        }),
      ]);
    });

    it('skips JWKS keys that are too weak or on a foreign curve, with a warning, and uses the others', async () => {
      const from = weak.logs.length;
      const good = await weak.request(
        'GET',
        `/?token=${asym('RS256', goodRsa.privateKey, claims('goodrsa@partner.example'), { kid: 'good-rsa' })}`,
      );
      expect(good.status).toBe(302);
      const goodEcLanding = await weak.request(
        'GET',
        `/?token=${asym('ES256', goodEc.privateKey, claims('goodec@partner.example'), { kid: 'good-ec' })}`,
      );
      expect(goodEcLanding.status).toBe(302);

      // RFC 7518 §3.3: RSA keys under 2048 bits must not be used
      await expectRefused(
        weak,
        `/?token=${asym('RS256', weakRsa.privateKey, claims('weakrsa@partner.example'), { kid: 'weak-rsa' })}`,
        'weakrsa@partner.example',
      );
      // ES256 is P-256 (RFC 7518 §3.4); a secp256k1 key signs ES256K tokens, which are not accepted
      await expectRefused(
        weak,
        `/?token=${asym('ES256', secp256k1.privateKey, claims('k1@partner.example'), { kid: 'k1-curve' })}`,
        'k1@partner.example',
      );
      // without a kid either: the JWKS still has two usable keys, so no key is guessed
      await expectRefused(
        weak,
        `/?token=${asym('RS256', weakRsa.privateKey, claims('weakrsa@partner.example'))}`,
        'weakrsa@partner.example',
      );

      const warnings = weak.logs
        .slice(from)
        .filter((l) => levelOf(l) === 'warn')
        .map(messageOf);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/Skipping key "weak-rsa" of the partner JWKS: an RSA key of 1024 bits/),
          expect.stringMatching(/Skipping key "k1-curve" of the partner JWKS: an EC key on secp256k1/),
        ]),
      );
    });

    it('reads at most 256 KiB of a JWKS answer, and hangs up as soon as it is over', async () => {
      const started = Date.now();
      const token = asym('ES256', ec.privateKey, claims('endless@partner.example'), { kid: 'k1' });
      await expectRefused(capped, `/?token=${token}`, 'endless@partner.example');
      expect(endless.hits).toBe(1);
      // Reading on until the 3 s fetch timeout would be the uncapped behaviour; over the cap it is
      // tens of milliseconds. The answer itself did not wait for the timeout either.
      const deadline = Date.now() + 4000;
      while (endless.closedAt === 0 && Date.now() < deadline) await sleep(20);
      expect(endless.closedAt).toBeGreaterThan(0);
      expect(endless.closedAt - endless.firstByteAt).toBeLessThan(2000);
      expect(endless.closedAt - started).toBeLessThan(2500);
    });
  });
});

describe('SSO switched off (no JWT_SSO_* setting)', () => {
  it('/sso/login is 401 and ?token= on a page is just a parameter', async () => {
    const token = hs(claims('off@partner.example'));
    const login = await off.request('GET', `/sso/login?token=${token}`);
    expect(login.status).toBe(401);
    expect(setCookies(login)).toEqual([]);
    const from = off.logs.length;
    const page = await off.request('GET', `/some/page?token=${token}`);
    expect(page.status).toBe(404);
    expect(page.body.code).toBe('not_found');
    expect(setCookies(page)).toEqual([]);
    expect(await usersWithEmail(off, 'off@partner.example')).toBe(0);
    await sleep(100);
    expect(off.logs.slice(from).some((l) => l.includes('JWT token detected in URL'))).toBe(false);
  });
});

describe('no token in the logs', () => {
  it('no server printed any token (or its signature) this file sent', async () => {
    await sleep(200);
    const long = [...sentTokens].filter((t) => t.length > 40);
    expect(long.length).toBeGreaterThan(50);
    const leaks: string[] = [];
    for (const server of allServers()) {
      for (const line of server.logs) {
        for (const token of long) {
          const signature = token.split('.')[2];
          if (line.includes(token) || (signature.length >= 20 && line.includes(signature))) {
            leaks.push(line.slice(0, 200));
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
