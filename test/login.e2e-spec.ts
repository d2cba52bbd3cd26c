import { countRows, startServer, WRITE_TOKEN, type HttpResult, type TestServer } from './support/server.js';
import { bearer, login, refresh } from './support/actors.js';
import { median } from './support/timing.js';
import { USER_KEYS } from './support/contract.js';
import { cookieHeader, setCookies } from './support/session.js';

/**
 * Password login, refresh rotation, logout and cookie sessions (contract §3, §4, §7): the built server
 * as a child process, HTTP only, the database read directly for "what was (not) written".
 */

const PASSWORD = 'correct horse battery staple';
const ADMIN_EMAIL = 'root@login.example';
const ADMIN_PASSWORD = 'admin password for the login suite';
const BAD_LOGIN = {
  statusCode: 401,
  error: 'Unauthorized',
  code: 'invalid_credentials',
  message: 'Bad username or password',
};

// Main server (with a bootstrap admin for the cookie tests), a server for the throttle (its per-address
// counter stays clean), and one with no refresh grace window.
let t: TestServer;
let th: TestServer;
let noGrace: TestServer;

beforeAll(async () => {
  [t, th, noGrace] = await Promise.all([
    startServer({ BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL, BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD }),
    startServer(),
    startServer({ JWT_REFRESH_REUSE_WINDOW: '0' }),
  ]);
});

afterAll(async () => {
  await Promise.all([t?.stop(), th?.stop(), noGrace?.stop()]);
});

// ---------------------------------------------------------------------------------------------
// helpers

async function createUser(
  server: TestServer,
  email: string,
  extra: Record<string, unknown> = { password: PASSWORD },
): Promise<string> {
  const res = await server.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: { email, ...extra },
  });
  expect(res.status).toBe(201);
  return res.body.id;
}

async function deactivate(server: TestServer, id: string): Promise<void> {
  const res = await server.request('DELETE', `/api/users/${id}`, { apiToken: WRITE_TOKEN });
  expect(res.status).toBe(204);
}

function decodeJwt(token: string): { header: any; payload: any } {
  const parts = token.split('.');
  expect(parts).toHaveLength(3);
  const [header, payload] = parts
    .slice(0, 2)
    .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')));
  return { header, payload };
}

function expectBadLogin(res: HttpResult): void {
  expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: BAD_LOGIN });
}

function expectPair(res: HttpResult, userId: string): void {
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    token: expect.any(String),
    access_token: expect.any(String),
    token_type: 'Bearer',
    expires_in: 900,
    refresh_token: expect.any(String),
    user_id: userId,
  });
  expect(res.body.token).toBe(res.body.access_token);
  expect(res.body.refresh_token.length).toBeGreaterThan(20);
  expect(res.headers.get('cache-control')).toBe('no-store');
}

async function throttleRows(server: TestServer): Promise<number> {
  const { rows } = await server.db.query(
    'SELECT count(*)::int AS n, coalesce(sum(failures), 0)::int AS f FROM login_throttle',
  );
  // rows and total failures: a new row or one more counted attempt both change it
  return rows[0].n * 1_000_000 + rows[0].f;
}

/** The id (uuid) of the refresh-token family started by the login that issued this access token. */
async function familyOf(server: TestServer, accessToken: string): Promise<string> {
  const { jti } = decodeJwt(accessToken).payload;
  const { rows } = await server.db.query('SELECT session_id FROM refresh_tokens WHERE access_jti = $1', [
    jti,
  ]);
  expect(rows).toHaveLength(1);
  return rows[0].session_id;
}

function attributes(line: string): string[] {
  return line
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());
}

function expired(line: string): boolean {
  const attrs = attributes(line);
  if (attrs.includes('max-age=0')) return true;
  const expires = attrs.find((a) => a.startsWith('expires='));
  return expires !== undefined && Date.parse(expires.slice('expires='.length)) <= Date.now();
}

// ---------------------------------------------------------------------------------------------

