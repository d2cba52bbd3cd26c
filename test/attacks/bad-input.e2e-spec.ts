import { randomUUID } from 'node:crypto';
import { expectCleanError, logsSettled, stacksInLog, writes } from '../support/bad-input.js';
import { cookieLogin } from '../support/session.js';
import { startServer, WRITE_TOKEN, type HttpResult, type TestServer } from '../support/server.js';

/**
 * Bad input found in review that answered 500 (contract §7: never a 500, never a partial write): wrong JSON
 * types where a string is expected, values that NFKC normalisation expands past a column's CHECK, blank
 * strings that only become empty once trimmed, lone surrogates that the driver would silently turn into
 * U+FFFD. Each case: a 400 in the contract's shape, no row written anywhere, no stack in the log.
 */

const ADMIN = { email: 'admin@bad-input.example', password: 'admin password for bad input' };
// U+FDFA is one character that NFKC spells out as 18: twenty of them are 360 characters once stored.
const EXPANDS = '\uFDFA'.repeat(20);
// Short enough for every raw length limit; as long as what is stored only once normalised.
const EXPANDS_MAX = '\uFDFA'.repeat(320);

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
    body: { email: 'someone@bad-input.example', username: 'someone', password: 'someone password' },
  });
  someoneId = someone.body.id;
});

afterAll(async () => {
  await t?.stop();
});

/** Sends a request that must be refused: a clean 400, nothing written, nothing with a stack in the log. */
async function refused(send: () => Promise<HttpResult>, status = 400): Promise<HttpResult> {
  const before = await writes(t);
  const from = t.logs.length;
  const res = await send();
  expectCleanError(res, status);
  expect(await writes(t)).toBe(before);
  await logsSettled();
  expect(stacksInLog(t, from)).toEqual([]);
  return res;
}

describe('POST /token: the username is validated whenever it is there', () => {
  it.each([
    ['an object', { x: 1 }],
    ['an array', ['someone']],
    ['a number', 42],
    ['true', true],
    ['a nested array', [[{}]]],
  ])('username as %s beside an email → 400', async (_kind, username) => {
    const res = await refused(() =>
      t.request('POST', '/token', { body: { email: 'a@b.co', username, password: 'x' } }),
    );
    expect(res.body.code).toBe('validation_failed');
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'username' })]);
  });

  it.each([
    ['both null', { username: null, email: null, password: 'x' }],
    ['neither', { password: 'x' }],
    ['email of the wrong type', { email: { x: 1 }, password: 'x' }],
    ['blank username', { username: ' \t ', password: 'x' }],
    ['a lone surrogate', { username: 'some\ud800one', password: 'x' }],
  ])('%s → 400', async (_kind, body) => {
    await refused(() => t.request('POST', '/token', { body }));
  });

  it('a duplicate key with a wrong type after a good one → 400 (the last one counts)', async () => {
    await refused(() =>
      t.request('POST', '/token', {
        raw: '{"username":"someone","email":"a@b.co","username":{"x":1},"password":"x"}',
        headers: { 'content-type': 'application/json' },
      }),
    );
  });

  it.each([
    ['username', EXPANDS],
    ['username', EXPANDS_MAX],
    ['email', `${EXPANDS}@bad-input.example`],
    ['email', EXPANDS_MAX],
  ])('a %s that NFKC expands past 254 characters → 400, no throttle row', async (field, value) => {
    await refused(() => t.request('POST', '/token', { body: { [field]: value, password: 'x' } }));
  });

  it('a username beside it still signs in, and a null username is as good as none', async () => {
    const byUsername = await t.request('POST', '/token', {
      body: { email: 'nobody@bad-input.example', username: 'someone', password: 'someone password' },
    });
    expect(byUsername.status).toBe(200);
    const byEmail = await t.request('POST', '/token', {
      body: { email: 'someone@bad-input.example', username: null, password: 'someone password' },
    });
    expect(byEmail.status).toBe(200);
  });
});

describe('POST /api/users and PATCH /api/users/:id: validated after normalising', () => {
  const sync = (body: unknown) => () => t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body });
  const patch = (body: unknown) => () =>
    t.request('PATCH', `/api/users/${someoneId}`, { apiToken: WRITE_TOKEN, body });

  it.each([
    ['a username NFKC expands past 254', { username: EXPANDS }, 'username'],
    ['a username that is only blanks', { username: '\u3000 \u00a0' }, 'username'],
    ['a username with a lone surrogate', { username: 'ab\udc00' }, 'username'],
    ['a first name with a lone surrogate', { first_name: '\ud83d' }, 'first_name'],
    ['a last name with a lone surrogate', { last_name: 'x\ud800y' }, 'last_name'],
    ['an email NFKC expands past 254', { email: `${'\uFB03'.repeat(100)}@x.example` }, 'email'],
    ['an email with a lone surrogate', { email: 'jo\ud800@x.example' }, 'email'],
  ])('one item with %s → 400 naming it', async (_kind, fields, field) => {
    const res = await refused(sync({ email: `one-${randomUUID()}@bad-input.example`, ...fields }));
    expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
  });

  it('a bulk item whose username NFKC expands past 254 → 400 naming its index, nothing written', async () => {
    const res = await refused(
      sync([
        { email: `ok-${randomUUID()}@bad-input.example` },
        { email: `long-${randomUUID()}@bad-input.example`, username: EXPANDS },
      ]),
    );
    expect(res.body.errors).toEqual([expect.objectContaining({ index: 1, field: 'username' })]);
  });

  it('two emails that differ only in a lone surrogate are refused, not merged into one U+FFFD', async () => {
    await refused(
      sync([{ email: 'twin\ud800@bad-input.example' }, { email: 'twin\udc00@bad-input.example' }]),
    );
  });

  it.each([
    ['a username NFKC expands past 254', { username: EXPANDS }, 'username'],
    ['an email NFKC expands past 254', { email: `${EXPANDS}@x.example` }, 'email'],
    ['a username that is only blanks', { username: '   ' }, 'username'],
    ['a username of the wrong type', { username: { x: 1 } }, 'username'],
    ['a first name with a lone surrogate', { first_name: 'a\udfffb' }, 'first_name'],
  ])('PATCH with %s → 400 naming it', async (_kind, body, field) => {
    const res = await refused(patch(body));
    expect(res.body.errors).toEqual([expect.objectContaining({ field })]);
  });
});

