import {
  bearer,
  logout,
  newPerson,
  PASSWORD,
  type Person,
  refresh,
  signIn,
  snapshot,
  uniqueEmail,
} from '../support/actors.js';
import { expectError } from '../support/errors.js';
import { cookieHeader, cookieLogin, jwtPayload } from '../support/session.js';
import {
  type HttpResult,
  runCli,
  startServer,
  TEST_JWT_SECRET,
  type TestServer,
  testDataDir,
  WRITE_TOKEN,
} from '../support/server.js';

/**
 * Contract §3: signing out means signed out. A logout, a password change, an email change, a deactivation
 * and a deletion end sessions at once, access tokens included (they carry their session as `sid`), on
 * every instance; the caller sees and ends their own sessions through /api/me/sessions.
 */
let a: TestServer;
let b: TestServer;
let admin: Person;

beforeAll(async () => {
  a = await startServer({ JWT_SESSION_MAX_AGE: '600', JWT_REFRESH_TTL: '3600' });
  // Same database and issuer: one token fits both instances.
  b = await startServer({ JWT_ISSUER: a.baseUrl }, { databaseUrl: a.databaseUrl });
  admin = await newPerson(a, { admin: true });
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

async function poll(send: () => Promise<HttpResult>, status: number, withinMs: number): Promise<HttpResult> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const res = await send();
    if (res.status === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both tokens of a session are dead: the access token on both instances, the refresh token too. */
async function expectSessionOver(session: { accessToken: string; refreshToken: string }): Promise<void> {
  for (const path of ['/protected', '/api/me']) {
    expectError(await a.request('GET', path, { headers: bearer(session.accessToken) }), 401, 'invalid_token');
    expectError(
      await poll(() => b.request('GET', path, { headers: bearer(session.accessToken) }), 401, 1000),
      401,
      'invalid_token',
    );
  }
  expect((await refresh(a, session.refreshToken)).status).toBe(401);
}

async function expectSessionAlive(session: { accessToken: string }): Promise<void> {
  expect((await a.request('GET', '/protected', { headers: bearer(session.accessToken) })).status).toBe(200);
}

describe('logout', () => {
  it('ends the access token at once on this instance and within a second on the other; other sessions live', async () => {
    const person = await newPerson(a);
    const other = await signIn(a, person.email);
    // cached on both instances first
    expect((await b.request('GET', '/protected', { headers: bearer(person.accessToken) })).status).toBe(200);
    expect((await logout(a, person.refreshToken)).status).toBe(204);
    await expectSessionOver(person);
    await expectSessionAlive(other);
  });

  it('a logout on B ends the session for A (the instance that issued it) within a second', async () => {
    const person = await newPerson(a);
    expect((await a.request('GET', '/api/me', { headers: bearer(person.accessToken) })).status).toBe(200);
    expect((await logout(b, person.refreshToken)).status).toBe(204);
    expectError(
      await poll(() => a.request('GET', '/api/me', { headers: bearer(person.accessToken) }), 401, 1000),
      401,
      'invalid_token',
    );
  });
});

describe('changes to the user end every session', () => {
  it.each<[string, (person: Person) => Promise<HttpResult>]>([
    [
      'a password change by PATCH (admin)',
      (p) =>
        a.request('PATCH', `/api/users/${p.id}`, {
          headers: bearer(admin.accessToken),
          body: { password: `${PASSWORD}!` },
        }),
    ],
    [
      'a password change by the sync API (token)',
      (p) =>
        a.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email: p.email, password: `${PASSWORD}!` },
        }),
    ],
    [
      'an email change by PATCH (token)',
      (p) =>
        a.request('PATCH', `/api/users/${p.id}`, {
          apiToken: WRITE_TOKEN,
          body: { email: uniqueEmail('moved.example') },
        }),
    ],
    ['a deactivation by DELETE', (p) => a.request('DELETE', `/api/users/${p.id}`, { apiToken: WRITE_TOKEN })],
    [
      'a deactivation by the sync API',
      (p) =>
        a.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email: p.email, is_active: false },
        }),
    ],
    [
      'a password change by the CLI (admin:create on an existing admin)',
      async (p) => {
        await a.db.query('UPDATE users SET is_admin = true WHERE id = $1', [p.id]);
        const cli = await runCli(
          ['admin:create', '--email', p.email],
          { DATABASE_URL: a.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: testDataDir() },
          `${PASSWORD} from the CLI\n`,
        );
        expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
        return { status: 200 } as HttpResult;
      },
    ],
    [
      'a password change in plain SQL',
      async (p) => {
        await a.db.query(`UPDATE users SET password_hash = 'x' WHERE id = $1`, [p.id]);
        return { status: 200 } as HttpResult;
      },
    ],
    [
      'a deletion in plain SQL',
      async (p) => {
        await a.db.query('DELETE FROM users WHERE id = $1', [p.id]);
        return { status: 200 } as HttpResult;
      },
    ],
  ])("%s: both of the user's sessions end, on both instances", async (_, change) => {
    const person = await newPerson(a);
    const second = await signIn(b, person.email);
    const res = await change(person);
    expect([200, 204]).toContain(res.status);
    await expectSessionOver(person);
    await expectSessionOver(second);
  });

  it('a reactivation revives no session; a new sign-in works', async () => {
    const person = await newPerson(a);
    expect((await a.request('DELETE', `/api/users/${person.id}`, { apiToken: WRITE_TOKEN })).status).toBe(
      204,
    );
    expect(
      (
        await a.request('PATCH', `/api/users/${person.id}`, {
          apiToken: WRITE_TOKEN,
          body: { is_active: true },
        })
      ).status,
    ).toBe(200);
    await expectSessionOver(person);
    await expectSessionAlive(await signIn(a, person.email));
  });

  it('a change that touches no credential (names) ends nothing', async () => {
    const person = await newPerson(a);
    expect(
      (
        await a.request('PATCH', `/api/users/${person.id}`, {
          apiToken: WRITE_TOKEN,
          body: { first_name: 'Still', last_name: 'Here' },
        })
      ).status,
    ).toBe(200);
    // the same password sent again is no change either
    expect(
      (
        await a.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email: person.email, password: PASSWORD },
        })
      ).status,
    ).toBe(200);
    await expectSessionAlive(person);
    expect((await refresh(a, person.refreshToken)).status).toBe(200);
  });
});