describe('POST /token: successful login', () => {
  let id: string;
  const email = 'ada.lovelace@login.example';

  beforeAll(async () => {
    id = await createUser(t, email, { password: PASSWORD, username: 'ada' });
  });

  it.each([
    ['the email', email],
    ['the username', 'ada'],
    ['the email upper-cased', 'ADA.LOVELACE@LOGIN.EXAMPLE'],
    ['the email with surrounding whitespace', `  ${email}\t`],
    ['mixed case and whitespace', ' Ada.Lovelace@Login.Example '],
    ['the username in capitals', 'ADA'],
  ])('accepts {username, password} with %s', async (_, username) => {
    const res = await login(t, username);
    expectPair(res, id);
  });

  it('accepts {email, password} in place of username', async () => {
    const res = await t.request('POST', '/token', {
      body: { email: ` ${email.toUpperCase()} `, password: PASSWORD },
    });
    expectPair(res, id);
  });

  it('issues an HS256 at+jwt access token with the contract claims', async () => {
    const before = Math.floor(Date.now() / 1000);
    const res = await login(t, email);
    expectPair(res, id);
    const after = Math.floor(Date.now() / 1000);
    const { header, payload } = decodeJwt(res.body.access_token);
    expect(header).toMatchObject({ alg: 'HS256', typ: 'at+jwt' });
    expect(payload).toEqual({
      sub: id,
      email,
      username: 'ada',
      is_admin: false,
      iat: expect.any(Number),
      exp: expect.any(Number),
      iss: t.baseUrl,
      jti: expect.any(String),
      sid: expect.stringMatching(/^[0-9a-f-]{36}$/),
      amr: ['pwd'],
    });
    expect(payload.sub).toBe(res.body.user_id);
    // sid names the session row the login started
    const { rows } = await t.db.query('SELECT user_id, sign_in_method FROM sessions WHERE id = $1', [
      payload.sid,
    ]);
    expect(rows).toEqual([{ user_id: id, sign_in_method: 'password' }]);
    expect(payload.iat).toBeGreaterThanOrEqual(before - 1);
    expect(payload.iat).toBeLessThanOrEqual(after + 1);
    expect(payload.exp).toBe(payload.iat + 900);
    expect(payload.jti.length).toBeGreaterThan(0);
    // every login gets its own token id and refresh token
    const second = await login(t, email);
    expect(decodeJwt(second.body.access_token).payload.jti).not.toBe(payload.jti);
    expect(second.body.refresh_token).not.toBe(res.body.refresh_token);
  });

  it('sets last_login_at in the database', async () => {
    const freshId = await createUser(t, 'grace.hopper@login.example');
    const before = await t.db.query('SELECT last_login_at FROM users WHERE id = $1', [freshId]);
    expect(before.rows[0].last_login_at).toBeNull();
    const started = Date.now();
    expectPair(await login(t, 'grace.hopper@login.example'), freshId);
    const after = await t.db.query('SELECT last_login_at FROM users WHERE id = $1', [freshId]);
    const at: Date = after.rows[0].last_login_at;
    expect(at).toBeInstanceOf(Date);
    expect(Math.abs(at.getTime() - started)).toBeLessThan(10_000);
  });
});

