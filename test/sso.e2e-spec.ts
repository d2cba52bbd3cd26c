import { createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import {
  countRows,
  freePort,
  startServer,
  WRITE_TOKEN,
  type HttpResult,
  type TestServer,
} from './support/server.js';

const SECRET = 'partner-shared-secret-0123456789';
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = (): number => Math.floor(Date.now() / 1000);

function hs256(
  payload: Record<string, unknown>,
  header: Record<string, unknown> = {},
  secret = SECRET,
): string {
  const body = `${b64({ alg: 'HS256', typ: 'JWT', ...header })}.${b64(payload)}`;
  const algorithm = header.alg === 'HS512' ? 'sha512' : 'sha256';
  return `${body}.${createHmac(algorithm, secret).update(body).digest('base64url')}`;
}

function asymmetric(
  alg: 'RS256' | 'ES256',
  key: KeyObject,
  payload: Record<string, unknown>,
  header = {},
): string {
  const body = `${b64({ alg, typ: 'JWT', ...header })}.${b64(payload)}`;
  const signature = cryptoSign(
    'sha256',
    Buffer.from(body),
    alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
  );
  return `${body}.${signature.toString('base64url')}`;
}

function claims(email: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    email,
    first_name: 'Grace',
    last_name: 'Hopper',
    iat: now(),
    exp: now() + 600,
    jti: randomUUID(),
    ...extra,
  };
}

function cookieNames(res: HttpResult): string[] {
  return res.headers.getSetCookie().map((line) => line.split('=')[0]);
}