describe('PATCH /api/users/:id with null fields', () => {
  it('null means "not given" for the email too (it threw a TypeError): 200, nothing changed', async () => {
    const before = await t.db.query('SELECT email, username FROM users WHERE id = $1', [someoneId]);
    const from = t.logs.length;
    const res = await t.request('PATCH', `/api/users/${someoneId}`, {
      apiToken: WRITE_TOKEN,
      body: { email: null, username: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject(before.rows[0]);
    await logsSettled();
    expect(stacksInLog(t, from)).toEqual([]);
  });
});

describe('POST /token/refresh and /logout with a null refresh_token', () => {
  // null was taken for "given in the body", so the cookie was used without the CSRF check it needs.
  it.each(['/token/refresh', '/logout'])(
    '%s by cookie without X-CSRF-Token → 403, nothing spent',
    async (path) => {
      const jar = await cookieLogin(t, 'someone', 'someone password');
      const cookie = `refresh_token=${jar.refresh_token}; csrf_token=${jar.csrf_token}`;
      const res = await refused(
        () => t.request('POST', path, { headers: { cookie }, body: { refresh_token: null } }),
        403,
      );
      expect(res.body.code).toBe('csrf_failed');
    },
  );
});

describe('POST /api/tokens', () => {
  const create = (name: unknown) => () =>
    t.request('POST', '/api/tokens', { headers: adminBearer, body: { name, scopes: ['users:read'] } });

  it.each([
    ['blanks', '   '],
    ['wide and no-break blanks', ' \u3000\u00a0 '],
    ['a lone surrogate', 'sync \ud800'],
    ['a number', 7],
    ['an object', { x: 1 }],
  ])('a name of %s → 400', async (_kind, name) => {
    const res = await refused(create(name));
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'name' })]);
  });

  it('a name with blanks around it is stored trimmed', async () => {
    const res = await create('  hr sync  ')();
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('hr sync');
  });
});

describe('a key named constructor (class-transformer threw a TypeError on it, nested in a field)', () => {
  const bodies = [
    '{"email":"ctor@bad-input.example","x":{"constructor":1}}',
    '{"username":"someone","password":"x","scopes":{"constructor":"y"}}',
    '[{"email":"ctor2@bad-input.example","first_name":[{"constructor":null}]}]',
    '{"name":"n","scopes":["users:read"],"constructor":"x"}',
    '{"email":"ctor3@bad-input.example","x":{"constru\\u0063tor":{"a":1}}}',
  ];
  const routes: [string, string, Record<string, string>][] = [
    ['POST', '/token', {}],
    ['POST', '/token/refresh', {}],
    ['POST', '/api/users', { authorization: `Token ${WRITE_TOKEN}` }],
    ['PATCH', '/api/users/:id', { authorization: `Token ${WRITE_TOKEN}` }],
    ['POST', '/api/tokens', {}],
  ];

  it.each(routes)('%s %s → 400 for each', async (method, template, headers) => {
    const path = template.replace(':id', someoneId);
    for (const raw of bodies) {
      const auth = template === '/api/tokens' ? adminBearer : headers;
      const res = await refused(() =>
        t.request(method, path, { raw, headers: { ...auth, 'content-type': 'application/json' } }),
      );
      expect(res.body.code).toBe('invalid_json');
    }
  });
});

describe('query strings and path parameters', () => {
  it.each([
    `search=${encodeURIComponent('\uFDFA'.repeat(12))}`,
    'page=1e400',
    'page_size=-0',
    `page=${'9'.repeat(400)}`,
    'search=a&search=b',
  ])('GET /api/users?%s → 400', async (query) => {
    await refused(() => t.request('GET', `/api/users?${query}`, { apiToken: WRITE_TOKEN }));
  });

  it.each([
    ['GET', '/api/users/not-a-uuid'],
    ['GET', '/api/users/%00'],
    ['GET', `/api/users/${'1'.repeat(5000)}`],
    ['PATCH', '/api/users/%E2%80%AE'],
    ['DELETE', '/api/users/00000000-0000-0000-0000-00000000000g'],
    ['DELETE', '/api/tokens/__proto__'],
  ])('%s %s → 400', async (method, path) => {
    const headers = path.startsWith('/api/tokens') ? adminBearer : { authorization: `Token ${WRITE_TOKEN}` };
    await refused(() => t.request(method, path, { headers, body: method === 'PATCH' ? {} : undefined }));
  });

  it.each(['__proto__', 'constructor', '%00', '..%2F..%2Fpackage.json'])(
    'GET /assets/%s → 404',
    async (name) => {
      await refused(() => t.request('GET', `/assets/${name}`), 404);
    },
  );
});