describe('the session lifetime (JWT_SESSION_MAX_AGE=600, JWT_REFRESH_TTL=3600)', () => {
  it('no refresh token outlives its session, and a session past its end refreshes nothing', async () => {
    const person = await newPerson(a);
    const { sid } = jwtPayload(person.accessToken);
    const { rows } = await a.db.query(
      `SELECT extract(epoch FROM s.expires_at - s.created_at)::int AS session_s, bool_and(t.expires_at <= s.expires_at) AS within
         FROM sessions s JOIN refresh_tokens t ON t.session_id = s.id WHERE s.id = $1 GROUP BY s.id`,
      [sid],
    );
    // created_at is the database's clock, expires_at the sign-in's second: they may part by under a second
    expect(rows).toEqual([{ session_s: expect.any(Number), within: true }]);
    expect(Math.abs(rows[0].session_s - 600)).toBeLessThanOrEqual(1);
    const renewed = await refresh(a, person.refreshToken);
    expect(renewed.status).toBe(200);
    await a.db.query(`UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [sid]);
    expectError(await refresh(a, renewed.body.refresh_token), 401, 'invalid_token');
    // a fresh access token of the ended session, never seen (so never cached) before, is refused too
    expectError(
      await b.request('GET', '/protected', { headers: bearer(renewed.body.access_token) }),
      401,
      'invalid_token',
    );
  });
});

describe('GET /api/me/sessions', () => {
  it("lists the caller's active sessions, the current one marked, with method and user agent", async () => {
    const person = await newPerson(a);
    const phone = await a.request('POST', '/token', {
      body: { username: person.email, password: PASSWORD },
      headers: { 'user-agent': 'PhoneBrowser/1.0' },
    });
    expect(phone.status).toBe(200);
    const ended = await signIn(a, person.email);
    expect((await logout(a, ended.refreshToken)).status).toBe(204);
    const res = await a.request('GET', '/api/me/sessions', { headers: bearer(person.accessToken) });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body.sessions).toHaveLength(2);
    const byId = new Map<string, any>(res.body.sessions.map((s: any) => [s.id, s]));
    expect(byId.get(jwtPayload(person.accessToken).sid)).toMatchObject({ current: true, method: 'password' });
    expect(byId.get(jwtPayload(phone.body.access_token).sid)).toMatchObject({
      current: false,
      method: 'password',
      user_agent: 'PhoneBrowser/1.0',
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      last_used_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });
});

describe('DELETE /api/me/sessions[/:id]', () => {
  it('ends one session of the caller (204); the others live', async () => {
    const person = await newPerson(a);
    const laptop = await signIn(a, person.email);
    const res = await a.request('DELETE', `/api/me/sessions/${jwtPayload(laptop.accessToken).sid}`, {
      headers: bearer(person.accessToken),
    });
    expect(res.status).toBe(204);
    await expectSessionOver(laptop);
    await expectSessionAlive(person);
  });

  it("another user's session, an unknown id, an ended one → 404, nothing written", async () => {
    const person = await newPerson(a);
    const stranger = await newPerson(a);
    const ended = await signIn(a, person.email);
    await logout(a, ended.refreshToken);
    for (const id of [
      jwtPayload(stranger.accessToken).sid,
      '00000000-0000-4000-8000-000000000000',
      jwtPayload(ended.accessToken).sid,
    ]) {
      const before = await snapshot(a.db);
      expectError(
        await a.request('DELETE', `/api/me/sessions/${id}`, { headers: bearer(person.accessToken) }),
        404,
        'not_found',
      );
      expect(await snapshot(a.db)).toEqual(before);
    }
    await expectSessionAlive(stranger);
  });

  it('ends every session but the current one (204), on both instances', async () => {
    const person = await newPerson(a);
    const others = [await signIn(a, person.email), await signIn(b, person.email)];
    const stranger = await newPerson(a);
    expect(
      (await a.request('DELETE', '/api/me/sessions', { headers: bearer(person.accessToken) })).status,
    ).toBe(204);
    for (const other of others) await expectSessionOver(other);
    await expectSessionAlive(person);
    await expectSessionAlive(stranger);
    const list = await a.request('GET', '/api/me/sessions', { headers: bearer(person.accessToken) });
    expect(list.body.sessions.map((s: any) => s.current)).toEqual([true]);
  });

  it('by cookie, only with the CSRF header; an API token gets 403', async () => {
    const person = await newPerson(a);
    const other = await signIn(a, person.email);
    const jar = await cookieLogin(a, person.email, PASSWORD);
    const before = await snapshot(a.db);
    expectError(
      await a.request('DELETE', '/api/me/sessions', { headers: { cookie: cookieHeader(jar) } }),
      403,
      'csrf_failed',
    );
    expectError(await a.request('DELETE', '/api/me/sessions', { apiToken: WRITE_TOKEN }), 403, 'forbidden');
    expectError(await a.request('GET', '/api/me/sessions', { apiToken: WRITE_TOKEN }), 403, 'forbidden');
    expect(await snapshot(a.db)).toEqual(before);
    const ok = await a.request('DELETE', '/api/me/sessions', {
      headers: { cookie: cookieHeader(jar), 'x-csrf-token': jar.csrf_token },
    });
    expect(ok.status).toBe(204);
    await expectSessionOver(other);
  });
});
