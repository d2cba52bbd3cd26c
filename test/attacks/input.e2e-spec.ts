import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expectCleanError, logsSettled, stacksInLog, writes } from '../support/bad-input.js';
import { jsonBody, jsonObject, pathSegment, queryString } from '../support/hostile-input.js';
import { cookieLogin } from '../support/session.js';
import { countRows, startServer, WRITE_TOKEN, type HttpResult, type TestServer } from '../support/server.js';

/**
 * Hostile input on every write route: prototype pollution, mass assignment, Unicode look-alike duplicates,
 * NUL bytes, huge and deeply nested bodies, oversized fields, and generated bodies, query strings and path
 * parameters (fast-check, test/support/hostile-input.ts) on every route that takes one. The rules: never a
 * 5xx, never a write for an error, never an error body with a stack, SQL or a library's message, never a
 * stack in the server's log, and the process stays up.
 */

const ADMIN = { email: 'admin@input.example', password: 'admin password for input' };

let t: TestServer;
let adminBearer: Record<string, string>;
let someoneId: string;

beforeAll(async () => {
  t = await startServer({ BOOTSTRAP_ADMIN_EMAIL: ADMIN.email, BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password });
  const login = await t.request('POST', '/token', {
    body: { username: ADMIN.email, password: ADMIN.password },
  });
  adminBearer = { authorization: `Bearer ${login.body.access_token}` };
  const someone = await t.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: {
      email: 'someone@input.example',
      first_name: 'Some',
      last_name: 'One',
      password: 'someone password',
    },
  });
  someoneId = someone.body.id;
});

afterAll(async () => {
  await t?.stop();
});

/** Every route that takes a body, and the credentials it needs. */
const WRITE_ROUTES = [
  'POST /token',
  'POST /token/refresh',
  'POST /logout',
  'POST /api/users',
  'PATCH /api/users/:id',
  'POST /api/tokens',
] as const;

function route(name: (typeof WRITE_ROUTES)[number]): {
  method: string;
  path: string;
  headers: Record<string, string>;
} {
  const [method, template] = name.split(' ');
  const headers = template.startsWith('/api/users')
    ? { authorization: `Token ${WRITE_TOKEN}` }
    : template === '/api/tokens'
      ? adminBearer
      : {};
  return { method, path: template.replace(':id', someoneId), headers };
}

/** Everything a request may have written (see writes): users, API tokens, sessions, login throttle. */
function snapshot(): Promise<string> {
  return writes(t);
}

async function alive(): Promise<void> {
  expect((await t.request('GET', '/health')).status).toBe(200);
}

describe('prototype pollution', () => {
  const payloads = [
    '{"email":"p1@input.example","__proto__":{"is_admin":true}}',
    '{"email":"p2@input.example","constructor":{"prototype":{"is_admin":true}}}',
    '[{"email":"p3@input.example","__proto__":{"is_admin":true}}]',
    '[{"email":"p4@input.example"},{"email":"p5@input.example","constructor":{"prototype":{"is_admin":true}}}]',
    '{"email":"p6@input.example","first_name":{"__proto__":{"polluted":"yes"}}}',
  ];

  it.each(payloads)('%s → 400, nothing written', async (raw) => {
    const before = await snapshot();
    const res = await t.request('POST', '/api/users', {
      raw,
      headers: { 'content-type': 'application/json' },
      apiToken: WRITE_TOKEN,
    });
    expectCleanError(res, 400);
    expect(await snapshot()).toBe(before);
  });

  it.each(WRITE_ROUTES)('%s refuses __proto__ too', async (name) => {
    const { method, path, headers } = route(name);
    const res = await t.request(method, path, {
      raw: '{"__proto__":{"is_admin":true},"username":"x","password":"y","name":"n","scopes":["users:read"]}',
      headers: { ...headers, 'content-type': 'application/json' },
    });
    expectCleanError(res, 400);
  });

  it('leaves no trace: a new user is no admin, and no object in the process grew the key', async () => {
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: `after-${randomUUID()}@input.example` },
    });
    expect(res.status).toBe(201);
    expect(res.body.is_admin).toBe(false);
    expect(res.body).not.toHaveProperty('polluted');
    const { rows } = await t.db.query('SELECT count(*)::int AS n FROM users WHERE is_admin');
    expect(rows[0].n).toBe(1);
  });
});

