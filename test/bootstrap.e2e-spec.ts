import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import { countRows, startServer, type TestServer } from './support/server.js';
import { createTestDatabase } from './support/test-db.js';

/**
 * BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD (contract §1): the admin is created when absent, and a
 * later start with the same settings leaves the account alone: an operator who deactivated, demoted or
 * re-passworded it must not see the next deploy undo that. Each start is the built server on one database.
 */

const EMAIL = 'root@bootstrap.example';
const PASSWORD = 'the first bootstrap password';
const env = (password = PASSWORD) => ({
  BOOTSTRAP_ADMIN_EMAIL: '  Root@Bootstrap.EXAMPLE ',
  BOOTSTRAP_ADMIN_PASSWORD: password,
});

async function adminRow(server: TestServer): Promise<Record<string, unknown>> {
  const { rows } = await server.db.query(`SELECT * FROM users WHERE email = $1`, [EMAIL]);
  expect(rows).toHaveLength(1);
  return rows[0];
}

function login(server: TestServer, password: string) {
  return server.request('POST', '/token', { body: { username: EMAIL, password } });
}

/** Starts a server on `databaseUrl` with `settings`, runs `check`, and always stops it. */
async function withServer(
  settings: Record<string, string>,
  databaseUrl: string | undefined,
  check: (server: TestServer) => Promise<void>,
): Promise<string> {
  const server = await startServer(settings, databaseUrl ? { databaseUrl } : {});
  try {
    await check(server);
  } finally {
    await server.stop();
  }
  return server.databaseUrl;
}

const logged = (server: TestServer, pattern: RegExp): string[] =>
  server.logs.filter((line) => pattern.test(line));

it('creates the admin on the first start, and a restart with another password changes nothing', async () => {
  let created: Record<string, unknown> = {};
  const databaseUrl = await withServer(env(), undefined, async (a) => {
    created = await adminRow(a);
    expect(created).toMatchObject({ is_admin: true, is_active: true, source: 'local', username: EMAIL });
    expect(await argon2Verify(String(created.password_hash), PASSWORD)).toBe(true);
    expect(logged(a, /Admin root@bootstrap\.example created/)).toHaveLength(1);
    expect(a.logs.join('\n')).not.toContain(PASSWORD);
  });

  await withServer(env('a different password'), databaseUrl, async (b) => {
    expect(await adminRow(b)).toEqual(created);
    expect(await countRows(b.db, 'users')).toBe(1);
    expect((await login(b, 'a different password')).status).toBe(401);
    expect((await login(b, PASSWORD)).status).toBe(200);
    expect(
      logged(b, /Account root@bootstrap\.example exists \(active: true, admin: true\): left alone/),
    ).toHaveLength(1);
    expect(logged(b, /Admin .* created/)).toEqual([]);
    expect(b.logs.join('\n')).not.toContain('a different password');
  });
});

it('a deactivated bootstrap admin stays deactivated across restarts and cannot sign in', async () => {
  const databaseUrl = await withServer(env(), undefined, async (a) => {
    expect((await login(a, PASSWORD)).status).toBe(200);
    await a.db.query(`UPDATE users SET is_active = false WHERE email = $1`, [EMAIL]);
  });
  await withServer(env(), databaseUrl, async (b) => {
    const row = await adminRow(b);
    expect(row.is_active).toBe(false);
    const refused = await login(b, PASSWORD);
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('invalid_credentials');
    expect(refused.body.access_token).toBeUndefined();
    expect(
      logged(b, /Account root@bootstrap\.example exists \(active: false, admin: true\): left alone/),
    ).toHaveLength(1);
    const { rows } = await b.db.query(`SELECT count(*)::int AS n FROM sessions WHERE user_id = $1`, [row.id]);
    expect(rows[0].n).toBe(1); // the session of the first start only
  });
});

it('a demoted bootstrap admin is not promoted again, and a changed password is not put back', async () => {
  const changed = 'the password the operator set later';
  const databaseUrl = await withServer(env(), undefined, async (a) => {
    // as an operator would: demote the account and give it another password
    await a.db.query(`UPDATE users SET is_admin = false, password_hash = $2 WHERE email = $1`, [
      EMAIL,
      await argon2Hash(changed),
    ]);
  });
  await withServer(env(), databaseUrl, async (b) => {
    expect(await adminRow(b)).toMatchObject({ is_admin: false, is_active: true });
    expect((await login(b, PASSWORD)).status).toBe(401);
    const signedIn = await login(b, changed);
    expect(signedIn.status).toBe(200);
    const payload = JSON.parse(
      Buffer.from(String(signedIn.body.access_token).split('.')[1], 'base64url').toString('utf8'),
    );
    expect(payload.is_admin).toBe(false);
    const adminOnly = await b.request('GET', '/api/tokens', {
      headers: { authorization: `Bearer ${signedIn.body.access_token}` },
    });
    expect(adminOnly.status).toBe(403);
    expect(
      logged(b, /Account root@bootstrap\.example exists \(active: true, admin: false\): left alone/),
    ).toHaveLength(1);
  });
});

it('two instances starting at once on a new database create one admin', async () => {
  const databaseUrl = await createTestDatabase();
  const servers = await Promise.all([1, 2].map(() => startServer(env(), { databaseUrl })));
  try {
    const { rows } = await servers[0].db.query(`SELECT count(*)::int AS n FROM users WHERE is_admin`);
    expect(rows[0].n).toBe(1);
    await adminRow(servers[0]);
    const createdBy = servers.map((s) => logged(s, /Admin root@bootstrap\.example created/).length);
    expect(createdBy.sort()).toEqual([0, 1]);
    expect((await login(servers[1], PASSWORD)).status).toBe(200);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
});
