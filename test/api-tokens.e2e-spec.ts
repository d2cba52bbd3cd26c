import { createHash, randomUUID } from 'node:crypto';
import {
  countRows,
  runCli,
  startServer,
  testDataDir,
  type HttpResult,
  type TestServer,
  WRITE_TOKEN,
} from './support/server.js';

/**
 * API tokens and the authentication of the directory routes (contract §1, §4, §6, §7): the built
 * server and CLI as child processes, HTTP only, the database read directly.
 */

let t: TestServer;

beforeAll(async () => {
  t = await startServer();
});

afterAll(async () => {
  await t?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? '';
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

function cliEnv(server: TestServer = t): Record<string, string> {
  return { DATABASE_URL: server.databaseUrl, DATA_DIR: testDataDir() };
}

async function createToken(
  name: string,
  scopes: string,
): Promise<{ value: string; id: string; output: string }> {
  const cli = await runCli(['token:create', '--name', name, '--scopes', scopes], cliEnv());
  expect(cli.code).toBe(0);
  const value = lastLine(cli.stdout);
  const { rows } = await t.db.query<{ id: string }>('SELECT id FROM api_tokens WHERE token_hash = $1', [
    sha256(value),
  ]);
  expect(rows).toHaveLength(1);
  return { value, id: rows[0].id, output: cli.stdout + cli.stderr };
}

function expectInvalidToken(res: HttpResult): void {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status: 401, code: 'invalid_token' });
  expect(res.body).toMatchObject({ statusCode: 401, code: 'invalid_token' });
  expect(typeof res.body.message).toBe('string');
  const challenge = res.headers.get('www-authenticate') ?? '';
  expect(challenge).toContain('Bearer');
  expect(challenge).toContain('error="invalid_token"');
}

async function waitFor<T>(probe: () => Promise<T | undefined | null>, ms = 5000): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== null) return value;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------

describe('Authorization header', () => {
  it('answers 401 invalid_token with a Bearer challenge when it is missing', async () => {
    const res = await t.request('GET', '/api/users');
    expectInvalidToken(res);
  });

  it.each([
    ['an unknown token', `Token wrong`],
    ['a token that is not registered but well formed', `Token lk_${'x'.repeat(43)}`],
    ['the Basic scheme', 'Basic xxx'],
    ['Basic with the real token', `Basic ${Buffer.from(`user:${WRITE_TOKEN}`).toString('base64')}`],
    ['Bearer with an API token', `Bearer ${WRITE_TOKEN}`],
    ['a scheme without credentials', 'Token'],
    ['extra parts', `Token ${WRITE_TOKEN} extra`],
    ['an empty header', ''],
  ])('answers 401 for %s', async (_, authorization) => {
    const res = await t.request('GET', '/api/users', { headers: { authorization } });
    expectInvalidToken(res);
  });

  it('accepts the valid token (control case)', async () => {
    const res = await t.request('GET', '/api/users', { apiToken: WRITE_TOKEN });
    expect(res.status).toBe(200);
  });
});

describe('token storage', () => {
  it('stores only sha256(token) (32 bytes) and a short visible prefix, never the value', async () => {
    const created = await createToken('storage', 'users:read');
    for (const value of [WRITE_TOKEN, created.value]) {
      const { rows } = await t.db.query('SELECT * FROM api_tokens WHERE token_hash = $1', [sha256(value)]);
      expect(rows).toHaveLength(1);
      const row = rows[0];
      expect(Buffer.isBuffer(row.token_hash)).toBe(true);
      expect(row.token_hash).toHaveLength(32);
      expect(Buffer.compare(row.token_hash, sha256(value))).toBe(0);
      expect(typeof row.prefix).toBe('string');
      expect(row.prefix.length).toBeGreaterThan(0);
      expect(row.prefix.length).toBeLessThanOrEqual(12);
      expect(value.startsWith(row.prefix)).toBe(true);
      // The value appears nowhere in the row, in any representation of any column.
      for (const [column, cell] of Object.entries(row)) {
        const shown = Buffer.isBuffer(cell)
          ? [cell.toString('utf8'), cell.toString('hex'), cell.toString('base64'), cell.toString('base64url')]
          : [JSON.stringify(cell)];
        for (const s of shown)
          expect({ column, contains: s.includes(value) }).toEqual({ column, contains: false });
      }
    }
    // and nowhere in the whole table dump either
    const { rows: dump } = await t.db.query(`SELECT api_tokens::text AS row FROM api_tokens`);
    const text = dump.map((r) => r.row).join('\n');
    expect(text).not.toContain(WRITE_TOKEN);
    expect(text).not.toContain(created.value);
  });
});