describe('POST /token: failed login', () => {
  it('answers unknown user, wrong password, inactive user and a user without password with one identical 401', async () => {
    await createUser(t, 'wrong.pw@login.example');
    const inactive = await createUser(t, 'inactive@login.example');
    await deactivate(t, inactive);
    await createUser(t, 'nopass@login.example', {});
    const { rows } = await t.db.query(`SELECT password_hash FROM users WHERE email = 'nopass@login.example'`);
    expect(rows[0].password_hash).toBeNull();

    const answers = [
      await login(t, 'nobody@login.example', PASSWORD),
      await login(t, 'wrong.pw@login.example', 'not the password'),
      await login(t, 'inactive@login.example', PASSWORD),
      await login(t, 'nopass@login.example', PASSWORD),
      await login(t, 'nopass@login.example', ''.padEnd(8, 'x')),
    ];
    for (const res of answers) expectBadLogin(res);
    expect(new Set(answers.map((r) => r.text)).size).toBe(1);
    // the same headers too, but for the ones that differ on every answer
    const headerSets = answers.map((r) =>
      JSON.stringify([...r.headers].filter(([name]) => !['date', 'x-request-id'].includes(name))),
    );
    expect(new Set(headerSets).size).toBe(1);
  });

  it('takes about the same time for unknown user, wrong password and inactive user', async () => {
    // A different account for every attempt, so the per-account limit never cuts one short.
    const n = 5;
    const wrong = Array.from({ length: n }, (_, i) => `timing.wrong${i}@login.example`);
    const inactive = Array.from({ length: n }, (_, i) => `timing.inactive${i}@login.example`);
    const unknown = Array.from({ length: n }, (_, i) => `timing.ghost${i}@login.example`);
    const created = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: [...wrong, ...inactive].map((email) => ({ email, password: PASSWORD })),
    });
    expect(created.status).toBe(200);
    expect(created.body.created).toBe(2 * n);
    for (const u of created.body.users.filter((u: any) => u.email.startsWith('timing.inactive')))
      await deactivate(t, u.id);

    // warm-up (not measured): first argon2 calls and connection set-up
    expectBadLogin(await login(t, 'timing.warmup@login.example', 'not the password'));

    const samples: Record<'unknown' | 'wrong' | 'inactive', number[]> = {
      unknown: [],
      wrong: [],
      inactive: [],
    };
    const timed = async (kind: keyof typeof samples, username: string, password: string) => {
      const started = performance.now();
      const res = await login(t, username, password);
      samples[kind].push(performance.now() - started);
      expectBadLogin(res);
    };
    // interleaved, so drift in machine load affects all three alike
    for (let i = 0; i < n; i++) {
      await timed('unknown', unknown[i], 'not the password');
      await timed('wrong', wrong[i], 'not the password');
      await timed('inactive', inactive[i], PASSWORD);
    }
    const medians = {
      unknown: median(samples.unknown),
      wrong: median(samples.wrong),
      inactive: median(samples.inactive),
    };
    const values = Object.values(medians);
    // argon2id verification dominates every case; an unknown user without the dummy hash is ~100x faster
    expect({ medians, ratio: Math.max(...values) / Math.min(...values) < 3 }).toEqual({
      medians,
      ratio: true,
    });
  });

  it('compares passwords longer than 72 bytes whole', async () => {
    const id = await createUser(t, 'long.pw@login.example', { password: 'a'.repeat(100) });
    expectBadLogin(await login(t, 'long.pw@login.example', 'a'.repeat(72)));
    expectBadLogin(await login(t, 'long.pw@login.example', 'a'.repeat(99)));
    expectBadLogin(await login(t, 'long.pw@login.example', 'a'.repeat(101)));
    expectPair(await login(t, 'long.pw@login.example', 'a'.repeat(100)), id);
  });
});