describe('SSO auto-login', () => {
  let auto: TestServer;
  let strict: TestServer;
  let auto2: TestServer;

  beforeAll(async () => {
    [auto, strict] = await Promise.all([
      startServer({
        JWT_SSO_SECRET: SECRET,
        JWT_SSO_AUTO_CREATE_USERS: 'true',
        FRAME_ANCESTORS: 'https://partner.example',
      }),
      startServer({
        JWT_SSO_SECRET: SECRET,
        JWT_SSO_ISSUER: 'https://partner.example',
        JWT_SSO_AUDIENCE: 'latchkey',
      }),
    ]);
    auto2 = await startServer(
      { JWT_SSO_SECRET: SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true', JWT_ISSUER: auto.baseUrl },
      { databaseUrl: auto.databaseUrl },
    );
  });

  afterAll(async () => {
    await Promise.all([auto.stop(), strict.stop(), auto2.stop()]);
  });

  it('signs a new partner user in from /?token= and lands on / with a session (the seed scenario)', async () => {
    const token = hs256(claims('Grace@Partner.example', { is_admin: true, role: 'admin' }));
    const res = await auto.request('GET', `/?token=${token}`);
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toBe("frame-ancestors 'self' https://partner.example");
    expect(cookieNames(res)).toEqual(expect.arrayContaining(['access_token', 'refresh_token', 'csrf_token']));
    const { rows } = await auto.db.query('SELECT * FROM users WHERE email = $1', ['grace@partner.example']);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      source: 'sso',
      first_name: 'Grace',
      last_name: 'Hopper',
      is_admin: false,
    });
    expect(rows[0].last_login_at).not.toBeNull();
    const access = res.headers
      .getSetCookie()
      .find((l) => l.startsWith('access_token='))!
      .split(';')[0];
    const me = await auto.request('GET', '/api/me', { headers: { cookie: access } });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ email: 'grace@partner.example', is_admin: false });
    const lines = auto.logs.join('\n');
    expect(lines).toContain('JWT token detected in URL, attempting auto-login');
    expect(lines).toContain('JWT token verified for email: grace@partner.example');
    expect(lines).toContain('User auto-logged in: grace@partner.example');
    expect(lines).not.toContain(token);
    expect(lines).not.toContain(token.split('.')[2]);
  });

  it('keeps other query parameters, works on any path, and honours only local next paths', async () => {
    const kept = await auto.request('GET', `/reports/x?a=1&token=${hs256(claims('q@partner.example'))}&b=2`);
    expect(kept.headers.get('location')).toBe('/reports/x?a=1&b=2');
    const next = await auto.request(
      'GET',
      `/sso/login?token=${hs256(claims('q@partner.example'))}&next=/users`,
    );
    expect(next.headers.get('location')).toBe('/users');
    for (const evil of ['//evil.example', 'https://evil.example', '/\\evil.example', 'javascript:alert(1)']) {
      const res = await auto.request(
        'GET',
        `/sso/login?token=${hs256(claims('q@partner.example'))}&next=${encodeURIComponent(evil)}`,
      );
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/');
    }
  });

  it('refreshes a known user’s names and never grants privileges from claims', async () => {
    await auto.request('GET', `/?token=${hs256(claims('known@partner.example'))}`);
    await auto.request(
      'GET',
      `/?token=${hs256(claims('known@partner.example', { first_name: 'Amazing', last_name: 'Grace', is_admin: true, groups: ['admins'] }))}`,
    );
    const { rows } = await auto.db.query(
      'SELECT first_name, last_name, is_admin FROM users WHERE email = $1',
      ['known@partner.example'],
    );
    expect(rows[0]).toEqual({ first_name: 'Amazing', last_name: 'Grace', is_admin: false });
  });

  it.each<[string, () => string]>([
    ['a wrong secret', () => hs256(claims('bad@partner.example'), {}, 'another-secret-0123456789')],
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims('bad@partner.example'))}.`],
    ['a disallowed HS512', () => hs256(claims('bad@partner.example'), { alg: 'HS512' })],
    ['no exp', () => hs256(claims('bad@partner.example', { exp: undefined }))],
    ['an expired token', () => hs256(claims('bad@partner.example', { iat: now() - 4000, exp: now() - 120 }))],
    ['exp as a string', () => hs256(claims('bad@partner.example', { exp: String(now() + 600) }))],
    ['nbf in the future', () => hs256(claims('bad@partner.example', { nbf: now() + 600 }))],
    ['iat in the future', () => hs256(claims('bad@partner.example', { iat: now() + 600, exp: now() + 900 }))],
    ['a lifetime over JWT_SSO_MAX_AGE', () => hs256(claims('bad@partner.example', { exp: now() + 7200 }))],
    ['email_verified false', () => hs256(claims('bad@partner.example', { email_verified: false }))],
    ['no email', () => hs256(claims('bad@partner.example', { email: undefined }))],
    ['garbage', () => 'a.b.c'],
    ['a token over 8 KiB', () => hs256(claims('bad@partner.example', { padding: 'x'.repeat(9000) }))],
    ['our own access-token type', () => hs256(claims('bad@partner.example'), { typ: 'at+jwt' })],
  ])('refuses %s with 401 sso_token_invalid, no cookie, no user', async (_, make) => {
    const before = await countRows(auto.db, 'users');
    const res = await auto.request('GET', `/?token=${make()}`);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'sso_token_invalid' });
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await countRows(auto.db, 'users')).toBe(before);
  });

  it('logs which check refused a token, never the token', async () => {
    const token = hs256(claims('logcheck@partner.example', { iat: now() - 4000, exp: now() - 120 }));
    await auto.request('GET', `/?token=${token}`);
    const lines = auto.logs.join('\n');
    expect(lines).toMatch(/SSO token refused: expired/);
    expect(lines).not.toContain(token);
  });

  it('answers browsers with an HTML page and API clients with JSON', async () => {
    const html = await auto.request('GET', '/?token=a.b.c', { headers: { accept: 'text/html,*/*' } });
    expect(html.status).toBe(401);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('<!doctype html>');
    const json = await auto.request('GET', '/?token=a.b.c');
    expect(json.headers.get('content-type')).toContain('application/json');
  });

  it('does not take a partner token as an access token, nor the reverse', async () => {
    const partner = hs256(claims('cross@partner.example'));
    const asBearer = await auto.request('GET', '/api/me', {
      headers: { authorization: `Bearer ${partner}` },
    });
    expect(asBearer.status).toBe(401);
    await auto.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: 'pw@partner.example', password: 'a-password-1' },
    });
    const login = await auto.request('POST', '/token', {
      body: { username: 'pw@partner.example', password: 'a-password-1' },
    });
    const ours = await auto.request('GET', `/?token=${login.body.access_token}`);
    expect(ours.status).toBe(401);
  });

  it('accepts a jti once, across instances too, and keys on the jti not the token string', async () => {
    const jti = randomUUID();
    const first = hs256(claims('once@partner.example', { jti }));
    expect((await auto.request('GET', `/?token=${first}`)).status).toBe(302);
    const again = await auto.request('GET', `/?token=${first}`);
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('sso_token_replayed');
    const respelled = hs256(claims('once@partner.example', { jti, iat: now() - 5 }));
    expect((await auto.request('GET', `/?token=${respelled}`)).body.code).toBe('sso_token_replayed');
    const other = hs256(claims('once@partner.example'));
    expect((await auto.request('GET', `/?token=${other}`)).status).toBe(302);
    const onB = await auto2.request('GET', `/?token=${other}`);
    expect(onB.status).toBe(401);
    expect(onB.body.code).toBe('sso_token_replayed');
    const withoutJti = hs256(claims('nojti@partner.example', { jti: undefined }));
    expect((await auto.request('GET', `/?token=${withoutJti}`)).status).toBe(302);
    expect((await auto.request('GET', `/?token=${withoutJti}`)).status).toBe(302);
  });

  it('makes one user of 40 concurrent first logins', async () => {
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? auto : auto2).request('GET', `/?token=${hs256(claims('crowd@partner.example'))}`),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(40).fill(302));
    const { rows } = await auto.db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [
      'crowd@partner.example',
    ]);
    expect(rows[0].n).toBe(1);
  });

  it('refuses unknown users when auto-create is off, and inactive users, with 403', async () => {
    const before = await countRows(strict.db, 'users');
    const unknown = await strict.request(
      'GET',
      `/?token=${hs256(claims('stranger@partner.example', { iss: 'https://partner.example', aud: 'latchkey' }))}`,
    );
    expect(unknown.status).toBe(403);
    expect(unknown.body.code).toBe('sso_user_unknown');
    expect(unknown.headers.getSetCookie()).toEqual([]);
    expect(await countRows(strict.db, 'users')).toBe(before);

    const created = await strict.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: 'member@partner.example' },
    });
    const ok = hs256(claims('member@partner.example', { iss: 'https://partner.example', aud: 'latchkey' }));
    expect((await strict.request('GET', `/?token=${ok}`)).status).toBe(302);
    await strict.request('DELETE', `/api/users/${created.body.id}`, { apiToken: WRITE_TOKEN });
    const inactive = await strict.request(
      'GET',
      `/?token=${hs256(claims('member@partner.example', { iss: 'https://partner.example', aud: 'latchkey' }))}`,
    );
    expect(inactive.status).toBe(403);
    expect(inactive.body.code).toBe('user_inactive');
  });

  it('checks iss and aud when configured', async () => {
    const wrongIss = hs256(
      claims('member@partner.example', { iss: 'https://other.example', aud: 'latchkey' }),
    );
    const wrongAud = hs256(
      claims('member@partner.example', { iss: 'https://partner.example', aud: 'someone-else' }),
    );
    expect((await strict.request('GET', `/?token=${wrongIss}`)).status).toBe(401);
    expect((await strict.request('GET', `/?token=${wrongAud}`)).status).toBe(401);
  });
});

describe('SSO with asymmetric partner keys', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let pem: TestServer;
  let jwks: TestServer;
  let off: TestServer;
  let unreachable: TestServer;
  let jwksServer: Server;
  let jwksHits = 0;
  let lureServer: Server;
  let lureHits = 0;

  beforeAll(async () => {
    jwksServer = createServer((_, res) => {
      jwksHits++;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          keys: [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'ES256', use: 'sig' }],
        }),
      );
    });
    await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
    const address = jwksServer.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    lureServer = createServer((_, res) => {
      lureHits++;
      res.end('{}');
    });
    await new Promise<void>((r) => lureServer.listen(0, '127.0.0.1', r));
    const nobodyListens = await freePort();
    [pem, jwks, off, unreachable] = await Promise.all([
      startServer({
        JWT_SSO_ALGORITHM: 'RS256',
        JWT_SSO_PUBLIC_KEY: rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        JWT_SSO_AUTO_CREATE_USERS: 'true',
      }),
      startServer({
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_JWKS_URL: `http://127.0.0.1:${port}/jwks.json`,
        JWT_SSO_AUTO_CREATE_USERS: 'true',
      }),
      startServer({ SESSION_COOKIE_SAMESITE: 'none' }),
      startServer({
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_JWKS_URL: `http://127.0.0.1:${nobodyListens}/jwks.json`,
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([pem.stop(), jwks.stop(), off.stop(), unreachable.stop()]);
    await new Promise((r) => jwksServer.close(r));
    await new Promise((r) => lureServer.close(r));
  });

  it('verifies RS256 with the partner PEM, and refuses HS256 keyed with that PEM', async () => {
    const good = asymmetric('RS256', rsa.privateKey, claims('rsa@partner.example'));
    expect((await pem.request('GET', `/?token=${good}`)).status).toBe(302);
    const pemText = rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const confused = hs256(claims('rsa@partner.example'), {}, pemText);
    expect((await pem.request('GET', `/?token=${confused}`)).status).toBe(401);
  });

  it('verifies ES256 through the JWKS by kid, and refetches at most once per cooldown for unknown kids', async () => {
    const good = asymmetric('ES256', ec.privateKey, claims('ec@partner.example'), { kid: 'k1' });
    expect((await jwks.request('GET', `/?token=${good}`)).status).toBe(302);
    const hitsBefore = jwksHits;
    for (let i = 0; i < 5; i++) {
      const unknownKid = asymmetric('ES256', ec.privateKey, claims('ec@partner.example'), {
        kid: `nope-${i}`,
      });
      expect((await jwks.request('GET', `/?token=${unknownKid}`)).status).toBe(401);
    }
    expect(jwksHits - hitsBefore).toBeLessThanOrEqual(1);
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = asymmetric('ES256', other.privateKey, claims('ec@partner.example'), { kid: 'k1' });
    expect((await jwks.request('GET', `/?token=${forged}`)).status).toBe(401);
  });

  it('never follows jku, and fails closed when the JWKS cannot be fetched', async () => {
    const address = lureServer.address();
    const lure = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/keys.json`;
    const withJku = asymmetric('ES256', ec.privateKey, claims('jku@partner.example'), {
      kid: 'elsewhere',
      jku: lure,
    });
    expect((await jwks.request('GET', `/?token=${withJku}`)).status).toBe(401);
    expect(lureHits).toBe(0);
    const good = asymmetric('ES256', ec.privateKey, claims('ec@partner.example'), { kid: 'k1' });
    const res = await unreachable.request('GET', `/?token=${good}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('sso_token_invalid');
  });

  it('makes session cookies Secure, Partitioned and SameSite=None for iframes when configured', async () => {
    await off.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: 'frame@partner.example', password: 'a-password-1' },
    });
    const res = await off.request('POST', '/token?cookie=1', {
      body: { username: 'frame@partner.example', password: 'a-password-1' },
    });
    expect(res.status).toBe(200);
    const lines = res.headers.getSetCookie();
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).toMatch(/; Secure/);
      expect(line).toMatch(/; Partitioned/);
      expect(line).toMatch(/SameSite=None/);
    }
  });

  it('is off without a partner key: /sso/login is 401 and ?token= on a page is just a parameter', async () => {
    expect((await off.request('GET', `/sso/login?token=${hs256(claims('x@partner.example'))}`)).status).toBe(
      401,
    );
    const page = await off.request('GET', `/some/page?token=${hs256(claims('x@partner.example'))}`);
    expect(page.status).toBe(404);
    expect(page.body.code).toBe('not_found');
  });
});