describe('CLI token:create / token:list / token:revoke', () => {
  it('prints a new token exactly once, and it works at once', async () => {
    const created = await createToken('cli-create', 'users:read');
    expect(created.value).toMatch(/^\S{24,}$/);
    expect(occurrences(created.output, created.value)).toBe(1);
    const res = await t.request('GET', '/api/users', { apiToken: created.value });
    expect(res.status).toBe(200);
  });

  it('refuses bad scopes without creating anything', async () => {
    const before = await countRows(t.db, 'api_tokens');
    const cli = await runCli(['token:create', '--name', 'bad', '--scopes', 'users:admin'], cliEnv());
    expect(cli.code).not.toBe(0);
    expect(await countRows(t.db, 'api_tokens')).toBe(before);
  });

  it('lists tokens by id, name and prefix, never their values', async () => {
    const created = await createToken('cli-list', 'users:read,users:write');
    const list = await runCli(['token:list'], cliEnv());
    expect(list.code).toBe(0);
    const line = list.stdout.split('\n').find((l) => l.includes(created.id));
    expect(line).toBeDefined();
    expect(line).toContain('cli-list');
    expect(line).toContain(created.value.slice(0, 6));
    expect(list.stdout + list.stderr).not.toContain(created.value);
    expect(list.stdout + list.stderr).not.toContain(WRITE_TOKEN);
  });

  it('revokes a token: its very next request is 401, without a restart', async () => {
    const created = await createToken('cli-revoke', 'users:write');
    const before = await t.request('GET', '/api/users', { apiToken: created.value });
    expect(before.status).toBe(200);

    const revoke = await runCli(['token:revoke', created.id], cliEnv());
    expect(revoke.code).toBe(0);

    const after = await t.request('GET', '/api/users', { apiToken: created.value });
    expectInvalidToken(after);
    const write = await t.request('POST', '/api/users', {
      apiToken: created.value,
      body: { email: 'revoked@x.com' },
    });
    expectInvalidToken(write);
    expect((await t.db.query(`SELECT 1 FROM users WHERE email = 'revoked@x.com'`)).rowCount).toBe(0);

    const list = await runCli(['token:list'], cliEnv());
    expect(list.stdout).not.toContain(created.id);
    // other tokens still work
    expect((await t.request('GET', '/api/users', { apiToken: WRITE_TOKEN })).status).toBe(200);
  });

  it('fails to revoke an unknown id', async () => {
    const revoke = await runCli(['token:revoke', randomUUID()], cliEnv());
    expect(revoke.code).not.toBe(0);
  });
});

describe('last_used_at', () => {
  it('is null before the first use and set after it', async () => {
    const created = await createToken('last-used', 'users:read');
    const lastUsed = async (): Promise<Date | null> =>
      (await t.db.query('SELECT last_used_at FROM api_tokens WHERE id = $1', [created.id])).rows[0]
        .last_used_at;
    expect(await lastUsed()).toBeNull();
    const started = Date.now();
    const res = await t.request('GET', '/api/users', { apiToken: created.value });
    expect(res.status).toBe(200);
    const at = await waitFor(lastUsed);
    expect(at).toBeInstanceOf(Date);
    // within a few seconds of the request (clocks of the test and the database are the same machine's)
    expect(Math.abs((at as Date).getTime() - started)).toBeLessThan(10_000);
  });
});