describe('POST /token: malformed bodies', () => {
  it.each([
    ['missing password', { username: 'ada' }],
    ['missing username and email', { password: PASSWORD }],
    ['password as a number', { username: 'ada', password: 12345678 }],
    ['username as an object', { username: { $gt: '' }, password: PASSWORD }],
    ['username as {$ne: null}', { username: { $ne: null }, password: { $ne: null } }],
    ['username as an array', { username: ['ada'], password: PASSWORD }],
    ['a NUL inside the username', { username: 'ada\u0000@login.example', password: PASSWORD }],
    ['CRLF inside the username', { username: 'ada\r\nX-Injected: 1', password: PASSWORD }],
    ['a NUL inside the email', { email: 'ada@login.example\u0000', password: PASSWORD }],
    ['email as an object', { email: { $gt: '' }, password: PASSWORD }],
    ['password over 1024 bytes', { username: 'ada', password: 'p'.repeat(1025) }],
    ['password over 1024 bytes in multi-byte characters', { username: 'ada', password: 'é'.repeat(513) }],
  ])('answers 400 validation_failed for %s, before counting an attempt', async (_, body) => {
    const before = await throttleRows(t);
    const res = await t.request('POST', '/token', { body });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'validation_failed' });
    expect(typeof res.body.message).toBe('string');
    expect(res.text).not.toContain(PASSWORD);
    expect(await throttleRows(t)).toBe(before);
  });

  it('counts a well-formed failed attempt (control for the check above)', async () => {
    const before = await throttleRows(t);
    expectBadLogin(await login(t, 'counted@login.example', 'whatever'));
    expect(await throttleRows(t)).not.toBe(before);
  });

  it('answers an oversized password quickly (no hashing)', async () => {
    const started = performance.now();
    const res = await t.request('POST', '/token', {
      body: { username: 'ada', password: 'p'.repeat(1_000_000) },
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

describe('POST /token: throttling', () => {
  it('locks an account after 5 failures, whatever the password or X-Forwarded-For; unknown accounts alike; others unaffected', async () => {
    const lockedId = await createUser(th, 'locked@login.example');
    const otherId = await createUser(th, 'other@login.example');

    for (let i = 0; i < 5; i++) expectBadLogin(await login(th, 'locked@login.example', `wrong ${i}`));
    const sixth = await login(th, 'locked@login.example', 'wrong 5');
    expect(sixth.status).toBe(429);
    expect(sixth.body).toMatchObject({ statusCode: 429, code: 'rate_limited' });
    expect(typeof sixth.body.message).toBe('string');
    const retryAfter = sixth.headers.get('retry-after') ?? '';
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(15 * 60);

    // locked answers alike: the right password gets the same answer
    const right = await login(th, 'locked@login.example', PASSWORD);
    expect(right.status).toBe(429);
    expect(right.body).toEqual(sixth.body);
    expect(right.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(right.body.access_token).toBeUndefined();

    // keyed by the account: another (forged) client address changes nothing
    for (const xff of ['203.0.113.9', '198.51.100.7, 10.0.0.1']) {
      const forged = await login(th, 'locked@login.example', PASSWORD, {
        'x-forwarded-for': xff,
        'x-real-ip': xff,
      });
      expect(forged.status).toBe(429);
      expect(forged.body.code).toBe('rate_limited');
    }
    // and by the normalised account name
    expect((await login(th, ' LOCKED@login.example ', PASSWORD)).status).toBe(429);

    // an unknown account is throttled exactly the same way
    const ghost: number[] = [];
    for (let i = 0; i < 6; i++) ghost.push((await login(th, 'ghost@login.example', `wrong ${i}`)).status);
    expect(ghost).toEqual([401, 401, 401, 401, 401, 429]);

    // another account is unaffected
    expectPair(await login(th, 'other@login.example', PASSWORD), otherId);
    // and nothing was issued for the locked one
    const { rows } = await th.db.query('SELECT count(*)::int AS n FROM sessions WHERE user_id = $1', [
      lockedId,
    ]);
    expect(rows[0].n).toBe(0);
  });
});

describe('POST /token/refresh', () => {
  let id: string;
  const email = 'refresh@login.example';

  beforeAll(async () => {
    id = await createUser(t, email);
  });

  it('rotates: a new pair with a different refresh token; the old one within the window answers the same pair', async () => {
    const first = await login(t, email);
    expectPair(first, id);
    const rotated = await refresh(t, first.body.refresh_token);
    expectPair(rotated, id);
    expect(rotated.body.refresh_token).not.toBe(first.body.refresh_token);
    expect(rotated.body.access_token).not.toBe(first.body.access_token);
    const claims = decodeJwt(rotated.body.access_token).payload;
    expect(claims).toMatchObject({ sub: id, email, is_admin: false, iss: t.baseUrl });
    expect(claims.exp).toBe(claims.iat + 900);

    // the new access token works
    const me = await t.request('GET', '/protected', { headers: bearer(rotated.body.access_token) });
    expect(me.status).toBe(200);

    // grace window: the spent token again gives the very same successor pair
    const again = await refresh(t, first.body.refresh_token);
    expect(again.status).toBe(200);
    expect(again.body.access_token).toBe(rotated.body.access_token);
    expect(again.body.refresh_token).toBe(rotated.body.refresh_token);
    expect(again.body).toEqual(rotated.body);

    // and the successor itself still rotates normally
    const third = await refresh(t, rotated.body.refresh_token);
    expectPair(third, id);
    expect(third.body.refresh_token).not.toBe(rotated.body.refresh_token);
  });

  it('mints exactly one successor for 5 concurrent refreshes of one token', async () => {
    const fresh = await login(t, email);
    expectPair(fresh, id);
    const family = await familyOf(t, fresh.body.access_token);
    const racing = await Promise.all(Array.from({ length: 5 }, () => refresh(t, fresh.body.refresh_token)));
    expect(racing.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(racing.map((r) => r.body.refresh_token)).size).toBe(1);
    expect(new Set(racing.map((r) => r.body.access_token)).size).toBe(1);
    expect(racing[0].body.refresh_token).not.toBe(fresh.body.refresh_token);
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM refresh_tokens WHERE session_id = $1', [
      family,
    ]);
    expect(rows[0].n).toBe(2);
    // the one successor works
    expectPair(await refresh(t, racing[0].body.refresh_token), id);
  });

  it('revokes the whole family when a spent token is presented after the window', async () => {
    const userId = await createUser(noGrace, 'thief@login.example');
    const first = await login(noGrace, 'thief@login.example');
    expectPair(first, userId);
    const family = await familyOf(noGrace, first.body.access_token);
    const second = await refresh(noGrace, first.body.refresh_token);
    expectPair(second, userId);
    await new Promise((r) => setTimeout(r, 1100));

    const replay = await refresh(noGrace, first.body.refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body).toMatchObject({ statusCode: 401, code: 'refresh_token_reused' });
    expect(replay.body.access_token).toBeUndefined();

    const successor = await refresh(noGrace, second.body.refresh_token);
    expect(successor.status).toBe(401);
    expect(successor.body.statusCode).toBe(401);
    expect(successor.body.access_token).toBeUndefined();

    const { rows } = await noGrace.db.query(
      `SELECT count(*)::int AS n, count(s.revoked_at)::int AS revoked, min(s.revoked_reason) AS reason
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.session_id = $1`,
      [family],
    );
    expect(rows[0]).toEqual({ n: 2, revoked: 2, reason: 'reuse' });
    // a new login still works: only that session was revoked
    expectPair(await login(noGrace, 'thief@login.example'), userId);
  });

  it.each([
    ['garbage', 'garbage'],
    ['a token-shaped forgery', 'A'.repeat(64)],
    ['an empty string', ''],
  ])('refuses %s with 401 invalid_token', async (_, value) => {
    const res = await refresh(t, value);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, code: 'invalid_token' });
  });

  it('refuses an access token presented as a refresh token with 401', async () => {
    const pair = await login(t, email);
    expectPair(pair, id);
    const res = await refresh(t, pair.body.access_token);
    expect({ status: res.status, code: res.body?.code }).toEqual({ status: 401, code: 'invalid_token' });
    expect(res.body.access_token).toBeUndefined();
  });
});

describe('POST /logout', () => {
  it('revokes the session (204), the refresh token stops working, and logout is idempotent', async () => {
    const id = await createUser(t, 'logout@login.example');
    const first = await login(t, 'logout@login.example');
    expectPair(first, id);
    const family = await familyOf(t, first.body.access_token);
    const rotated = await refresh(t, first.body.refresh_token);
    expectPair(rotated, id);

    const out = await t.request('POST', '/logout', { body: { refresh_token: rotated.body.refresh_token } });
    expect(out.status).toBe(204);
    expect(out.text).toBe('');

    const after = await refresh(t, rotated.body.refresh_token);
    expect(after.status).toBe(401);
    // the whole family: the spent predecessor (still within its grace window) gets nothing either
    expect((await refresh(t, first.body.refresh_token)).status).toBe(401);
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n, count(s.revoked_at)::int AS revoked, min(s.revoked_reason) AS reason
         FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.session_id = $1`,
      [family],
    );
    expect(rows[0]).toEqual({ n: 2, revoked: 2, reason: 'logout' });

    const again = await t.request('POST', '/logout', { body: { refresh_token: rotated.body.refresh_token } });
    expect(again.status).toBe(204);
  });
});

describe('cookie sessions', () => {
  let adminId: string;

  beforeAll(async () => {
    const { rows } = await t.db.query('SELECT id FROM users WHERE email = $1', [ADMIN_EMAIL]);
    expect(rows).toHaveLength(1);
    adminId = rows[0].id;
  });

  async function cookieLogin(
    how: 'query' | 'header',
  ): Promise<{ res: HttpResult; jar: Record<string, string> }> {
    const res =
      how === 'query'
        ? await t.request('POST', '/token?cookie=1', {
            body: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD },
          })
        : await t.request('POST', '/token', {
            body: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD },
            headers: { 'x-session': 'cookie' },
          });
    expectCookieSession(res, adminId);
    const set = setCookies(res);
    const jar = Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v.value]));
    return { res, jar };
  }

  /** Contract §3: with cookies, the body carries no token value for script on the page to read. */
  function expectCookieSession(res: HttpResult, userId: string): void {
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ token_type: 'Bearer', expires_in: 900, user_id: userId });
    expect(res.text).not.toMatch(/eyJ/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  }

  it.each<['query' | 'header', string]>([
    ['query', '?cookie=1'],
    ['header', 'X-Session: cookie'],
  ])('sets HttpOnly token cookies and a readable CSRF cookie (%s: %s)', async (how) => {
    const { res } = await cookieLogin(how);
    const set = setCookies(res);
    expect(Object.keys(set).sort()).toEqual(['access_token', 'csrf_token', 'refresh_token']);
    expect(decodeJwt(set.access_token.value).payload.sub).toBe(adminId);
    expect(set.refresh_token.value).toMatch(/^[\w-]{64}$/);
    expect(res.text).not.toContain(set.access_token.value);
    expect(res.text).not.toContain(set.refresh_token.value);
    for (const name of ['access_token', 'refresh_token']) {
      const attrs = attributes(set[name].line);
      expect({ name, attrs }).toEqual({
        name,
        attrs: expect.arrayContaining(['httponly', 'path=/', 'samesite=lax']),
      });
      expect(attrs).not.toContain('secure');
    }
    const csrf = attributes(set.csrf_token.line);
    expect(csrf).not.toContain('httponly');
    expect(csrf).toContain('path=/');
    expect(csrf).toContain('samesite=lax');
    expect(csrf).not.toContain('secure');
    expect(set.csrf_token.value.length).toBeGreaterThanOrEqual(16);
  });

  it('sets no cookie without ?cookie=1 or X-Session', async () => {
    const res = await t.request('POST', '/token', {
      body: { username: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    expectPair(res, adminId);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('authenticates GET /protected with the access-token cookie alone', async () => {
    const { jar } = await cookieLogin('query');
    const res = await t.request('GET', '/protected', {
      headers: { cookie: `access_token=${jar.access_token}` },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: adminId, username: ADMIN_EMAIL, email: ADMIN_EMAIL });
  });

  it('needs X-CSRF-Token equal to the csrf_token cookie for an unsafe request by cookie', async () => {
    const { jar } = await cookieLogin('query');
    const cookie = cookieHeader(jar);
    const email = 'csrf.victim@login.example';
    const before = await countRows(t.db, 'users');

    const noHeader = await t.request('POST', '/api/users', { headers: { cookie }, body: { email } });
    expect(noHeader.status).toBe(403);
    expect(noHeader.body).toMatchObject({ statusCode: 403, code: 'csrf_failed' });

    const wrong = await t.request('POST', '/api/users', {
      headers: {
        cookie,
        'x-csrf-token': `${jar.csrf_token.slice(0, -1)}${jar.csrf_token.endsWith('A') ? 'B' : 'A'}`,
      },
      body: { email },
    });
    expect(wrong.status).toBe(403);
    expect(wrong.body.code).toBe('csrf_failed');

    const otherSession = (await cookieLogin('query')).jar.csrf_token;
    const foreign = await t.request('POST', '/api/users', {
      headers: { cookie, 'x-csrf-token': otherSession },
      body: { email },
    });
    expect(foreign.status).toBe(403);

    expect(await countRows(t.db, 'users')).toBe(before);
    expect((await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).rowCount).toBe(0);

    const ok = await t.request('POST', '/api/users', {
      headers: { cookie, 'x-csrf-token': jar.csrf_token },
      body: { email },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.email).toBe(email);
    expect(await countRows(t.db, 'users')).toBe(before + 1);
  });

  it('refreshes by cookie with the CSRF header (new cookies), refuses without it, and logs out clearing all three', async () => {
    const { jar } = await cookieLogin('query');
    const cookie = cookieHeader(jar);

    const noCsrf = await t.request('POST', '/token/refresh', { headers: { cookie } });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.code).toBe('csrf_failed');
    expect(noCsrf.headers.getSetCookie().some((l) => l.startsWith('access_token='))).toBe(false);

    const refreshed = await t.request('POST', '/token/refresh', {
      headers: { cookie, 'x-csrf-token': jar.csrf_token },
    });
    expectCookieSession(refreshed, adminId);
    const set = setCookies(refreshed);
    expect(Object.keys(set).sort()).toEqual(['access_token', 'csrf_token', 'refresh_token']);
    expect(refreshed.text).not.toContain(set.refresh_token.value);
    expect(set.refresh_token.value).not.toBe(jar.refresh_token);
    expect(refreshed.text).not.toContain(set.access_token.value);
    expect(set.access_token.value).not.toBe(jar.access_token);
    expect(attributes(set.refresh_token.line)).toContain('httponly');

    const next: Record<string, string> = {
      access_token: set.access_token.value,
      refresh_token: set.refresh_token.value,
      csrf_token: set.csrf_token.value,
    };
    const protectedRes = await t.request('GET', '/protected', { headers: { cookie: cookieHeader(next) } });
    expect(protectedRes.status).toBe(200);

    const out = await t.request('POST', '/logout', {
      headers: { cookie: cookieHeader(next), 'x-csrf-token': next.csrf_token },
    });
    expect(out.status).toBe(204);
    const cleared = setCookies(out);
    for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
      expect({ name, line: cleared[name]?.line }).toEqual({ name, line: expect.any(String) });
      expect({ name, expired: expired(cleared[name].line), value: cleared[name].value }).toEqual({
        name,
        expired: true,
        value: '',
      });
    }
    // the session is over
    expect((await refresh(t, next.refresh_token)).status).toBe(401);
  });
});

describe('GET /api/me and GET /protected with a Bearer token', () => {
  it('answers the user (snake_case, no secrets) and exactly {id, username, email}', async () => {
    const id = await createUser(t, 'me@login.example', {
      password: PASSWORD,
      username: 'me_user',
      first_name: 'Mary',
      last_name: 'Somerville',
    });
    const pair = await login(t, 'me_user');
    expectPair(pair, id);

    const me = await t.request('GET', '/api/me', { headers: bearer(pair.body.access_token) });
    expect(me.status).toBe(200);
    expect(Object.keys(me.body).sort()).toEqual(USER_KEYS);
    expect(me.body).toMatchObject({
      id,
      email: 'me@login.example',
      username: 'me_user',
      first_name: 'Mary',
      last_name: 'Somerville',
      is_active: true,
      is_admin: false,
    });
    expect(new Date(me.body.last_login_at).getTime()).not.toBeNaN();
    expect(me.text).not.toMatch(/password|hash|argon2/i);
    expect(me.text).not.toContain(PASSWORD);

    const prot = await t.request('GET', '/protected', { headers: bearer(pair.body.access_token) });
    expect(prot.status).toBe(200);
    expect(prot.body).toEqual({ id, username: 'me_user', email: 'me@login.example' });
  });
});
