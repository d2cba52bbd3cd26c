import { startServer, type TestServer } from './support/server.js';

// JWT_VERIFIER=passport swaps the fast-jwt check for the passport-jwt strategy; the contract must not change.
describe('JWT_VERIFIER=passport', () => {
  let t: TestServer;
  let token: string;

  beforeAll(async () => {
    t = await startServer({
      JWT_VERIFIER: 'passport',
      BOOTSTRAP_ADMIN_EMAIL: 'admin@passport.example',
      BOOTSTRAP_ADMIN_PASSWORD: 'passport-password',
    });
    const login = await t.request('POST', '/token', {
      body: { username: 'admin@passport.example', password: 'passport-password' },
    });
    expect(login.status).toBe(200);
    token = login.body.access_token;
  });

  afterAll(async () => {
    await t.stop();
  });

  it('accepts a valid Bearer token', async () => {
    const res = await t.request('GET', '/protected', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.any(String),
      username: 'admin@passport.example',
      email: 'admin@passport.example',
    });
  });

  it.each([
    ['a tampered signature', () => `${token.slice(0, -2)}xx`],
    ['garbage', () => 'not.a.token'],
    [
      'alg none',
      () =>
        `${token
          .split('.')
          .slice(0, 2)
          .join('.')
          .replace(/^[^.]+/, Buffer.from('{"alg":"none","typ":"at+jwt"}').toString('base64url'))}.`,
    ],
  ])('refuses %s with 401 invalid_token and the RFC 6750 challenge', async (_, make) => {
    const res = await t.request('GET', '/protected', { headers: { authorization: `Bearer ${make()}` } });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_token');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('lets an admin use the directory and stops a deactivated user at once', async () => {
    const created = await t.request('POST', '/api/users', {
      headers: { authorization: `Bearer ${token}` },
      body: { email: 'someone@passport.example', password: 'someone-password' },
    });
    expect(created.status).toBe(201);
    const login = await t.request('POST', '/token', {
      body: { username: 'someone@passport.example', password: 'someone-password' },
    });
    const userToken = login.body.access_token;
    expect(
      (await t.request('GET', '/api/me', { headers: { authorization: `Bearer ${userToken}` } })).status,
    ).toBe(200);
    const off = await t.request('DELETE', `/api/users/${created.body.id}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(off.status).toBe(204);
    const after = await t.request('GET', '/api/me', { headers: { authorization: `Bearer ${userToken}` } });
    expect(after.status).toBe(401);
  });
});