describe('BOOTSTRAP_API_TOKEN', () => {
  it('is registered once with scope users:write, and a second start on the same database adds no row', async () => {
    const rowsFor = async () =>
      (
        await t.db.query('SELECT id, name, scopes, revoked_at FROM api_tokens WHERE token_hash = $1', [
          sha256(WRITE_TOKEN),
        ])
      ).rows;
    const first = await rowsFor();
    expect(first).toHaveLength(1);
    expect(first[0].scopes).toEqual(['users:write']);
    expect(first[0].revoked_at).toBeNull();
    const total = await countRows(t.db, 'api_tokens');

    const second = await startServer({}, { databaseUrl: t.databaseUrl });
    try {
      expect(await rowsFor()).toEqual(first);
      expect(await countRows(t.db, 'api_tokens')).toBe(total);
      const res = await second.request('GET', '/api/users', { apiToken: WRITE_TOKEN });
      expect(res.status).toBe(200);
    } finally {
      await second.stop();
    }
  });
});

describe('deny by default', () => {
  const id = randomUUID();
  // Always three elements: with fewer, Jest would pass its `done` callback as the third argument.
  const routes: [string, string, unknown][] = [
    ['POST', '/api/users', { email: 'walk@x.com' }],
    ['POST', '/api/users', [{ email: 'walk2@x.com' }]],
    ['GET', '/api/users', undefined],
    ['GET', `/api/users/${id}`, undefined],
    ['PATCH', `/api/users/${id}`, { first_name: 'x' }],
    ['DELETE', `/api/users/${id}`, undefined],
  ];

  it.each(routes)('%s %s answers 401 without credentials', async (method, path, body) => {
    const before = await countRows(t.db, 'users');
    const res = await t.request(method, path, { body });
    expectInvalidToken(res);
    expect(await countRows(t.db, 'users')).toBe(before);
  });

  // The routes marked @Public(). A route that answers anonymous callers and is not listed here fails the walk.
  const PUBLIC_ROUTES = [
    'get /health',
    'post /token',
    'post /logout',
    'get /.well-known/jwks.json',
    'get /sso/login',
  ];
  // Public, but its credential is the refresh token in the body (or cookie): without one it is the same
  // 401 invalid_token as a protected route, so the walk cannot tell it apart. The privilege matrix holds it.
  const CREDENTIAL_IN_BODY = new Set(['post /token/refresh']);

  it('every operation of the OpenAPI document answers 401 without credentials, unless it is listed as public', async () => {
    const doc = await t.request('GET', '/docs-json');
    expect(doc.status).toBe(200);
    const paths: Record<string, Record<string, unknown>> = doc.body.paths;
    const checked: string[] = [];
    const open: string[] = [];
    for (const [template, operations] of Object.entries(paths)) {
      for (const method of Object.keys(operations)) {
        if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
        const path = template.replace(/\{[^}]+\}/g, randomUUID());
        const res = await t.request(
          method.toUpperCase(),
          path,
          method === 'get' || method === 'delete' ? {} : { body: {} },
        );
        const route = `${method} ${template}`;
        if (CREDENTIAL_IN_BODY.has(route)) continue;
        if (res.status === 401 && res.body?.code === 'invalid_token') {
          expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
          checked.push(route);
        } else {
          open.push(route);
        }
      }
    }
    expect(open.sort()).toEqual([...PUBLIC_ROUTES].sort());
    // the walk covered at least the directory's routes
    expect(checked).toEqual(
      expect.arrayContaining([
        'post /api/users',
        'get /api/users',
        'get /api/users/{id}',
        'patch /api/users/{id}',
        'delete /api/users/{id}',
      ]),
    );
  });

  it('leaves GET /health and /docs public', async () => {
    expect((await t.request('GET', '/health')).status).toBe(200);
    expect((await t.request('GET', '/docs')).status).toBe(200);
  });
});
