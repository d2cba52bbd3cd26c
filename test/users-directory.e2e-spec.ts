import { randomUUID } from 'node:crypto';
import { expectError } from './support/errors.js';
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
 * The user directory (contract §2, §6, §7): listing, paging, search, read, patch, deactivate, and the
 * scopes of API tokens — the built server as a child process, HTTP only, the database read directly.
 */

const FILLER = 120; // more than the default page size of 50
const SPECIAL = [
  { email: 'ada@example.com', username: 'countess', first_name: 'Ada', last_name: 'Lovelace' },
  { email: 'gh@navy.mil', username: 'amazing', first_name: 'Grace', last_name: 'Hopper' },
  { email: 'a_b@x.com', first_name: 'Under', last_name: 'Score' },
  { email: 'axb@x.com', first_name: 'Plain', last_name: 'Letters' },
  { email: 'percent@x.com', first_name: '100%', last_name: 'Sure' },
  { email: 'other@x.com', first_name: 'Other', last_name: 'Person' },
];

let t: TestServer;
let total: number;
let roToken: string;

beforeAll(async () => {
  t = await startServer();
  const filler = Array.from({ length: FILLER }, (_, i) => ({
    email: `user-${String(i).padStart(3, '0')}@dir.test`,
    first_name: `First${i}`,
    last_name: `Last${i}`,
  }));
  const seeded = await t.request('POST', '/api/users', {
    body: [...filler, ...SPECIAL],
    apiToken: WRITE_TOKEN,
  });
  expect(seeded.status).toBe(200);
  expect(seeded.body.created).toBe(FILLER + SPECIAL.length);
  total = await countRows(t.db, 'users');
  expect(total).toBe(FILLER + SPECIAL.length);

  const cli = await runCli(['token:create', '--name', 'ro', '--scopes', 'users:read'], {
    DATABASE_URL: t.databaseUrl,
    DATA_DIR: testDataDir(),
  });
  expect(cli.code).toBe(0);
  roToken = lastLine(cli.stdout);
  expect(roToken.length).toBeGreaterThan(20);
});

afterAll(async () => {
  await t?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

function lastLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines[lines.length - 1] ?? '';
}

function get(path: string, apiToken: string = WRITE_TOKEN): Promise<HttpResult> {
  return t.request('GET', path, { apiToken });
}

/** Follows an absolute URL from `next` / `previous`, as a client would. */
async function follow(url: string, apiToken: string = WRITE_TOKEN): Promise<HttpResult> {
  const response = await fetch(url, { headers: { authorization: `Token ${apiToken}` } });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : undefined,
    text,
  };
}

function search(term: string): Promise<HttpResult> {
  return get(`/api/users?search=${encodeURIComponent(term)}&page_size=500`);
}

async function idOf(email: string): Promise<string> {
  const { rows } = await t.db.query<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
  expect(rows).toHaveLength(1);
  return rows[0].id;
}

