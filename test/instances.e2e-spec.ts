import { randomUUID } from 'node:crypto';
import { bearer, login, refresh } from './support/actors.js';
import { startServer, type TestServer, WRITE_TOKEN } from './support/server.js';
import { createTestDatabase } from './support/test-db.js';

/**
 * Two Latchkey instances on one database, as behind a load balancer: what one instance learns (a spent
 * refresh token, a deactivation, failed logins) must hold on the other at once, because it lives in
 * PostgreSQL (rows, row locks, LISTEN/NOTIFY), not in a process's memory.
 *
 * SSO replay across instances (a jti used on one instance is a replay on the other) is covered in
 * test/sso.e2e-spec.ts ("a jti used on one instance is a replay on another instance"), not repeated here.
 */

const PASSWORD = 'two instances, one truth';

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  // Started together, as a deployment starts its replicas: both migrate (taking turns on the advisory
  // lock) and both register BOOTSTRAP_API_TOKEN. Behind one load balancer they share one public URL, so
  // one issuer. No grace window, so a spent refresh token is at once a reuse.
  const env = { PUBLIC_URL: 'http://latchkey.instances.test', JWT_REFRESH_REUSE_WINDOW: '0' };
  [a, b] = await Promise.all([1, 2].map(() => startServer(env, { databaseUrl })));
});

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

async function createUser(server: TestServer): Promise<{ id: string; email: string }> {
  const email = `${randomUUID()}@instances.example`;
  const res = await server.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: { email, password: PASSWORD },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id, email };
}

it('both instances serve the same database (migrated once, one bootstrap token)', async () => {
  const { rows } = await a.db.query<{ n: number }>('SELECT count(*)::int AS n FROM api_tokens');
  expect(rows[0].n).toBe(1);
  const user = await createUser(a);
  const res = await b.request('GET', `/api/users/${user.id}`, { apiToken: WRITE_TOKEN });
  expect(res.status).toBe(200);
  expect(res.body.email).toBe(user.email);
});

it('a refresh token spent on A and presented on B is a reuse: 401 refresh_token_reused, family revoked', async () => {
  const user = await createUser(a);
  const first = await login(a, user.email, PASSWORD);
  expect(first.status).toBe(200);

  const rotated = await refresh(a, first.body.refresh_token);
  expect(rotated.status).toBe(200);
  expect(rotated.body.refresh_token).not.toBe(first.body.refresh_token);

  // The thief (or a stale tab) replays the spent token through the other instance.
  const reused = await refresh(b, first.body.refresh_token);
  expect(reused.status).toBe(401);
  expect(reused.body).toMatchObject({ statusCode: 401, code: 'refresh_token_reused' });

  // The whole family is revoked, in the database, so the successor A issued is dead on A too.
  const successor = await refresh(a, rotated.body.refresh_token);
  expect(successor.status).toBe(401);
  expect(successor.body.code).toBe('invalid_token');
  const { rows } = await a.db.query<{ n: number; revoked: number }>(
    `SELECT count(*)::int AS n, count(s.revoked_at)::int AS revoked
       FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1`,
    [user.id],
  );
  expect(rows[0]).toEqual({ n: 2, revoked: 2 });
});

it('a user deactivated on A is refused on B on the very next request (LISTEN/NOTIFY), and cannot log in on B', async () => {
  const user = await createUser(a);
  const session = await login(a, user.email, PASSWORD);
  expect(session.status).toBe(200);
  const token: string = session.body.access_token;

  // Both instances now hold the user's status in their caches.
  for (const server of [a, b, a, b]) {
    const res = await server.request('GET', '/protected', { headers: bearer(token) });
    expect({ status: res.status, body: res.body }).toEqual({
      status: 200,
      body: { id: user.id, username: user.email, email: user.email },
    });
  }

  const gone = await a.request('DELETE', `/api/users/${user.id}`, { apiToken: WRITE_TOKEN });
  expect(gone.status).toBe(204);

  const onB = await b.request('GET', '/protected', { headers: bearer(token) });
  expect(onB.status).toBe(401);
  expect(onB.body.code).toBe('invalid_token');
  expect(onB.headers.get('www-authenticate')).toContain('error="invalid_token"');
  expect((await a.request('GET', '/api/me', { headers: bearer(token) })).status).toBe(401);

  const loginOnB = await login(b, user.email, PASSWORD);
  expect(loginOnB.status).toBe(401);
  expect(loginOnB.body.code).toBe('invalid_credentials');
});

it('failed logins count across instances: after 5 failures on A and B together, the 6th is 429 on either', async () => {
  const user = await createUser(b);
  const servers = [a, b, a, b, a];
  for (const [i, server] of servers.entries()) {
    const res = await login(server, user.email, `wrong password ${i}`);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('invalid_credentials');
  }

  // Locked: the right password does not help, on either instance.
  for (const server of [b, a]) {
    const res = await login(server, user.email, PASSWORD);
    expect(res.status).toBe(429);
    expect(res.body.code).toBe('rate_limited');
    const retryAfter = Number(res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
  }
});
