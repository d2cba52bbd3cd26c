import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import { b64, decodePart, signAsymmetric, signHmac } from './support/jwt.js';
import {
  countRows,
  startServer,
  TEST_JWT_SECRET,
  type HttpResult,
  type TestServer,
  WRITE_TOKEN,
} from './support/server.js';

/**
 * The global guard (contract §3, §4, §6, §7): which credentials open /protected, /api/me and the admin
 * routes, and which are refused with 401 + `WWW-Authenticate: Bearer error="invalid_token"`; deactivation
 * and demotion taking effect at once (LISTEN/NOTIFY, across instances); API-token management by admins;
 * JWKS and asymmetric signing keys. Built server as a child process, HTTP only, database read directly.
 */

const ADMIN_EMAIL = 'root@example.com';
const ADMIN_PASSWORD = 'admin-password-123';
const PASSWORD = 'user-password-123';

let t: TestServer;
let adminToken: string;

beforeAll(async () => {
  t = await startServer({ BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD });
  adminToken = (await login(t, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
});

afterAll(async () => {
  await t?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

function verifyAsymmetric(token: string, key: KeyObject, alg: string): boolean {
  const [h, p, s] = token.split('.');
  const input = Buffer.from(`${h}.${p}`);
  const signature = Buffer.from(s, 'base64url');
  return alg === 'EdDSA'
    ? cryptoVerify(null, input, key, signature)
    : cryptoVerify('sha256', input, { key, dsaEncoding: 'ieee-p1363' }, signature);
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function login(server: TestServer, username: string, password: string): Promise<any> {
  const res = await server.request('POST', '/token', { body: { username, password } });
  expect(res.status).toBe(200);
  expect(typeof res.body.access_token).toBe('string');
  return res.body;
}

let userCounter = 0;
/** A new active, non-admin user (created with WRITE_TOKEN), logged in. */
async function newUser(
  server: TestServer = t,
): Promise<{ id: string; email: string; token: string; refresh: string }> {
  const email = `user${++userCounter}-${randomUUID().slice(0, 8)}@example.com`;
  const created = await server.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: { email, password: PASSWORD },
  });
  expect(created.status).toBe(201);
  const pair = await login(server, email, PASSWORD);
  expect(pair.user_id).toBe(created.body.id);
  return { id: created.body.id, email, token: pair.access_token, refresh: pair.refresh_token };
}

function expect401(res: HttpResult, code: 'invalid_token' | 'token_expired' = 'invalid_token'): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 401, code });
  expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code });
  expect(typeof res.body.message).toBe('string');
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toContain('Bearer');
  expect(challenge).toContain('error="invalid_token"');
}

function expect403(res: HttpResult): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 403, code: 'forbidden' });
  expect(res.body).toMatchObject({ statusCode: 403, code: 'forbidden' });
}

/** Repeats the probe until it answers `status`, for at most `ms`; returns the last answer. */
async function pollStatus(probe: () => Promise<HttpResult>, status: number, ms = 1000): Promise<HttpResult> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await probe();
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 25));
  }
}

// ---------------------------------------------------------------------------------------------