async function rowOf(id: string): Promise<Record<string, unknown> | undefined> {
  const { rows } = await t.db.query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

// ---------------------------------------------------------------------------------------------

describe('GET /api/users — paging', () => {
  it('answers {count, next, previous, results} with 50 results by default', async () => {
    const res = await get('/api/users');
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['count', 'next', 'previous', 'results']);
    expect(res.body.count).toBe(total);
    expect(res.body.results).toHaveLength(50);
    expect(res.body.previous).toBeNull();
    expect(typeof res.body.next).toBe('string');
    for (const user of res.body.results) {
      expect(user).not.toHaveProperty('password');
      expect(user).not.toHaveProperty('password_hash');
      expect(user).toMatchObject({ id: expect.any(String), email: expect.any(String), is_active: true });
    }
  });

  it('orders results stably: the same request twice gives the same order', async () => {
    const a = await get('/api/users?page=2&page_size=13');
    const b = await get('/api/users?page=2&page_size=13');
    expect(a.status).toBe(200);
    expect(a.body.results.map((u: any) => u.id)).toEqual(b.body.results.map((u: any) => u.id));
  });

  it('gives absolute next/previous URLs that work when followed, covering every user exactly once', async () => {
    const all = await get('/api/users?page_size=500');
    expect(all.status).toBe(200);
    const allIds: string[] = all.body.results.map((u: any) => u.id);
    expect(allIds).toHaveLength(total);

    const seen: string[] = [];
    let page = await get('/api/users?page_size=17');
    const first = page;
    let hops = 0;
    for (;;) {
      expect(page.status).toBe(200);
      expect(page.body.count).toBe(total);
      seen.push(...page.body.results.map((u: any) => u.id));
      if (page.body.next === null) break;
      expect(page.body.next).toMatch(/^https?:\/\//);
      expect(page.body.next.startsWith(`${t.baseUrl}/api/users?`)).toBe(true);
      page = await follow(page.body.next);
      hops++;
      expect(hops).toBeLessThan(50);
    }
    expect(hops).toBe(Math.ceil(total / 17) - 1);
    expect(seen).toEqual(allIds);
    expect(new Set(seen).size).toBe(total);

    // previous of page 2 is page 1
    const second = await follow(first.body.next);
    expect(second.body.previous).toMatch(/^https?:\/\//);
    const back = await follow(second.body.previous);
    expect(back.status).toBe(200);
    expect(back.body.results.map((u: any) => u.id)).toEqual(first.body.results.map((u: any) => u.id));
    expect(back.body.previous).toBeNull();
  });

  it('keeps the search term in next/previous', async () => {
    const res = await get('/api/users?search=dir.test&page_size=10');
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(FILLER);
    const next = await follow(res.body.next);
    expect(next.status).toBe(200);
    expect(next.body.count).toBe(FILLER);
    for (const u of next.body.results) expect(u.email).toContain('dir.test');
  });

  it('accepts page_size=500 and refuses 501 with 400', async () => {
    const ok = await get('/api/users?page_size=500');
    expect(ok.status).toBe(200);
    expect(ok.body.results).toHaveLength(total);
    expect(ok.body.next).toBeNull();
    expectError(await get('/api/users?page_size=501'), 400, 'validation_failed');
  });

  it.each(['page=0', 'page=abc', 'page_size=-1', 'page_size=0', 'page=1.5'])(
    'refuses %s with 400 validation_failed',
    async (query) => {
      expectError(await get(`/api/users?${query}`), 400, 'validation_failed');
    },
  );

  it('answers an empty page past the end, not an error', async () => {
    const res = await get('/api/users?page=1000&page_size=50');
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(total);
    expect(res.body.results).toEqual([]);
    expect(res.body.next).toBeNull();
  });
});

describe('GET /api/users — search', () => {
  it('matches last_name case-insensitively (LOVE → Lovelace)', async () => {
    const res = await search('LOVE');
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(1);
    expect(res.body.results.map((u: any) => u.email)).toEqual(['ada@example.com']);
  });

  it('matches first_name, username and email case-insensitively', async () => {
    expect((await search('gRaCe')).body.results.map((u: any) => u.email)).toEqual(['gh@navy.mil']);
    expect((await search('COUNTESS')).body.results.map((u: any) => u.email)).toEqual(['ada@example.com']);
    expect((await search('AMAZING')).body.results.map((u: any) => u.email)).toEqual(['gh@navy.mil']);
    expect((await search('NAVY.MIL')).body.results.map((u: any) => u.email)).toEqual(['gh@navy.mil']);
  });

  it('treats _ literally: a_b matches a_b@x.com only, not axb@x.com', async () => {
    const res = await search('a_b');
    expect(res.status).toBe(200);
    expect(res.body.results.map((u: any) => u.email)).toEqual(['a_b@x.com']);
    expect(res.body.count).toBe(1);
  });

  it('treats % literally: % matches only users containing %', async () => {
    const res = await search('%');
    expect(res.status).toBe(200);
    expect(res.body.results.map((u: any) => u.email)).toEqual(['percent@x.com']);
    expect(res.body.count).toBe(1);
  });

  it('treats a backslash literally (no user has one)', async () => {
    const res = await search('\\');
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(0);
  });

  it.each(["' OR 1=1 --", "'; DROP TABLE users; --", '" OR ""="', "%' OR '1'='1"])(
    'answers SQL metacharacters %j with 200 and 0 results, never 500',
    async (term) => {
      const res = await search(term);
      expect(res.status).toBe(200);
      expect(res.body.count).toBe(0);
      expect(res.body.results).toEqual([]);
      expect(await countRows(t.db, 'users')).toBe(total);
    },
  );
});

describe('GET /api/users/:id', () => {
  it('answers the user', async () => {
    const id = await idOf('ada@example.com');
    const res = await get(`/api/users/${id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id,
      email: 'ada@example.com',
      username: 'countess',
      first_name: 'Ada',
      last_name: 'Lovelace',
      is_active: true,
      is_admin: false,
      source: 'sync',
      last_login_at: null,
    });
    expect(res.body).not.toHaveProperty('password_hash');
  });

  it('answers 404 not_found for an unknown uuid', async () => {
    expectError(await get(`/api/users/${randomUUID()}`), 404, 'not_found');
  });

  it('answers 400 for an id that is not a uuid', async () => {
    expectError(await get('/api/users/not-a-uuid'), 400, 'validation_failed');
  });
});

describe('PATCH /api/users/:id', () => {
  beforeAll(async () => {
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: [
        { email: 'patch-me@patch.test', first_name: 'Old', last_name: 'Name' },
        { email: 'taken@patch.test', first_name: 'Taken' },
        { email: 'norm@patch.test' },
      ],
    });
    expect(res.status).toBe(200);
    total = await countRows(t.db, 'users');
  });

  it('changes names and is_active', async () => {
    const id = await idOf('patch-me@patch.test');
    const res = await t.request('PATCH', `/api/users/${id}`, {
      apiToken: WRITE_TOKEN,
      body: { first_name: 'New', last_name: 'Surname', is_active: false },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id, first_name: 'New', last_name: 'Surname', is_active: false });
    const row = await rowOf(id);
    expect(row).toMatchObject({ first_name: 'New', last_name: 'Surname', is_active: false });
    const again = await get(`/api/users/${id}`);
    expect(again.body).toMatchObject({ first_name: 'New', last_name: 'Surname', is_active: false });

    const back = await t.request('PATCH', `/api/users/${id}`, {
      apiToken: WRITE_TOKEN,
      body: { is_active: true },
    });
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ is_active: true, first_name: 'New' });
  });

  it('refuses an unknown field (is_admin) with 400 and changes nothing', async () => {
    const id = await idOf('patch-me@patch.test');
    const before = await rowOf(id);
    const res = await t.request('PATCH', `/api/users/${id}`, {
      apiToken: WRITE_TOKEN,
      body: { is_admin: true, first_name: 'Sneaky' },
    });
    expectError(res, 400, 'validation_failed');
    expect(res.text).toContain('is_admin');
    expect(await rowOf(id)).toEqual(before);
  });

  it('refuses taking another user’s email with 409 conflict, whatever its case', async () => {
    const id = await idOf('patch-me@patch.test');
    const before = await rowOf(id);
    for (const email of ['taken@patch.test', '  TAKEN@Patch.Test ']) {
      const res = await t.request('PATCH', `/api/users/${id}`, { apiToken: WRITE_TOKEN, body: { email } });
      expectError(res, 409, 'conflict');
    }
    expect(await rowOf(id)).toEqual(before);
  });

  it('normalises a new email (trimmed, lower-cased)', async () => {
    const id = await idOf('norm@patch.test');
    const res = await t.request('PATCH', `/api/users/${id}`, {
      apiToken: WRITE_TOKEN,
      body: { email: '  Renamed.User@Patch.TEST ' },
    });
    expect(res.status).toBe(200);
    expect(res.body.email).toBe('renamed.user@patch.test');
    expect((await rowOf(id))?.email).toBe('renamed.user@patch.test');
  });

  it('answers 404 not_found for an unknown id', async () => {
    const res = await t.request('PATCH', `/api/users/${randomUUID()}`, {
      apiToken: WRITE_TOKEN,
      body: { first_name: 'Nobody' },
    });
    expectError(res, 404, 'not_found');
    expect(await countRows(t.db, 'users')).toBe(total);
  });
});

describe('DELETE /api/users/:id', () => {
  it('deactivates the user (204), keeps the row', async () => {
    const id = await idOf('other@x.com');
    const res = await t.request('DELETE', `/api/users/${id}`, { apiToken: WRITE_TOKEN });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    const after = await get(`/api/users/${id}`);
    expect(after.status).toBe(200);
    expect(after.body).toMatchObject({ id, email: 'other@x.com', is_active: false });
    expect(await rowOf(id)).toMatchObject({ email: 'other@x.com', is_active: false });
    expect(await countRows(t.db, 'users')).toBe(total);
  });

  it('answers 404 not_found for an unknown id', async () => {
    expectError(
      await t.request('DELETE', `/api/users/${randomUUID()}`, { apiToken: WRITE_TOKEN }),
      404,
      'not_found',
    );
    expect(await countRows(t.db, 'users')).toBe(total);
  });
});

describe('API token scopes', () => {
  it('lets a users:read token read', async () => {
    const list = await get('/api/users', roToken);
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(total);
    const id = await idOf('ada@example.com');
    const one = await get(`/api/users/${id}`, roToken);
    expect(one.status).toBe(200);
    expect(one.body.email).toBe('ada@example.com');
  });

  it('refuses writes by a users:read token with 403 forbidden and writes nothing', async () => {
    const id = await idOf('ada@example.com');
    const before = await rowOf(id);

    const post = await t.request('POST', '/api/users', {
      apiToken: roToken,
      body: { email: 'ro-new@x.com' },
    });
    expectError(post, 403, 'forbidden');
    const bulk = await t.request('POST', '/api/users', {
      apiToken: roToken,
      body: [{ email: 'ro-bulk@x.com' }, { email: 'ada@example.com', first_name: 'Changed' }],
    });
    expectError(bulk, 403, 'forbidden');
    const patch = await t.request('PATCH', `/api/users/${id}`, {
      apiToken: roToken,
      body: { first_name: 'Changed' },
    });
    expectError(patch, 403, 'forbidden');
    const del = await t.request('DELETE', `/api/users/${id}`, { apiToken: roToken });
    expectError(del, 403, 'forbidden');

    expect(await countRows(t.db, 'users')).toBe(total);
    expect(await rowOf(id)).toEqual(before);
    expect((await t.db.query("SELECT 1 FROM users WHERE email LIKE 'ro-%'")).rowCount).toBe(0);
  });

  it('lets a users:write token read too', async () => {
    const list = await get('/api/users?page_size=5', WRITE_TOKEN);
    expect(list.status).toBe(200);
    expect(list.body.results).toHaveLength(5);
    const one = await get(`/api/users/${await idOf('gh@navy.mil')}`, WRITE_TOKEN);
    expect(one.status).toBe(200);
    expect(one.body.first_name).toBe('Grace');
  });
});
