import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { cookieLogin } from '../support/session.js';
import { countRows, startServer, WRITE_TOKEN, type HttpResult, type TestServer } from '../support/server.js';

/**
 * Hostile input on every write route: prototype pollution, mass assignment, Unicode look-alike duplicates,
 * NUL bytes, huge and deeply nested bodies, oversized fields, and generated bodies (fast-check). The rules:
 * never a 5xx, never a partial write, never an error body with a stack, SQL or a library's message, and
 * the process stays up.
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

function expectCleanError(res: HttpResult, status?: number): void {
  if (status !== undefined) expect(res.status).toBe(status);
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(Object.keys(res.body ?? {}).sort()).toEqual(
    expect.arrayContaining(['code', 'error', 'message', 'statusCode']),
  );
  for (const key of Object.keys(res.body)) {
    expect(['statusCode', 'error', 'code', 'message', 'errors']).toContain(key);
  }
  expect(res.text).not.toMatch(
    /at [\w.<>]+ \(|node_modules|QueryFailedError|SELECT |INSERT |UPDATE |syntax error|TypeError|RangeError|class-validator|secure-json-parse/,
  );
}

async function snapshot(): Promise<string> {
  const { rows } = await t.db.query(
    `SELECT md5(string_agg(u::text, '|' ORDER BY id)) AS users,
            (SELECT count(*) FROM api_tokens) AS tokens,
            (SELECT count(*) FROM refresh_tokens) AS sessions
       FROM users u`,
  );
  return JSON.stringify(rows[0]);
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

describe('generated bodies (fast-check): never a 5xx', () => {
  // JSON values biased towards the fields the routes know, with hostile strings among them.
  const hostile = fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\r\n',
    '\ud800',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
    '%',
    '_',
    '\\',
    'a'.repeat(5000),
    'é'.repeat(600),
    '<script>',
    '😀',
    'users:read',
    'users:write',
    'someone@input.example',
  );
  const scalar = fc.oneof(hostile, fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
  const value = fc.oneof(
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    fc.dictionary(fc.string({ maxLength: 8 }), scalar, { maxKeys: 3 }),
  );
  const known = [
    'email',
    'username',
    'password',
    'first_name',
    'last_name',
    'is_active',
    'refresh_token',
    'name',
    'scopes',
    'is_admin',
    'id',
  ];
  const object = fc.dictionary(fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 10 })), value, {
    maxKeys: 6,
  });
  const body = fc.oneof(object, fc.array(object, { maxLength: 4 }), scalar);

  it.each(WRITE_ROUTES)('%s', async (name) => {
    const { method, path, headers } = route(name);
    await fc.assert(
      fc.asyncProperty(body, async (generated) => {
        const res = await t.request(method, path, { body: generated, headers });
        if (res.status >= 500)
          throw new Error(`${res.status} for ${JSON.stringify(generated).slice(0, 300)}: ${res.text}`);
        if (res.status >= 400 && res.status !== 401 && res.status !== 403 && res.status !== 429)
          expectCleanError(res);
      }),
      { numRuns: 120 },
    );
    await alive();
  });

  it('generated query strings on GET /api/users', async () => {
    const param = fc.constantFrom('search', 'page', 'page_size', 'x', '__proto__', 'search[]', 'page[$gt]');
    const raw = fc.oneof(hostile, fc.string({ maxLength: 30 }), fc.integer().map(String), fc.constant(''));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(param, raw), { maxLength: 4 }), async (pairs) => {
        // URLSearchParams, unlike encodeURIComponent, also encodes lone surrogates (as U+FFFD)
        const query = new URLSearchParams(pairs).toString();
        const res = await t.request('GET', `/api/users?${query}`, { apiToken: WRITE_TOKEN });
        if (res.status >= 500) throw new Error(`${res.status} for ?${query}: ${res.text}`);
        if (res.status !== 200) expectCleanError(res, 400);
      }),
      { numRuns: 150 },
    );
  });

  it('generated token parameters on pages and /sso/login', async () => {
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
    const jar = await cookieLogin(t, ADMIN.email, ADMIN.password);
    const cookie = `access_token=${jar.access_token}; csrf_token=${jar.csrf_token}`;
    await fc.assert(
      fc.asyncProperty(object, async (generated) => {
        const res = await t.request('PATCH', `/api/users/${someoneId}`, {
          body: generated,
          headers: { cookie, 'x-csrf-token': jar.csrf_token },
        });
        if (res.status >= 500)
          throw new Error(`${res.status} for ${JSON.stringify(generated).slice(0, 300)}: ${res.text}`);
      }),
      { numRuns: 80 },
    );
  });
});