describe('mass assignment', () => {
  it.each([
    ['is_admin', true],
    ['id', '00000000-0000-4000-8000-000000000000'],
    ['password_hash', 'x'],
    ['source', 'local'],
    ['created_at', '2000-01-01T00:00:00Z'],
    ['updated_at', '2000-01-01T00:00:00Z'],
    ['last_login_at', '2000-01-01T00:00:00Z'],
  ])('PATCH with %s → 400 naming it, the user unchanged', async (field, value) => {
    const before = await snapshot();
    const res = await t.request('PATCH', `/api/users/${someoneId}`, {
      apiToken: WRITE_TOKEN,
      body: { first_name: 'Changed', [field]: value },
    });
    expectCleanError(res, 400);
    expect(res.body.message).toContain(field);
    expect(await snapshot()).toBe(before);
  });

  it('an admin cannot smuggle fields into an API token either', async () => {
    const before = await countRows(t.db, 'api_tokens');
    const res = await t.request('POST', '/api/tokens', {
      headers: adminBearer,
      body: { name: 'x', scopes: ['users:read'], token_hash: 'x', id: randomUUID() },
    });
    expectCleanError(res, 400);
    expect(await countRows(t.db, 'api_tokens')).toBe(before);
  });
});

describe('one user however the email is spelled', () => {
  const composed = 'jos\u00e9@unicode.example';
  const decomposed = 'jose\u0301@unicode.example';

  it('NFC and NFD spellings are one user (update, not a second row)', async () => {
    expect(
      (await t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email: composed } })).status,
    ).toBe(201);
    const again = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: decomposed, first_name: 'José' },
    });
    expect(again.status).toBe(200);
    const { rows } = await t.db.query(`SELECT email FROM users WHERE email LIKE '%@unicode.example'`);
    expect(rows).toEqual([{ email: composed }]);
  });

  it.each([
    ['NFC and NFD', 'zoë@dup.example', 'zoe\u0308@dup.example'],
    ['case', 'Case@dup.example', 'case@DUP.example'],
    ['full-width', 'ｆｕｌｌ@dup.example', 'full@dup.example'],
    ['surrounding space', ' space@dup.example', 'space@dup.example\t'],
  ])('%s variants inside one bulk → 400 naming the later index, nothing written', async (_kind, a, b) => {
    const before = await snapshot();
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: [{ email: a }, { email: b }],
    });
    expectCleanError(res, 400);
    expect(res.body.errors).toEqual([expect.objectContaining({ index: 1, field: 'email' })]);
    expect(await snapshot()).toBe(before);
  });
});

describe('characters PostgreSQL cannot store or compare', () => {
  it('NUL in the search → 400, not 500', async () => {
    expectCleanError(await t.request('GET', '/api/users?search=a%00b', { apiToken: WRITE_TOKEN }), 400);
  });

  it('bytes that are not UTF-8 in the search are no 500', async () => {
    const res = await t.request('GET', '/api/users?search=%ED%A0%80%FF', { apiToken: WRITE_TOKEN });
    expect(res.status).toBeLessThan(500);
  });

  it.each([
    { email: 'nul\u0000@input.example' },
    { email: 'ok-nul@input.example', first_name: 'a\u0000b' },
    { email: 'ok-nul2@input.example', username: 'u\u0000' },
    { email: 'ok-nul3@input.example', password: 'password\u0000with nul' },
  ])('a NUL in a sync field is a 400 or is stored safely, never a 500: %j', async (body) => {
    const res = await t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body });
    expect(res.status).toBeLessThan(500);
    if (res.status >= 400) expectCleanError(res, 400);
  });

  it('PATCH with a NUL → 400, the user unchanged', async () => {
    const before = await snapshot();
    const res = await t.request('PATCH', `/api/users/${someoneId}`, {
      apiToken: WRITE_TOKEN,
      body: { last_name: 'x\u0000' },
    });
    expectCleanError(res, 400);
    expect(await snapshot()).toBe(before);
  });
});

