import { countRows, startServer, WRITE_TOKEN, type TestServer } from './support/server.js';

const PASSWORD = 'correct horse battery';
const BAD_LOGIN = {
  statusCode: 401,
  error: 'Unauthorized',
  code: 'invalid_credentials',
  message: 'Bad username or password',
};

function cookiesOf(res: { headers: Headers }): Record<string, string> {
  const jar: Record<string, string> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [name, ...value] = pair.split('=');
    jar[name.trim()] = value.join('=');
  }
  return jar;
}

function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

describe('sessions: login, refresh, logout, cookies', () => {
  let t: TestServer;
  let reuse: TestServer;

  async function user(email: string, extra: Record<string, unknown> = {}): Promise<string> {
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email, password: PASSWORD, ...extra },
    });
    expect([200, 201]).toContain(res.status);
    return res.body.id;
  }

  const login = (server: TestServer, username: string, password = PASSWORD, query = '') =>
    server.request('POST', `/token${query}`, { body: { username, password } });

  beforeAll(async () => {
    [t, reuse] = await Promise.all([startServer(), startServer({ JWT_REFRESH_REUSE_WINDOW: '0' })]);
  });

  afterAll(async () => {
    await Promise.all([t.stop(), reuse.stop()]);
  });

  it('logs in by email or username and answers the contract pair', async () => {
    const id = await user('ada@sessions.example', { username: 'ada' });
    for (const name of [' ADA@sessions.example ', 'ada', 'Ada']) {
      const res = await login(t, name);
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body).toEqual({
        token: res.body.access_token,
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 900,
        refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/),
        user_id: id,
      });
      const [header, payload] = res.body.access_token
        .split('.')
        .slice(0, 2)
        .map((p: string) => JSON.parse(Buffer.from(p, 'base64url').toString()));
      expect(header).toEqual({ alg: 'HS256', typ: 'at+jwt' });
      expect(payload).toMatchObject({
        sub: id,
        email: 'ada@sessions.example',
        username: 'ada',
        is_admin: false,
        iss: t.baseUrl,
      });
      expect(payload.exp - payload.iat).toBe(900);
    }
    const byEmailField = await t.request('POST', '/token', {
      body: { email: 'ada@sessions.example', password: PASSWORD },
    });
    expect(byEmailField.status).toBe(200);
    const { rows } = await t.db.query('SELECT last_login_at FROM users WHERE id = $1', [id]);
    expect(rows[0].last_login_at).not.toBeNull();
  });

  it('answers unknown user, wrong password, inactive user and no password alike', async () => {
    await user('wrong@sessions.example');
    const inactive = await user('inactive@sessions.example');
    expect((await t.request('DELETE', `/api/users/${inactive}`, { apiToken: WRITE_TOKEN })).status).toBe(204);
    await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: 'nopass@sessions.example' },
    });
    const answers = await Promise.all([
      login(t, 'nobody@sessions.example'),
      login(t, 'wrong@sessions.example', 'not the password'),
      login(t, 'inactive@sessions.example'),
      login(t, 'nopass@sessions.example', 'anything at all'),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual(BAD_LOGIN);
    }
  });

  it('takes the same time for an unknown user as for a wrong password (a dummy hash is verified)', async () => {
    // A different account for every attempt, so the account limit never cuts one short.
    const real = ['t0', 't1', 't2', 't3', 't4'].map((n) => `${n}.timing@sessions.example`);
    for (const email of real) await user(email);
    const median = async (usernames: string[], password: string): Promise<number> => {
      const samples: number[] = [];
      for (const username of usernames) {
        const started = performance.now();
        const res = await login(t, username, password);
        samples.push(performance.now() - started);
        expect(res.status).toBe(401);
      }
      return samples.sort((a, b) => a - b)[Math.floor(samples.length / 2)];
    };
    const wrong = await median(real, 'not the password');
    const unknown = await median(
      real.map((e) => `ghost.${e}`),
      'not the password',
    );
    // argon2id verification dominates both; without the dummy hash an unknown user would be ~100x faster.
    expect(unknown / wrong).toBeGreaterThan(1 / 3);
    expect(unknown / wrong).toBeLessThan(3);
  });

  it('compares passwords longer than 72 bytes whole', async () => {
    await user('long@sessions.example', { password: 'a'.repeat(100) });
    expect((await login(t, 'long@sessions.example', 'a'.repeat(72))).status).toBe(401);
    expect((await login(t, 'long@sessions.example', 'a'.repeat(99))).status).toBe(401);
    expect((await login(t, 'long@sessions.example', 'a'.repeat(100))).status).toBe(200);
  });

  it.each([
    [{ username: 'x@sessions.example' }],
    [{ password: PASSWORD }],
    [{ username: 'x@sessions.example', password: 12345678 }],
    [{ username: { $gt: '' }, password: PASSWORD }],
    [{ username: 'x@sessions.example', password: 'p'.repeat(1025) }],
  ])('refuses the malformed body %j with 400 before counting or hashing', async (body) => {
    const before = await t.db.query('SELECT count(*)::int AS n FROM login_throttle');
    const res = await t.request('POST', '/token', { body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('validation_failed');
    const after = await t.db.query('SELECT count(*)::int AS n FROM login_throttle');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('throttles an account after 5 failures, whatever X-Forwarded-For says, and even for the right password', async () => {
    await user('locked@sessions.example');
    for (let i = 0; i < 5; i++)
      expect((await login(t, 'locked@sessions.example', 'wrong password')).status).toBe(401);
    const limited = await t.request('POST', '/token', {
      body: { username: 'locked@sessions.example', password: PASSWORD },
      headers: { 'x-forwarded-for': '203.0.113.9' },
    });
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // An unknown account locks the same way, so the limit says nothing about which accounts exist.
    for (let i = 0; i < 5; i++) await login(t, 'ghost@sessions.example', 'wrong password');
    expect((await login(t, 'ghost@sessions.example', 'wrong password')).status).toBe(429);
    // Others are unaffected.
    expect((await login(t, 'ada@sessions.example')).status).toBe(200);
  });

  it('rotates refresh tokens, returns the same successor within the grace window, one successor under concurrency', async () => {
    await user('refresh@sessions.example');
    const first = (await login(t, 'refresh@sessions.example')).body;
    const rotated = await t.request('POST', '/token/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.refresh_token).not.toBe(first.refresh_token);
    const again = await t.request('POST', '/token/refresh', { body: { refresh_token: first.refresh_token } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(rotated.body);

    const fresh = (await login(t, 'refresh@sessions.example')).body;
    const racing = await Promise.all(
      Array.from({ length: 5 }, () =>
        t.request('POST', '/token/refresh', { body: { refresh_token: fresh.refresh_token } }),
      ),
    );
    expect(racing.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(new Set(racing.map((r) => r.body.refresh_token)).size).toBe(1);
    const me = await t.request('GET', '/api/me', {
      headers: { authorization: `Bearer ${racing[0].body.access_token}` },
    });
    expect(me.status).toBe(200);
    const payload = JSON.parse(Buffer.from(fresh.access_token.split('.')[1], 'base64url').toString());
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE access_jti = $1)`,
      [payload.jti],
    );
    expect(rows[0].n).toBe(2);
  });

  it('revokes the whole family when a spent token comes back after the window', async () => {
    await reuse.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: 'thief@sessions.example', password: PASSWORD },
    });
    const first = (await login(reuse, 'thief@sessions.example')).body;
    const second = (
      await reuse.request('POST', '/token/refresh', { body: { refresh_token: first.refresh_token } })
    ).body;
    await new Promise((r) => setTimeout(r, 1100));
    const replay = await reuse.request('POST', '/token/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(replay.status).toBe(401);
    expect(replay.body.code).toBe('refresh_token_reused');
    const successor = await reuse.request('POST', '/token/refresh', {
      body: { refresh_token: second.refresh_token },
    });
    expect(successor.status).toBe(401);
  });

  it.each([['garbage'], ['A'.repeat(64)]])('refuses the refresh token %j', async (value) => {
    const res = await t.request('POST', '/token/refresh', { body: { refresh_token: value } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
  });

  it('logs out: the family stops working, and logout is idempotent', async () => {
    const pair = (await login(t, 'ada@sessions.example')).body;
    expect((await t.request('POST', '/logout', { body: { refresh_token: pair.refresh_token } })).status).toBe(
      204,
    );
    expect(
      (await t.request('POST', '/token/refresh', { body: { refresh_token: pair.refresh_token } })).status,
    ).toBe(401);
    expect((await t.request('POST', '/logout', { body: { refresh_token: pair.refresh_token } })).status).toBe(
      204,
    );
  });

  it('cookie mode: HttpOnly tokens, a readable CSRF cookie, and the double-submit check', async () => {
    const admin = await startServer({
      BOOTSTRAP_ADMIN_EMAIL: 'root@sessions.example',
      BOOTSTRAP_ADMIN_PASSWORD: PASSWORD,
    });
    try {
      const res = await login(admin, 'root@sessions.example', PASSWORD, '?cookie=1');
      expect(res.status).toBe(200);
      const lines = res.headers.getSetCookie();
      const line = (name: string) => lines.find((l) => l.startsWith(`${name}=`)) ?? '';
      for (const name of ['access_token', 'refresh_token']) {
        expect(line(name)).toMatch(/HttpOnly/);
        expect(line(name)).toMatch(/Path=\//);
        expect(line(name)).toMatch(/SameSite=Lax/);
        expect(line(name)).not.toMatch(/Secure/);
      }
      expect(line('csrf_token')).not.toMatch(/HttpOnly/);
      const jar = cookiesOf(res);
      const cookie = cookieHeader(jar);
      expect((await admin.request('GET', '/protected', { headers: { cookie } })).status).toBe(200);

      const before = await countRows(admin.db, 'users');
      const noCsrf = await admin.request('POST', '/api/users', {
        headers: { cookie },
        body: { email: 'c1@sessions.example' },
      });
      expect(noCsrf.status).toBe(403);
      expect(noCsrf.body.code).toBe('csrf_failed');
      const wrongCsrf = await admin.request('POST', '/api/users', {
        headers: { cookie, 'x-csrf-token': 'nope' },
        body: { email: 'c1@sessions.example' },
      });
      expect(wrongCsrf.status).toBe(403);
      expect(await countRows(admin.db, 'users')).toBe(before);
      const ok = await admin.request('POST', '/api/users', {
        headers: { cookie, 'x-csrf-token': jar.csrf_token },
        body: { email: 'c1@sessions.example' },
      });
      expect(ok.status).toBe(201);

      const header = await admin.request('POST', '/token', {
        headers: { 'x-session': 'cookie' },
        body: { username: 'root@sessions.example', password: PASSWORD },
      });
      expect(cookiesOf(header).access_token).toBeTruthy();

      expect((await admin.request('POST', '/token/refresh', { headers: { cookie } })).status).toBe(403);
      const refreshed = await admin.request('POST', '/token/refresh', {
        headers: { cookie, 'x-csrf-token': jar.csrf_token },
      });
      expect(refreshed.status).toBe(200);
      const next = { ...jar, ...cookiesOf(refreshed) };
      const out = await admin.request('POST', '/logout', {
        headers: { cookie: cookieHeader(next), 'x-csrf-token': next.csrf_token },
      });
      expect(out.status).toBe(204);
      const cleared = out.headers.getSetCookie();
      for (const name of ['access_token', 'refresh_token', 'csrf_token']) {
        expect(cleared.find((l) => l.startsWith(`${name}=`))).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/);
      }
    } finally {
      await admin.stop();
    }
  });

  it('GET /protected answers exactly {id, username, email}; /api/me the user without secrets', async () => {
    const pair = (await login(t, 'ada@sessions.example')).body;
    const headers = { authorization: `Bearer ${pair.access_token}` };
    const protectedRes = await t.request('GET', '/protected', { headers });
    expect(protectedRes.body).toEqual({ id: pair.user_id, username: 'ada', email: 'ada@sessions.example' });
    const me = await t.request('GET', '/api/me', { headers });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(pair.user_id);
    expect(JSON.stringify(me.body)).not.toMatch(/password|hash/);
  });
});
