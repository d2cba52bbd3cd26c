import { bearer, newPerson, refresh, snapshot } from '../support/actors.js';
import { expectError } from '../support/errors.js';
import { cookieHeader, partnerToken, setCookies } from '../support/session.js';
import { startServer, type TestServer } from '../support/server.js';

/**
 * Who a partner token may sign in, and what happens to a session already there: a partner token never signs
 * in an admin unless JWT_SSO_ALLOW_ADMINS=true, and JWT_SSO_SESSION_CONFLICT=switch ends the current
 * session before the new one starts (for embedding apps on shared computers: the partner knows who is at
 * the keyboard).
 */
const SECRET = 'partner-secret-for-the-rules-suite-0123456789';
const BASE = { JWT_SSO_SECRET: SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' };

let strict: TestServer;
let lenient: TestServer;

beforeAll(async () => {
  [strict, lenient] = await Promise.all([
    startServer(BASE),
    startServer({ ...BASE, JWT_SSO_ALLOW_ADMINS: 'true', JWT_SSO_SESSION_CONFLICT: 'switch' }),
  ]);
});

afterAll(async () => {
  await Promise.all([strict?.stop(), lenient?.stop()]);
});

function land(server: TestServer, email: string, cookie?: string) {
  return server.request('GET', `/sso/login?token=${partnerToken(SECRET, { email })}`, {
    headers: cookie ? { cookie } : {},
  });
}

describe('admin accounts and partner tokens', () => {
  it('by default a partner token for an admin is 403, nothing written (the jti unspent, no session)', async () => {
    const admin = await newPerson(strict, { admin: true });
    const before = await snapshot(strict.db);
    const res = await land(strict, admin.email);
    expectError(res, 403, 'forbidden');
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await snapshot(strict.db)).toEqual(before);
  });

  it('with JWT_SSO_ALLOW_ADMINS=true it signs the admin in', async () => {
    const admin = await newPerson(lenient, { admin: true });
    const res = await land(lenient, admin.email);
    expect(res.status).toBe(302);
    expect(Object.keys(setCookies(res))).toContain('access_token');
  });
});

describe('JWT_SSO_SESSION_CONFLICT=switch', () => {
  it('a landing for another person ends the current session, then signs the new person in', async () => {
    const alice = await newPerson(lenient);
    const jar = setCookies(
      await lenient.request('POST', '/token?cookie=1', {
        body: { username: alice.email, password: alice.password },
      }),
    );
    const cookie = cookieHeader({
      access_token: jar.access_token.value,
      refresh_token: jar.refresh_token.value,
    });
    const res = await land(lenient, 'bob.switch@partner.example', cookie);
    expect(res.status).toBe(302);
    const bobs = setCookies(res);
    const me = await lenient.request('GET', '/api/me', { headers: bearer(bobs.access_token.value) });
    expect(me.body.email).toBe('bob.switch@partner.example');
    // Alice's browser session is over, access and refresh token alike; her other sessions are not.
    expectError(
      await lenient.request('GET', '/api/me', { headers: bearer(jar.access_token.value) }),
      401,
      'invalid_token',
    );
    expect((await refresh(lenient, jar.refresh_token.value)).status).toBe(401);
    expect((await lenient.request('GET', '/api/me', { headers: bearer(alice.accessToken) })).status).toBe(
      200,
    );
  });

  it('the default (refuse) keeps the current session: 409, nothing written', async () => {
    const alice = await newPerson(strict);
    const jar = setCookies(
      await strict.request('POST', '/token?cookie=1', {
        body: { username: alice.email, password: alice.password },
      }),
    );
    const cookie = cookieHeader({
      access_token: jar.access_token.value,
      refresh_token: jar.refresh_token.value,
    });
    const before = await snapshot(strict.db);
    const res = await land(strict, 'bob.refuse@partner.example', cookie);
    expectError(res, 409, 'session_conflict');
    expect(await snapshot(strict.db)).toEqual(before);
    expect((await strict.request('GET', '/api/me', { headers: bearer(jar.access_token.value) })).status).toBe(
      200,
    );
  });
});