describe('control characters elsewhere', () => {
  it.each(['password\u0000', 'pass\r\nword', '\u0000'])(
    'a password with %j is just a wrong password: 401, never 500',
    async (password) => {
      const res = await t.request('POST', '/token', {
        body: { username: 'someone@input.example', password },
      });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('invalid_credentials');
    },
  );

  it.each(['first_name', 'last_name', 'username'])('CRLF in %s → 400, nothing written', async (field) => {
    const before = await snapshot();
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email: `crlf-${randomUUID()}@input.example`, [field]: 'a\r\nb' },
    });
    expectCleanError(res, 400);
    expect(await snapshot()).toBe(before);
  });

  it.each(['created_at', 'updated_at', 'last_login_at'])(
    '%s on POST /api/users → 400, single and bulk',
    async (field) => {
      const before = await snapshot();
      const email = `stamp-${randomUUID()}@input.example`;
      expectCleanError(
        await t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: { email, [field]: '2000-01-01T00:00:00Z' },
        }),
        400,
      );
      expectCleanError(
        await t.request('POST', '/api/users', {
          apiToken: WRITE_TOKEN,
          body: [{ email: `ok-${email}` }, { email, [field]: '2000-01-01T00:00:00Z' }],
        }),
        400,
      );
      expect(await snapshot()).toBe(before);
    },
  );
});

describe('paging parameters', () => {
  it.each([
    'page=1;DROP TABLE users',
    "page=1' OR '1'='1",
    'page_size=1 OR 1=1',
    'page=99999999999999999999',
    'page=-1',
    'page_size=500.5',
    'page=1&page=2',
    'page[$gt]=1',
  ])('%s → 400', async (query) => {
    const res = await t.request('GET', `/api/users?${query}`, { apiToken: WRITE_TOKEN });
    expectCleanError(res, 400);
    expect(await countRows(t.db, 'users')).toBeGreaterThan(0);
  });
});