describe('GET /protected and GET /api/me with an access token', () => {
  let user: Awaited<ReturnType<typeof newUser>>;
  let claims: any;

  beforeAll(async () => {
    user = await newUser();
    claims = decodePart(user.token, 1);
  });

  /** The payload of a token the server would accept, with these changes. */
  const validClaims = (changes: Record<string, unknown> = {}): Record<string, unknown> => {
    const now = Math.floor(Date.now() / 1000);
    return {
      sub: user.id,
      email: user.email,
      username: user.email,
      is_admin: false,
      iat: now,
      exp: now + 600,
      iss: t.baseUrl,
      jti: randomUUID(),
      sid: claims.sid,
      ...changes,
    };
  };
  const validHeader = (changes: Record<string, unknown> = {}) => ({
    alg: 'HS256',
    typ: 'at+jwt',
    ...changes,
  });

  it('a token from POST /token opens both routes', async () => {
    const header = decodePart(user.token, 0);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(claims).toMatchObject({ sub: user.id, email: user.email, iss: t.baseUrl, is_admin: false });

    const protectedRes = await t.request('GET', '/protected', { headers: bearer(user.token) });
    expect(protectedRes.status).toBe(200);
    expect(protectedRes.body).toEqual({ id: user.id, username: user.email, email: user.email });

    const me = await t.request('GET', '/api/me', { headers: bearer(user.token) });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: user.id, email: user.email, is_active: true, is_admin: false });
    expect(me.body).not.toHaveProperty('password');
    expect(me.body).not.toHaveProperty('password_hash');
  });

  it('a token the test forges with the right secret, issuer and type is accepted (control for the cases below)', async () => {
    const token = signHmac(validHeader(), validClaims(), TEST_JWT_SECRET);
    for (const path of ['/protected', '/api/me']) {
      const res = await t.request('GET', path, { headers: bearer(token) });
      expect({ path, status: res.status }).toEqual({ path, status: 200 });
    }
  });

  // Each case builds the request (path suffix and headers) once the user and its tokens exist.
  type Case = [
    string,
    () => { query?: string; headers: Record<string, string> },
    ('invalid_token' | 'token_expired')?,
  ];
  const cases: Case[] = [
    ['no Authorization header', () => ({ headers: {} })],
    ["'Bearer' with nothing after it", () => ({ headers: { authorization: 'Bearer' } })],
    ["'Bearer garbage'", () => ({ headers: bearer('garbage') })],
    ["'Bearer a.b.c'", () => ({ headers: bearer('a.b.c') })],
    [
      'the signature stripped (two segments)',
      () => ({ headers: bearer(user.token.split('.').slice(0, 2).join('.')) }),
    ],
    ['the signature emptied', () => ({ headers: bearer(`${user.token.split('.').slice(0, 2).join('.')}.`) })],
    [
      'the signature altered',
      () => {
        const [h, p, s] = user.token.split('.');
        return { headers: bearer(`${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`) };
      },
    ],
    [
      'the payload altered (is_admin: true), signature kept',
      () => {
        const [h, , s] = user.token.split('.');
        return { headers: bearer(`${h}.${b64({ ...claims, is_admin: true })}.${s}`) };
      },
    ],
    ...['none', 'NONE', 'None'].map((alg): Case => [
      `alg '${alg}' with an empty signature`,
      () => ({ headers: bearer(`${b64(validHeader({ alg }))}.${b64(validClaims())}.`) }),
    ]),
    [
      "alg 'none' keeping a valid HS256 signature",
      () => {
        const [, p, s] = signHmac(validHeader(), validClaims(), TEST_JWT_SECRET).split('.');
        return { headers: bearer(`${b64(validHeader({ alg: 'none' }))}.${p}.${s}`) };
      },
    ],
    [
      'HS256 signed with a different secret',
      () => ({
        headers: bearer(
          signHmac(validHeader(), validClaims(), 'another-secret-that-is-long-enough-0123456789'),
        ),
      }),
    ],
    [
      'the right secret but a wrong iss',
      () => ({
        headers: bearer(
          signHmac(validHeader(), validClaims({ iss: 'https://evil.example.com' }), TEST_JWT_SECRET),
        ),
      }),
    ],
    [
      'the right secret but no iss',
      () => ({ headers: bearer(signHmac(validHeader(), validClaims({ iss: undefined }), TEST_JWT_SECRET)) }),
    ],
    [
      "the right secret but typ 'JWT' instead of 'at+jwt'",
      () => ({ headers: bearer(signHmac(validHeader({ typ: 'JWT' }), validClaims(), TEST_JWT_SECRET)) }),
    ],
    [
      'the right secret but no typ',
      () => ({ headers: bearer(signHmac({ alg: 'HS256' }, validClaims(), TEST_JWT_SECRET)) }),
    ],
    [
      'the right secret but expired (exp in the past)',
      () => {
        const now = Math.floor(Date.now() / 1000);
        return {
          headers: bearer(
            signHmac(validHeader(), validClaims({ iat: now - 3600, exp: now - 60 }), TEST_JWT_SECRET),
          ),
        };
      },
      'token_expired',
    ],
    [
      'alg HS512 signed with the right secret',
      () => ({
        headers: bearer(signHmac(validHeader({ alg: 'HS512' }), validClaims(), TEST_JWT_SECRET, 'sha512')),
      }),
    ],
    [
      'alg HS384 signed with the right secret',
      () => ({
        headers: bearer(signHmac(validHeader({ alg: 'HS384' }), validClaims(), TEST_JWT_SECRET, 'sha384')),
      }),
    ],
    [
      'a validly signed token over 8 KiB',
      () => {
        const token = signHmac(validHeader(), validClaims({ pad: 'x'.repeat(8 * 1024) }), TEST_JWT_SECRET);
        expect(token.length).toBeGreaterThan(8192);
        return { headers: bearer(token) };
      },
    ],
    [
      'the right secret, but the sub of no user',
      () => ({
        headers: bearer(signHmac(validHeader(), validClaims({ sub: randomUUID() }), TEST_JWT_SECRET)),
      }),
    ],
    ['the refresh_token from POST /token', () => ({ headers: bearer(user.refresh) })],
    ['an API token (WRITE_TOKEN) as Bearer', () => ({ headers: bearer(WRITE_TOKEN) })],
    [
      'the access token under the Token scheme',
      () => ({ headers: { authorization: `Token ${user.token}` } }),
    ],
    [
      'the access token in ?access_token= without a header',
      () => ({ query: `?access_token=${user.token}`, headers: {} }),
    ],
    ['the access token in ?token= without a header', () => ({ query: `?token=${user.token}`, headers: {} })],
  ];

  describe.each(['/protected', '/api/me'])('%s', (path) => {
    it.each(cases)('401 for %s', async (_name, build, code = 'invalid_token') => {
      const { query = '', headers } = build();
      const res = await t.request('GET', path + query, { headers });
      expect401(res, code);
      expect(res.body).not.toHaveProperty('id');
    });

    it('403 forbidden for an API token (the route is about a person)', async () => {
      const res = await t.request('GET', path, { apiToken: WRITE_TOKEN });
      expect403(res);
    });
  });

  it('the genuine token still works after all of the above', async () => {
    const res = await t.request('GET', '/protected', { headers: bearer(user.token) });
    expect(res.status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------

describe('deactivation', () => {
  it('is immediate: the same access token gets 401 on the very next request', async () => {
    const user = await newUser();
    const get = (path = '/protected') => t.request('GET', path, { headers: bearer(user.token) });
    expect((await get()).status).toBe(200);

    const del = await t.request('DELETE', `/api/users/${user.id}`, { apiToken: WRITE_TOKEN });
    expect(del.status).toBe(204);

    expect401(await get());
    expect401(await get('/api/me'));
    // and he can no longer log in
    const again = await t.request('POST', '/token', { body: { username: user.email, password: PASSWORD } });
    expect(again.status).toBe(401);
  });

  it('is immediate every time: 10 deactivate/reactivate cycles, the next request after each DELETE is 401, and reactivation revives no old session', async () => {
    const user = await newUser();
    const refused: string[] = [];
    const stale: number[] = [];
    let token = user.token;
    let refreshToken = user.refresh;
    for (let cycle = 0; cycle < 10; cycle++) {
      const get = () => t.request('GET', '/protected', { headers: bearer(token) });
      // active, and its status surely cached
      expect((await get()).status).toBe(200);
      expect((await get()).status).toBe(200);
      expect((await t.request('DELETE', `/api/users/${user.id}`, { apiToken: WRITE_TOKEN })).status).toBe(
        204,
      );
      if ((await get()).status !== 401) stale.push(cycle);
      const patch = await t.request('PATCH', `/api/users/${user.id}`, {
        apiToken: WRITE_TOKEN,
        body: { is_active: true },
      });
      expect(patch.status).toBe(200);
      // Contract §3: the deactivation ended the session for good; reactivating the user does not bring back
      // its access token or its refresh token.
      if ((await get()).status !== 401) refused.push(`cycle ${cycle}: access token revived`);
      const renewed = await t.request('POST', '/token/refresh', { body: { refresh_token: refreshToken } });
      if (renewed.status !== 401) refused.push(`cycle ${cycle}: refresh token revived (${renewed.status})`);
      const pair = await login(t, user.email, PASSWORD);
      token = pair.access_token;
      refreshToken = pair.refresh_token;
    }
    // cycles in which the deactivated user's token still got in once
    expect(stale).toEqual([]);
    expect(refused).toEqual([]);
  });

  it('reaches another instance on the same database within 1 s; reactivation revives no old session on either', async () => {
    const user = await newUser();
    // Same database; same issuer as A (B's own PUBLIC_URL has another port), so one token fits both.
    const b = await startServer({ JWT_ISSUER: t.baseUrl }, { databaseUrl: t.databaseUrl });
    try {
      const onA = () => t.request('GET', '/protected', { headers: bearer(user.token) });
      const onB = () => b.request('GET', '/protected', { headers: bearer(user.token) });
      expect((await onA()).status).toBe(200);
      expect((await onB()).status).toBe(200);
      // twice, so that B has surely cached the session's status
      expect((await onB()).status).toBe(200);

      const del = await t.request('DELETE', `/api/users/${user.id}`, { apiToken: WRITE_TOKEN });
      expect(del.status).toBe(204);
      expect401(await onA());
      const started = Date.now();
      const onBAfter = await pollStatus(onB, 401, 1000);
      expect401(onBAfter);
      expect(Date.now() - started).toBeLessThan(1500);

      const patch = await t.request('PATCH', `/api/users/${user.id}`, {
        apiToken: WRITE_TOKEN,
        body: { is_active: true },
      });
      expect(patch.status).toBe(200);
      expect(patch.body.is_active).toBe(true);
      expect401(await onA());
      expect401(await onB());
      // a new sign-in works on both
      const pair = await login(b, user.email, PASSWORD);
      expect((await t.request('GET', '/protected', { headers: bearer(pair.access_token) })).status).toBe(200);
      expect((await b.request('GET', '/protected', { headers: bearer(pair.access_token) })).status).toBe(200);
    } finally {
      await b.stop();
    }
  });

  it('a user deleted from the database (SQL) gets 401 at once', async () => {
    const user = await newUser();
    expect((await t.request('GET', '/protected', { headers: bearer(user.token) })).status).toBe(200);
    await t.db.query('DELETE FROM users WHERE id = $1', [user.id]);
    expect401(
      await pollStatus(() => t.request('GET', '/protected', { headers: bearer(user.token) }), 401, 1000),
    );
  });
});

// ---------------------------------------------------------------------------------------------

describe('admin rights on the directory', () => {
  it("an admin's access token can list and create users", async () => {
    const list = await t.request('GET', '/api/users', { headers: bearer(adminToken) });
    expect(list.status).toBe(200);
    expect(list.body.results.map((u: any) => u.email)).toContain(ADMIN_EMAIL);

    const email = `by-admin-${randomUUID().slice(0, 8)}@example.com`;
    const created = await t.request('POST', '/api/users', { headers: bearer(adminToken), body: { email } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email, is_admin: false });
    expect((await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount).toBe(1);
  });

  it("a non-admin user's token gets 403 forbidden and writes nothing", async () => {
    const user = await newUser();
    const victim = await newUser();
    const before = await countRows(t.db, 'users');

    expect403(await t.request('GET', '/api/users', { headers: bearer(user.token) }));
    expect403(await t.request('GET', `/api/users/${victim.id}`, { headers: bearer(user.token) }));

    const email = `by-user-${randomUUID().slice(0, 8)}@example.com`;
    expect403(await t.request('POST', '/api/users', { headers: bearer(user.token), body: { email } }));
    expect403(await t.request('POST', '/api/users', { headers: bearer(user.token), body: [{ email }] }));
    expect403(
      await t.request('PATCH', `/api/users/${victim.id}`, {
        headers: bearer(user.token),
        body: { first_name: 'Hacked' },
      }),
    );
    expect403(await t.request('DELETE', `/api/users/${victim.id}`, { headers: bearer(user.token) }));

    expect(await countRows(t.db, 'users')).toBe(before);
    expect((await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount).toBe(0);
    const { rows } = await t.db.query('SELECT first_name, is_active FROM users WHERE id = $1', [victim.id]);
    expect(rows[0]).toEqual({ first_name: '', is_active: true });
  });

  it('an is_admin claim the test forges (right secret) grants nothing: rights come from the database', async () => {
    const user = await newUser();
    const forged = signHmac(
      { alg: 'HS256', typ: 'at+jwt' },
      { ...decodePart(user.token, 1), is_admin: true, jti: randomUUID() },
      TEST_JWT_SECRET,
    );
    // The token itself is accepted (signature, issuer, type are right) …
    expect((await t.request('GET', '/protected', { headers: bearer(forged) })).status).toBe(200);
    // … but the user is not an admin.
    expect403(await t.request('GET', '/api/users', { headers: bearer(forged) }));
  });

  it('demoting an admin (SQL) makes their existing token get 403 within 1 s', async () => {
    const user = await newUser();
    await t.db.query('UPDATE users SET is_admin = true WHERE id = $1', [user.id]);
    const token = (await login(t, user.email, PASSWORD)).access_token;
    expect(decodePart(token, 1).is_admin).toBe(true);
    const list = () => t.request('GET', '/api/users', { headers: bearer(token) });
    expect((await pollStatus(list, 200, 1000)).status).toBe(200);
    // and once more, so that the status is surely cached
    expect((await list()).status).toBe(200);

    await t.db.query('UPDATE users SET is_admin = false WHERE id = $1', [user.id]);
    const started = Date.now();
    const after = await pollStatus(list, 403, 1000);
    expect403(after);
    expect(Date.now() - started).toBeLessThan(1500);
    // still a valid user for the routes about a person
    expect((await t.request('GET', '/protected', { headers: bearer(token) })).status).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------------

describe('API tokens managed by admins (POST/GET/DELETE /api/tokens)', () => {
  it('create, use within its scope, list without the value, revoke, revoke again', async () => {
    const created = await t.request('POST', '/api/tokens', {
      headers: bearer(adminToken),
      body: { name: 'reader', scopes: ['users:read'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.any(String),
      name: 'reader',
      token: expect.any(String),
      scopes: ['users:read'],
      prefix: expect.any(String),
      created_at: expect.any(String),
    });
    expect(created.body).not.toHaveProperty('token_hash');
    expect(Number.isNaN(Date.parse(created.body.created_at))).toBe(false);
    const { id, token, prefix } = created.body;
    expect(token.startsWith(prefix)).toBe(true);
    expect(token.length).toBeGreaterThanOrEqual(24);
    const { rows } = await t.db.query('SELECT name, scopes, revoked_at FROM api_tokens WHERE id = $1', [id]);
    expect(rows).toEqual([{ name: 'reader', scopes: ['users:read'], revoked_at: null }]);

    // within its scope
    expect((await t.request('GET', '/api/users', { apiToken: token })).status).toBe(200);
    const before = await countRows(t.db, 'users');
    const email = `by-reader-${randomUUID().slice(0, 8)}@example.com`;
    expect403(await t.request('POST', '/api/users', { apiToken: token, body: { email } }));
    expect(await countRows(t.db, 'users')).toBe(before);
    // an API token cannot mint or list tokens
    expect403(
      await t.request('POST', '/api/tokens', {
        apiToken: token,
        body: { name: 'x', scopes: ['users:read'] },
      }),
    );

    // listed without the value
    const list = await t.request('GET', '/api/tokens', { headers: bearer(adminToken) });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    const entry = list.body.find((e: any) => e.id === id);
    expect(entry).toMatchObject({ id, name: 'reader', scopes: ['users:read'], prefix });
    for (const e of list.body) expect(e).not.toHaveProperty('token');
    expect(list.text).not.toContain(token);
    expect(list.text).not.toContain(WRITE_TOKEN);

    // revoked: 401 on its next use, gone from the list
    const del = await t.request('DELETE', `/api/tokens/${id}`, { headers: bearer(adminToken) });
    expect(del.status).toBe(204);
    expect401(await t.request('GET', '/api/users', { apiToken: token }));
    const listAfter = await t.request('GET', '/api/tokens', { headers: bearer(adminToken) });
    expect(listAfter.body.map((e: any) => e.id)).not.toContain(id);

    const again = await t.request('DELETE', `/api/tokens/${id}`, { headers: bearer(adminToken) });
    expect({ status: again.status, code: again.body?.code }).toEqual({ status: 404, code: 'not_found' });
  });

  it('a non-admin user, WRITE_TOKEN and an anonymous caller cannot create or list tokens', async () => {
    const user = await newUser();
    const before = await countRows(t.db, 'api_tokens');
    const body = { name: 'nope', scopes: ['users:write'] };
    expect403(await t.request('POST', '/api/tokens', { headers: bearer(user.token), body }));
    expect403(await t.request('POST', '/api/tokens', { apiToken: WRITE_TOKEN, body }));
    expect401(await t.request('POST', '/api/tokens', { body }));
    expect403(await t.request('GET', '/api/tokens', { headers: bearer(user.token) }));
    expect403(await t.request('GET', '/api/tokens', { apiToken: WRITE_TOKEN }));
    const { rows } = await t.db.query(`SELECT id FROM api_tokens WHERE name = 'bootstrap'`);
    expect403(await t.request('DELETE', `/api/tokens/${rows[0].id}`, { apiToken: WRITE_TOKEN }));
    expect403(await t.request('DELETE', `/api/tokens/${rows[0].id}`, { headers: bearer(user.token) }));
    expect(await countRows(t.db, 'api_tokens')).toBe(before);
    // WRITE_TOKEN still works
    expect((await t.request('GET', '/api/users', { apiToken: WRITE_TOKEN })).status).toBe(200);
  });

  it.each([
    ['scopes ["admin"]', { name: 'bad', scopes: ['admin'] }],
    ['an unknown scope among valid ones', { name: 'bad', scopes: ['users:read', 'users:admin'] }],
    ['no scopes', { name: 'bad', scopes: [] }],
    ['scopes not an array', { name: 'bad', scopes: 'users:read' }],
    ['a missing name', { scopes: ['users:read'] }],
    ['an empty name', { name: '', scopes: ['users:read'] }],
    ['a name that is not a string', { name: 42, scopes: ['users:read'] }],
    ['an extra field', { name: 'bad', scopes: ['users:read'], created_by: randomUUID() }],
    [
      'an extra field "token"',
      { name: 'bad', scopes: ['users:read'], token: 'lk_chosen_by_caller_0123456789' },
    ],
  ])('400 for %s, nothing written', async (_name, body) => {
    const before = await countRows(t.db, 'api_tokens');
    const res = await t.request('POST', '/api/tokens', { headers: bearer(adminToken), body });
    expect({ status: res.status, code: res.body?.code }).toEqual({ status: 400, code: 'validation_failed' });
    expect(await countRows(t.db, 'api_tokens')).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------

describe('JWKS', () => {
  it('is public, and with the default HS256 holds only the ID-token key (never the secret)', async () => {
    const res = await t.request('GET', '/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.body.keys).toEqual([expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig' })]);
    for (const member of ['d', 'p', 'q', 'k']) expect(res.body.keys[0]).not.toHaveProperty(member);
    expect(res.text).not.toContain(TEST_JWT_SECRET);
  });
});

describe('asymmetric signing keys', () => {
  const ecKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const edKeys = generateKeyPairSync('ed25519');
  const pem = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }).toString();

  const servers: Record<string, TestServer> = {};

  beforeAll(async () => {
    const [es, rs, ed] = await Promise.all([
      startServer({ JWT_ALGORITHM: 'ES256', JWT_PRIVATE_KEY: pem(ecKeys.privateKey) }),
      startServer({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: pem(rsaKeys.privateKey) }),
      startServer({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: pem(edKeys.privateKey) }),
    ]);
    Object.assign(servers, { ES256: es, RS256: rs, EdDSA: ed });
  });

  afterAll(async () => {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  });

  describe('ES256', () => {
    let es: TestServer;
    let user: Awaited<ReturnType<typeof newUser>>;
    let jwk: any;

    beforeAll(async () => {
      es = servers.ES256;
      user = await newUser(es);
    });

    it('issues ES256 tokens with a kid that JWKS publishes as a public EC key, and the signature verifies', async () => {
      const header = decodePart(user.token, 0);
      expect(header).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
      expect(typeof header.kid).toBe('string');
      expect(header.kid.length).toBeGreaterThan(0);

      const res = await es.request('GET', '/.well-known/jwks.json');
      expect(res.status).toBe(200);
      // Beside it, the OpenID Provider's ID-token key (another kid).
      const published = res.body.keys.filter((key: { kid: string }) => key.kid === header.kid);
      expect(published).toHaveLength(1);
      jwk = published[0];
      const ours = ecKeys.publicKey.export({ format: 'jwk' });
      expect(jwk).toEqual({
        kid: header.kid,
        kty: 'EC',
        crv: 'P-256',
        x: ours.x,
        y: ours.y,
        alg: 'ES256',
        use: 'sig',
      });
      expect(jwk).not.toHaveProperty('d');
      expect(res.text).not.toContain(ecKeys.privateKey.export({ format: 'jwk' }).d as string);

      const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
      expect(verifyAsymmetric(user.token, publicKey, 'ES256')).toBe(true);
      // and a tampered token does not verify with it (the check above is meaningful)
      const [h, , s] = user.token.split('.');
      const tampered = `${h}.${b64({ ...decodePart(user.token, 1), is_admin: true })}.${s}`;
      expect(verifyAsymmetric(tampered, publicKey, 'ES256')).toBe(false);

      const me = await es.request('GET', '/protected', { headers: bearer(user.token) });
      expect(me.status).toBe(200);
      expect(me.body.id).toBe(user.id);
    });

    const claims = () => ({ ...decodePart(user.token, 1), jti: randomUUID() });
    const header = () => ({ ...decodePart(user.token, 0) });

    it('accepts a token the test signs with the same private key (control)', async () => {
      const token = signAsymmetric(header(), claims(), createPrivateKey(pem(ecKeys.privateKey)));
      expect((await es.request('GET', '/protected', { headers: bearer(token) })).status).toBe(200);
    });

    it.each([
      [
        'the PEM public key (SPKI) as HMAC secret',
        () => ecKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      ],
      [
        'the PEM public key without its final newline',
        () => ecKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString().trimEnd(),
      ],
      ['the JWK JSON as HMAC secret', () => JSON.stringify(jwk)],
      [
        'the exported public JWK JSON as HMAC secret',
        () => JSON.stringify(ecKeys.publicKey.export({ format: 'jwk' })),
      ],
      ['the DER public key as HMAC secret', () => ecKeys.publicKey.export({ type: 'spki', format: 'der' })],
      ['JWT_SECRET (still set in the environment) as HMAC secret', () => TEST_JWT_SECRET],
    ])('key confusion: 401 for an HS256 token signed with %s', async (_name, secret) => {
      for (const kid of [undefined, decodePart(user.token, 0).kid]) {
        const token = signHmac({ alg: 'HS256', typ: 'at+jwt', ...(kid ? { kid } : {}) }, claims(), secret());
        expect401(await es.request('GET', '/protected', { headers: bearer(token) }));
      }
    });

    it('401 for ES256 signed by another P-256 key with the same kid, and for alg none', async () => {
      const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      expect401(
        await es.request('GET', '/protected', { headers: bearer(signAsymmetric(header(), claims(), other)) }),
      );
      const none = `${b64({ ...header(), alg: 'none' })}.${b64(claims())}.`;
      expect401(await es.request('GET', '/protected', { headers: bearer(none) }));
    });
  });

  it.each([
    ['RS256', 'RSA', () => rsaKeys.publicKey],
    ['EdDSA', 'OKP', () => edKeys.publicKey],
  ] as const)(
    '%s: logs in, issues %s-signed tokens that verify with the published JWK',
    async (alg, kty, ours) => {
      const server = servers[alg];
      const user = await newUser(server);
      const header = decodePart(user.token, 0);
      expect(header).toMatchObject({ alg, typ: 'at+jwt', kid: expect.any(String) });

      const res = await server.request('GET', '/.well-known/jwks.json');
      expect(res.status).toBe(200);
      const published = res.body.keys.filter((key: { kid: string }) => key.kid === header.kid);
      expect(published).toHaveLength(1);
      const jwk = published[0];
      expect(jwk).toMatchObject({
        kid: header.kid,
        kty,
        alg,
        use: 'sig',
        ...ours().export({ format: 'jwk' }),
      });
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(jwk).not.toHaveProperty(member);
      expect(verifyAsymmetric(user.token, createPublicKey({ key: jwk, format: 'jwk' }), alg)).toBe(true);

      expect((await server.request('GET', '/protected', { headers: bearer(user.token) })).status).toBe(200);
      // the HS256 secret the process also has does not sign tokens for it
      const forged = signHmac(
        { alg: 'HS256', typ: 'at+jwt' },
        { ...decodePart(user.token, 1), jti: randomUUID() },
        TEST_JWT_SECRET,
      );
      expect401(await server.request('GET', '/protected', { headers: bearer(forged) }));
    },
  );
});