describe('size and shape limits', () => {
  const tenMiB = 10 * 1024 * 1024;

  it.each(WRITE_ROUTES.filter((name) => name !== 'POST /api/users'))(
    '%s: a 10 MiB body → 413, nothing written',
    async (name) => {
      const { method, path, headers } = route(name);
      const before = await snapshot();
      const res = await t.request(method, path, {
        raw: JSON.stringify({ username: 'x', password: 'y', name: 'x'.repeat(tenMiB) }),
        headers: { ...headers, 'content-type': 'application/json' },
      });
      expect(res.status).toBe(413);
      expect(res.body?.code).toBe('payload_too_large');
      expect(await snapshot()).toBe(before);
      await alive();
    },
  );

  it('POST /api/users: one 10 MiB object → 413 (1 MiB for a single object); arrays may reach 16 MiB', async () => {
    const before = await snapshot();
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      raw: JSON.stringify({ email: 'big@input.example', first_name: 'x'.repeat(tenMiB) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(413);
    expect(await snapshot()).toBe(before);
  });

  it.each(WRITE_ROUTES)('%s: deeply nested JSON → 400, process alive', async (name) => {
    const { method, path, headers } = route(name);
    for (const raw of [
      '['.repeat(100_000) + ']'.repeat(100_000),
      `{"email":"deep@input.example","first_name":${'['.repeat(5000)}${']'.repeat(5000)}}`,
      `{"a":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_001)}`,
    ]) {
      const before = await snapshot();
      const res = await t.request(method, path, {
        raw,
        headers: { ...headers, 'content-type': 'application/json' },
      });
      expectCleanError(res, 400);
      expect(res.body.code).toBe('invalid_json');
      expect(await snapshot()).toBe(before);
    }
    await alive();
  });

  it.each([
    ['POST /token username', 'POST', '/token', { username: 'u'.repeat(50_000), password: 'p' }],
    ['POST /token password', 'POST', '/token', { username: 'u', password: 'p'.repeat(50_000) }],
    ['sync email', 'POST', '/api/users', { email: `${'e'.repeat(50_000)}@x.example` }],
    [
      'sync first_name',
      'POST',
      '/api/users',
      { email: 'long@input.example', first_name: 'f'.repeat(50_000) },
    ],
    ['sync username', 'POST', '/api/users', { email: 'long2@input.example', username: 'u'.repeat(50_000) }],
    ['sync password', 'POST', '/api/users', { email: 'long3@input.example', password: 'p'.repeat(50_000) }],
    ['refresh token', 'POST', '/token/refresh', { refresh_token: 'r'.repeat(50_000) }],
    ['token name', 'POST', '/api/tokens', { name: 'n'.repeat(50_000), scopes: ['users:read'] }],
  ])('a 50,000-character %s → 400 at once, nothing written', async (_what, method, path, body) => {
    const headers =
      path === '/api/tokens'
        ? adminBearer
        : path === '/api/users'
          ? { authorization: `Token ${WRITE_TOKEN}` }
          : {};
    const before = await snapshot();
    const started = performance.now();
    const res = await t.request(method, path, { body, headers });
    const elapsed = performance.now() - started;
    expectCleanError(res, 400);
    expect(res.text.length).toBeLessThan(2000);
    expect(await snapshot()).toBe(before);
    // refused by validation, before any hashing or query: far below one argon2id verification per 1,000 chars
    expect(elapsed).toBeLessThan(1000);
  });
});

describe('generated input (fast-check): never a 5xx, a write or a stack', () => {
  // Signed in first: the generated logins below use up the client address's attempts (429 after that).
  let jar: Awaited<ReturnType<typeof cookieLogin>>;
  beforeAll(async () => {
    jar = await cookieLogin(t, ADMIN.email, ADMIN.password);
  });

  /** A write is only right for a success, or for a login attempt that counts (401, 429). */
  function mayWrite(name: string, status: number): boolean {
    return status < 400 || (name === 'POST /token' && (status === 401 || status === 429));
  }

  /** One generated request: below 500, an error in the contract's shape, and nothing written by an error. */
  async function check(name: string, what: string, send: () => Promise<HttpResult>): Promise<void> {
    const before = await snapshot();
    const res = await send();
    if (res.status >= 500) throw new Error(`${res.status} for ${name} ${what.slice(0, 300)}: ${res.text}`);
    if (res.status >= 400) expectCleanError(res);
    if (!mayWrite(name, res.status)) expect(await snapshot()).toBe(before);
  }

  /** The server's log from `from` on holds no stack: bad input is never an unhandled error. */
  async function expectNoStacks(from: number): Promise<void> {
    await logsSettled();
    expect(stacksInLog(t, from)).toEqual([]);
  }

  it.each(WRITE_ROUTES)('%s: generated JSON bodies', async (name) => {
    const { method, path, headers } = route(name);
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(jsonBody, async (raw) => {
        await check(name, raw, () =>
          t.request(method, path, { raw, headers: { ...headers, 'content-type': 'application/json' } }),
        );
      }),
      { numRuns: 150 },
    );
    await expectNoStacks(from);
    await alive();
  });

  it.each(WRITE_ROUTES)('%s: generated content types', async (name) => {
    const { method, path, headers } = route(name);
    const contentType = fc.constantFrom(
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'APPLICATION/JSON',
      'application/json-patch+json',
      'application/scim+json',
      'application/json, text/plain',
      '',
    );
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(contentType, jsonObject, async (type, raw) => {
        await check(name, `${type} ${raw}`, () =>
          t.request(method, path, { raw, headers: { ...headers, 'content-type': type } }),
        );
      }),
      { numRuns: 40 },
    );
    await expectNoStacks(from);
  });

  // Every route that reads a query string, and the parameters it knows; the rest get generated ones too.
  const QUERY_ROUTES: [string, string[]][] = [
    ['GET /api/users', ['search', 'page', 'page_size']],
    ['POST /token', ['cookie']],
    ['GET /sso/login', ['token', 'next']],
    ['GET /login', ['next']],
    ['GET /', ['token']],
    ['GET /users', ['token']],
    ['GET /tokens', ['token']],
    ['GET /protected', ['x']],
    ['GET /api/me', ['x']],
    ['GET /api/tokens', ['x']],
    ['GET /health', ['x']],
    ['GET /.well-known/jwks.json', ['x']],
  ];

  it.each(QUERY_ROUTES)('%s: generated query strings', async (name, params) => {
    const [method, path] = name.split(' ');
    const headers = path.startsWith('/api/users')
      ? { authorization: `Token ${WRITE_TOKEN}` }
      : path === '/token'
        ? {}
        : adminBearer;
    // POST /token needs a body to get past validation: a wrong password, whose 401 counts an attempt.
    const body = method === 'POST' ? { username: 'someone@input.example', password: 'wrong' } : undefined;
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(queryString(params), async (query) => {
        await check(name, `?${query}`, () => t.request(method, `${path}?${query}`, { headers, body }));
      }),
      { numRuns: name === 'GET /api/users' ? 200 : 40 },
    );
    await expectNoStacks(from);
  });

  // Every route with a path parameter; ids are UUIDs, asset names are file names.
  const PARAM_ROUTES = [
    'GET /api/users/:id',
    'PATCH /api/users/:id',
    'DELETE /api/users/:id',
    'DELETE /api/tokens/:id',
    'GET /assets/:name',
  ];

  it.each(PARAM_ROUTES)('%s: generated path parameters', async (name) => {
    const [method, template] = name.split(' ');
    const headers = template.startsWith('/api/users')
      ? { authorization: `Token ${WRITE_TOKEN}` }
      : template.startsWith('/api/tokens')
        ? adminBearer
        : {};
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(pathSegment, async (segment) => {
        const path = template.replace(/:\w+$/, segment);
        await check(name, path, () =>
          t.request(method, path, { headers, body: method === 'PATCH' ? { first_name: 'P' } : undefined }),
        );
      }),
      { numRuns: 80 },
    );
    await expectNoStacks(from);
    await alive();
  });

  it('generated token parameters on pages and /sso/login', async () => {
    const hostile = fc.constantFrom('', '\u0000', '\ud800', "' OR 1=1 --", '%', '😀', 'a'.repeat(5000));
    const segment = fc.oneof(fc.string({ maxLength: 40 }), fc.base64String({ maxLength: 60 }), hostile);
    const token = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
      fc
        .tuple(fc.jsonValue(), fc.jsonValue())
        .map(
          ([h, p]) =>
            `${Buffer.from(JSON.stringify(h) ?? '').toString('base64url')}.${Buffer.from(JSON.stringify(p) ?? '').toString('base64url')}.x`,
        ),
    );
    await fc.assert(
      fc.asyncProperty(token, fc.constantFrom('/', '/sso/login', '/users'), async (value, path) => {
        const res = await t.request('GET', `${path}?${new URLSearchParams({ token: value }).toString()}`);
        if (res.status >= 500)
          throw new Error(`${res.status} for token ${JSON.stringify(value)}: ${res.text}`);
        expect(
          res.headers
            .getSetCookie()
            .some((line) => line.startsWith('access_token=') && !line.includes('Expires=Thu, 01 Jan 1970')),
        ).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it('cookie-authenticated writes too (with the CSRF header)', async () => {
    const cookie = `access_token=${jar.access_token}; csrf_token=${jar.csrf_token}`;
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(jsonObject, async (raw) => {
        await check('PATCH /api/users/:id', raw, () =>
          t.request('PATCH', `/api/users/${someoneId}`, {
            raw,
            headers: { cookie, 'x-csrf-token': jar.csrf_token, 'content-type': 'application/json' },
          }),
        );
      }),
      { numRuns: 80 },
    );
    await expectNoStacks(from);
  });
});
