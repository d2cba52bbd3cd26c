import { countRows, startServer, type HttpResult, type TestServer, WRITE_TOKEN } from './support/server.js';
import { USER_KEYS } from './support/contract.js';
import { expectError } from './support/errors.js';

/**
 * `POST /api/users` — the idempotent user sync (contract §2, §6, §7), end to end: the built server
 * as a child process, HTTP only, and the database read directly to check what was (not) stored.
 * Every test uses its own email domain, so the tests of this file share one server and one database.
 */

const ARGON2ID_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$';
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIB = 1024 * 1024;

let t: TestServer;

beforeAll(async () => {
  t = await startServer();
});

afterAll(async () => {
  await t?.stop();
});

// ---------------------------------------------------------------------------------------------
// helpers

function sync(body: unknown, options: { apiToken?: string | null; headers?: Record<string, string> } = {}) {
  return t.request('POST', '/api/users', {
    body,
    apiToken: options.apiToken === null ? undefined : (options.apiToken ?? WRITE_TOKEN),
    headers: options.headers,
  });
}

function syncRaw(
  raw: string | Buffer,
  contentType = 'application/json',
  apiToken: string | null = WRITE_TOKEN,
) {
  return t.request('POST', '/api/users', {
    raw,
    headers: { 'content-type': contentType },
    apiToken: apiToken ?? undefined,
  });
}

async function row(email: string): Promise<any> {
  const { rows } = await t.db.query('SELECT * FROM users WHERE email = $1', [email]);
  return rows[0];
}

async function rowsLike(pattern: string): Promise<number> {
  const { rows } = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM users WHERE email LIKE $1', [
    pattern,
  ]);
  return Number(rows[0].n);
}

/** No key anywhere in the JSON (at any depth) that looks like a password or a hash. */
function expectNoSecretKeys(value: unknown, path = '$'): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => expectNoSecretKeys(v, `${path}[${i}]`));
    return;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      expect(`${path}.${key}`).not.toMatch(/password|hash|secret|token/i);
      expectNoSecretKeys(v, `${path}.${key}`);
    }
  }
}

/** A user exactly as contract §2 describes it. */
function expectUserView(user: any, expected: Record<string, unknown> = {}): void {
  expect(Object.keys(user).sort()).toEqual(USER_KEYS);
  expect(user.id).toMatch(UUID);
  expect(typeof user.email).toBe('string');
  expect(typeof user.username).toBe('string');
  expect(typeof user.first_name).toBe('string');
  expect(typeof user.last_name).toBe('string');
  expect(typeof user.is_active).toBe('boolean');
  expect(user.is_admin).toBe(false);
  expect(user.created_at).toMatch(ISO_8601);
  expect(user.updated_at).toMatch(ISO_8601);
  expect(user.last_login_at).toBeNull();
  expectNoSecretKeys(user);
  expect(user).toMatchObject(expected);
}

function indexesOf(body: any): number[] {
  return [...new Set<number>((body.errors ?? []).map((e: any) => e.index))].sort((a, b) => a - b);
}

function problemAt(body: any, index: number | undefined, field: string): any {
  return (body.errors ?? []).find((e: any) => e.index === index && e.field === field);
}

// ---------------------------------------------------------------------------------------------

describe('POST /api/users — one object', () => {
  let created: any;

  it('creates the user: 201 with the contract user (snake_case, no password/hash), email normalised, source sync', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync({ email: '  ＡＤＡ@Example.COM ', first_name: 'Ada', last_name: 'Lovelace' });

    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectUserView(res.body, {
      email: 'ada@example.com',
      username: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      is_active: true,
      is_admin: false,
      source: 'sync',
      last_login_at: null,
    });
    expect(res.text).not.toMatch(/password|hash/i);
    created = res.body;

    expect(await countRows(t.db, 'users')).toBe(before + 1);
    const stored = await row('ada@example.com');
    expect(stored).toMatchObject({
      id: created.id,
      email: 'ada@example.com',
      username: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      is_active: true,
      is_admin: false,
      source: 'sync',
      password_hash: null,
      last_login_at: null,
    });
    expect(new Date(stored.created_at).toISOString()).toBe(created.created_at);
  });

  it('re-sending the same object answers 200 with the same user and changes nothing', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync({ email: '  ＡＤＡ@Example.COM ', first_name: 'Ada', last_name: 'Lovelace' });

    expect(res.status).toBe(200);
    expectUserView(res.body);
    expect(res.body).toEqual(created);
    expect(await countRows(t.db, 'users')).toBe(before);
    const stored = await row('ada@example.com');
    expect(new Date(stored.updated_at).toISOString()).toBe(created.updated_at);
  });

  it('a changed field answers 200 and updates the same row (matched by normalised email)', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync({ email: 'Ada@EXAMPLE.com', first_name: 'Augusta Ada' });

    expect(res.status).toBe(200);
    expectUserView(res.body, {
      id: created.id,
      email: 'ada@example.com',
      first_name: 'Augusta Ada',
      created_at: created.created_at,
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(Date.parse(created.updated_at));
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('ada@example.com')).toMatchObject({ id: created.id, first_name: 'Augusta Ada' });
  });

  it('a partial update keeps the fields absent from the request (last_name, username, is_active)', async () => {
    const res = await sync({ email: 'ada@example.com', first_name: 'Ada' });

    expect(res.status).toBe(200);
    expectUserView(res.body, {
      id: created.id,
      first_name: 'Ada',
      last_name: 'Lovelace',
      username: 'ada@example.com',
      is_active: true,
    });
    expect(await row('ada@example.com')).toMatchObject({
      first_name: 'Ada',
      last_name: 'Lovelace',
      username: 'ada@example.com',
      is_active: true,
    });
  });

  it('null for an optional field means "not given": the stored value stays', async () => {
    const res = await sync({ email: 'ada@example.com', last_name: null, is_active: null });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ last_name: 'Lovelace', is_active: true });
    expect(await row('ada@example.com')).toMatchObject({ last_name: 'Lovelace', is_active: true });
  });

  it('stores an explicit username normalised, and is_active: false', async () => {
    const res = await sync({ email: 'grace@single.example', username: ' Grace.H ', is_active: false });

    expect(res.status).toBe(201);
    expectUserView(res.body, {
      email: 'grace@single.example',
      username: 'grace.h',
      is_active: false,
      first_name: '',
      last_name: '',
      source: 'sync',
    });
    expect(await row('grace@single.example')).toMatchObject({ username: 'grace.h', is_active: false });
  });
});

describe('POST /api/users — bulk array', () => {
  it('answers 200 {created, updated, unchanged, users} with correct counts and users in request order', async () => {
    // Existing: one that will change, one that will not.
    expect((await sync({ email: 'kept@bulk.example', first_name: 'Kept' })).status).toBe(201);
    expect((await sync({ email: 'changed@bulk.example', first_name: 'Old' })).status).toBe(201);
    const before = await countRows(t.db, 'users');

    // Deliberately not in email order: the answer must follow the request, not the database.
    const items = [
      { email: 'zed@bulk.example', first_name: 'Zed' },
      { email: 'kept@bulk.example', first_name: 'Kept' },
      { email: 'Amy@Bulk.Example', first_name: 'Amy', last_name: 'Pond' },
      { email: 'changed@bulk.example', first_name: 'New' },
    ];
    const res = await sync(items);

    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['created', 'unchanged', 'updated', 'users']);
    expect(res.body).toMatchObject({ created: 2, updated: 1, unchanged: 1 });
    expect(res.body.users.map((u: any) => u.email)).toEqual([
      'zed@bulk.example',
      'kept@bulk.example',
      'amy@bulk.example',
      'changed@bulk.example',
    ]);
    for (const u of res.body.users) expectUserView(u, { source: 'sync' });
    expect(res.body.users[2]).toMatchObject({
      first_name: 'Amy',
      last_name: 'Pond',
      username: 'amy@bulk.example',
    });
    expect(res.body.users[3]).toMatchObject({ first_name: 'New' });
    expectNoSecretKeys(res.body);

    expect(await countRows(t.db, 'users')).toBe(before + 2);
    expect(await row('changed@bulk.example')).toMatchObject({ first_name: 'New' });
    expect(await row('amy@bulk.example')).toMatchObject({ first_name: 'Amy', source: 'sync' });
  });

  it('re-sending the same array reports everything unchanged and writes nothing', async () => {
    const items = [
      { email: 'zed@bulk.example', first_name: 'Zed' },
      { email: 'kept@bulk.example', first_name: 'Kept' },
      { email: 'Amy@Bulk.Example', first_name: 'Amy', last_name: 'Pond' },
      { email: 'changed@bulk.example', first_name: 'New' },
    ];
    const before = await countRows(t.db, 'users');
    const { rows: stamps } = await t.db.query(
      `SELECT email, updated_at FROM users WHERE email LIKE '%@bulk.example' ORDER BY email`,
    );
    const res = await sync(items);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(res.body.users).toHaveLength(4);
    expect(await countRows(t.db, 'users')).toBe(before);
    const { rows: after } = await t.db.query(
      `SELECT email, updated_at FROM users WHERE email LIKE '%@bulk.example' ORDER BY email`,
    );
    expect(after).toEqual(stamps);
  });

  it('a case/Unicode variant of an existing email updates the same row, never a duplicate', async () => {
    const original = await row('zed@bulk.example');
    const before = await countRows(t.db, 'users');
    const res = await sync([{ email: ' ＺＥＤ@BULK.example ', last_name: 'Zulu' }]);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expect(res.body.users[0]).toMatchObject({
      id: original.id,
      email: 'zed@bulk.example',
      first_name: 'Zed',
      last_name: 'Zulu',
    });
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%zed@bulk.example')).toBe(1);
  });

  it('an array of one new user answers 200 with the bulk shape, not 201', async () => {
    const res = await sync([{ email: 'solo@bulk.example' }]);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1, updated: 0, unchanged: 0 });
    expect(res.body.users).toHaveLength(1);
    expectUserView(res.body.users[0], { email: 'solo@bulk.example', username: 'solo@bulk.example' });
  });
});

describe('POST /api/users — 10,000 users in one call', () => {
  const big = Array.from({ length: 10_000 }, (_, i) => ({
    email: `user${String(i).padStart(5, '0')}@big.example`,
    first_name: `First-${i}-${'f'.repeat(40)}`,
    last_name: `Last-${i}`,
  }));

  it('creates all 10,000 in request order (body over 1 MiB is fine for an array)', async () => {
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(MIB);
    const before = await countRows(t.db, 'users');
    const res = await sync(big);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 10_000, updated: 0, unchanged: 0 });
    expect(res.body.users).toHaveLength(10_000);
    expect(res.body.users[0].email).toBe('user00000@big.example');
    expect(res.body.users[4321]).toMatchObject({ email: 'user04321@big.example', last_name: 'Last-4321' });
    expect(res.body.users[9999].email).toBe('user09999@big.example');
    expect(await countRows(t.db, 'users')).toBe(before + 10_000);
    expect(await rowsLike('%@big.example')).toBe(10_000);
  });

  it('re-sending the 10,000 reports all unchanged and adds no row', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync(big);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 0, updated: 0, unchanged: 10_000 });
    expect(res.body.users).toHaveLength(10_000);
    expect(await countRows(t.db, 'users')).toBe(before);
  });

  it('more than 10,000 items → 400 and nothing written', async () => {
    const tooMany = Array.from({ length: 10_001 }, (_, i) => ({ email: `u${i}@toomany.example` }));
    const before = await countRows(t.db, 'users');
    const res = await sync(tooMany);

    expectError(res, 400, 'validation_failed');
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@toomany.example')).toBe(0);
  });

  it('an empty array → 400 and nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([]);

    expectError(res, 400, 'validation_failed');
    expect(await countRows(t.db, 'users')).toBe(before);
  });
});

// A large array is written in chunks of 1,000 rows, several statements in one transaction, and rows that
// may exist take an UPDATE before the INSERT: these check that it stays one all-or-nothing upsert.
describe('POST /api/users — arrays written in several statements', () => {
  const email = (domain: string, i: number) => `m${String(i).padStart(4, '0')}@${domain}`;

  it('a taken username in the last chunk → 400 naming its index; none of the earlier chunks is written', async () => {
    const owner = await sync({ email: 'owner@chunks-taken.example', username: 'chunk-owner' });
    expect(owner.status).toBe(201);
    const items = Array.from({ length: 2_500 }, (_, i) => ({
      email: email('chunks.example', i),
      username: i === 2_499 ? 'chunk-owner' : `chunk-${i}`,
    }));
    const before = await countRows(t.db, 'users');
    const res = await sync(items);

    const body = expectError(res, 400, 'validation_failed');
    expect(indexesOf(body)).toEqual([2_499]);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@chunks.example')).toBe(0);
  });

  it('a taken username among existing users → 400; the other updates of the array are rolled back', async () => {
    const seed = Array.from({ length: 2_500 }, (_, i) => ({
      email: email('chunks-upd.example', i),
      first_name: 'Old',
    }));
    expect((await sync(seed)).body).toMatchObject({ created: 2_500 });
    const owner = await sync({ email: 'owner@chunks-upd-taken.example', username: 'upd-owner' });
    expect(owner.status).toBe(201);
    const changed = seed.map((item, i) => ({
      ...item,
      first_name: 'New',
      ...(i === 2_000 ? { username: 'upd-owner' } : {}),
    }));
    const res = await sync(changed);

    const body = expectError(res, 400, 'validation_failed');
    expect(indexesOf(body)).toEqual([2_000]);
    const { rows } = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM users WHERE email LIKE '%@chunks-upd.example' AND first_name = 'New'`,
    );
    expect(Number(rows[0].n)).toBe(0);
  });

  it('new, changed and unchanged users mixed over chunks: counts, request order and stored rows', async () => {
    const seed = Array.from({ length: 1_500 }, (_, i) => ({
      email: email('chunks-mix.example', i),
      last_name: 'Seed',
    }));
    expect((await sync(seed)).body).toMatchObject({ created: 1_500 });
    // In request order: 1,200 new users first, then the 1,500 seeded ones, every third of them changed.
    const fresh = Array.from({ length: 1_200 }, (_, i) => ({
      email: email('chunks-mix.example', 5_000 + i),
      last_name: 'Fresh',
    }));
    const again = seed.map((item, i) => ({ ...item, last_name: i % 3 === 0 ? 'Changed' : 'Seed' }));
    const before = await countRows(t.db, 'users');
    const res = await sync([...fresh, ...again]);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 1_200, updated: 500, unchanged: 1_000 });
    expect(res.body.users.map((u: any) => u.email)).toEqual([...fresh, ...again].map((u) => u.email));
    expect(res.body.users[0].last_name).toBe('Fresh');
    expect(res.body.users[1_200].last_name).toBe('Changed');
    expect(res.body.users[1_201].last_name).toBe('Seed');
    expect(await countRows(t.db, 'users')).toBe(before + 1_200);
    const { rows } = await t.db.query<{ last_name: string; n: string }>(
      `SELECT last_name, count(*) AS n FROM users WHERE email LIKE '%@chunks-mix.example' GROUP BY 1 ORDER BY 1`,
    );
    expect(rows.map((r) => [r.last_name, Number(r.n)])).toEqual([
      ['Changed', 500],
      ['Fresh', 1_200],
      ['Seed', 1_000],
    ]);
  });

  // All new: both try a plain INSERT, and the one that loses on the email index writes again as an upsert.
  // Some existing: both take the UPDATE-then-INSERT statement.
  it.each([
    ['new', 0],
    ['new and existing', 1_000],
  ])(
    'two concurrent arrays over the same %s users: both 200, each user created once',
    async (kind, seeded) => {
      const domain = `chunks-race-${seeded}.example`;
      const items = (first_name: string, length = 2_500) =>
        Array.from({ length }, (_, i) => ({ email: email(domain, i), first_name }));
      if (seeded > 0) expect((await sync(items('A', seeded))).body).toMatchObject({ created: seeded });
      const [one, two] = await Promise.all([sync(items('B')), sync(items('C'))]);

      expect([one.status, two.status]).toEqual([200, 200]);
      expect(one.body.created + two.body.created).toBe(2_500 - seeded);
      expect(one.body.users.map((u: any) => u.id)).toEqual(two.body.users.map((u: any) => u.id));
      expect(await rowsLike(`%@${domain}`)).toBe(2_500);
    },
  );
});

describe('POST /api/users — unknown fields', () => {
  it.each([
    { field: 'is_admin', value: true },
    { field: 'id', value: '00000000-0000-4000-8000-000000000000' },
    { field: 'password_hash', value: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' },
    { field: 'source', value: 'local' },
  ])(
    'one object with $field → 400 validation_failed naming it; nothing written',
    async ({ field, value }) => {
      const email = `unknown-${field.replace('_', '-')}@unknown.example`;
      const before = await countRows(t.db, 'users');
      const res = await sync({ email, [field]: value });

      const body = expectError(res, 400, 'validation_failed');
      const problem = problemAt(body, undefined, field);
      expect(problem).toBeDefined();
      expect(problem).not.toHaveProperty('index');
      expect(body.message).toContain(field);
      expect(await countRows(t.db, 'users')).toBe(before);
      expect(await row(email)).toBeUndefined();
    },
  );

  it('in a bulk array → 400 naming each field with its index; the valid item is not written either', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([
      { email: 'valid@unknown-bulk.example', first_name: 'Valid' },
      { email: 'a@unknown-bulk.example', is_admin: true },
      { email: 'b@unknown-bulk.example', id: '00000000-0000-4000-8000-000000000000' },
      { email: 'c@unknown-bulk.example', password_hash: 'x' },
      { email: 'd@unknown-bulk.example', source: 'local' },
    ]);

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, 1, 'is_admin')).toBeDefined();
    expect(problemAt(body, 2, 'id')).toBeDefined();
    expect(problemAt(body, 3, 'password_hash')).toBeDefined();
    expect(problemAt(body, 4, 'source')).toBeDefined();
    expect(indexesOf(body)).toEqual([1, 2, 3, 4]);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@unknown-bulk.example')).toBe(0);
  });

  it('cannot make an existing user an admin through sync', async () => {
    expect((await sync({ email: 'plain@unknown.example' })).status).toBe(201);
    const res = await sync({ email: 'plain@unknown.example', is_admin: true });

    expectError(res, 400, 'validation_failed');
    expect(await row('plain@unknown.example')).toMatchObject({ is_admin: false, source: 'sync' });
  });
});

describe('POST /api/users — invalid items', () => {
  it('a bulk with bad items → 400 listing every bad index (and not the good one); nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([
      { email: 'good@invalid.example', first_name: 'Good' }, // 0
      { email: 'not-an-email' }, // 1
      { email: 'n1@invalid.example', first_name: 123 }, // 2
      { email: 'n2@invalid.example', is_active: 'yes' }, // 3
      { email: 'n3@invalid.example', last_name: 'Love\u0000lace' }, // 4
      'just a string', // 5
      42, // 6
      null, // 7
      { first_name: 'No Email' }, // 8
      { email: 'n4@invalid.example', username: 123 }, // 9
      { email: 12345 }, // 10
      ['nested@invalid.example'], // 11
    ]);

    const body = expectError(res, 400, 'validation_failed');
    expect(indexesOf(body)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(problemAt(body, 1, 'email')).toBeDefined();
    expect(problemAt(body, 2, 'first_name')).toBeDefined();
    expect(problemAt(body, 3, 'is_active')).toBeDefined();
    expect(problemAt(body, 4, 'last_name')).toBeDefined();
    expect(problemAt(body, 8, 'email')).toBeDefined();
    expect(problemAt(body, 9, 'username')).toBeDefined();
    expect(problemAt(body, 10, 'email')).toBeDefined();
    for (const e of body.errors) expect(e.reason.length).toBeGreaterThan(0);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@invalid.example')).toBe(0);
  });

  it.each<{ label: string; item: Record<string, unknown>; field: string }>([
    { label: 'a bad email', item: { email: 'nobody' }, field: 'email' },
    { label: 'an email with a NUL', item: { email: 'nul\u0000@invalid.example' }, field: 'email' },
    {
      label: 'first_name: 123',
      item: { email: 'single1@invalid.example', first_name: 123 },
      field: 'first_name',
    },
    {
      label: 'is_active: "yes"',
      item: { email: 'single2@invalid.example', is_active: 'yes' },
      field: 'is_active',
    },
    {
      label: 'a NUL in first_name',
      item: { email: 'single3@invalid.example', first_name: 'A\u0000' },
      field: 'first_name',
    },
    {
      label: 'an empty username',
      item: { email: 'single4@invalid.example', username: '' },
      field: 'username',
    },
    {
      label: 'a first_name over 150 characters',
      item: { email: 'single5@invalid.example', first_name: 'x'.repeat(151) },
      field: 'first_name',
    },
    { label: 'no email at all', item: { first_name: 'Nobody' }, field: 'email' },
  ])('one object with $label → 400 naming the field (no index); nothing written', async ({ item, field }) => {
    const before = await countRows(t.db, 'users');
    const res = await sync(item);

    const body = expectError(res, 400, 'validation_failed');
    const problem = problemAt(body, undefined, field);
    expect(problem).toBeDefined();
    expect(problem).not.toHaveProperty('index');
    expect(await countRows(t.db, 'users')).toBe(before);
  });

  it.each([
    ['a JSON string', '"ada@example.com"'],
    ['a JSON number', '42'],
    ['JSON null', 'null'],
    ['JSON true', 'true'],
  ])('a body that is %s instead of an object → 400, never 500; nothing written', async (_label, raw) => {
    const before = await countRows(t.db, 'users');
    const res = await syncRaw(raw);

    expectError(res, 400, res.body?.code === 'invalid_json' ? 'invalid_json' : 'validation_failed');
    expect(await countRows(t.db, 'users')).toBe(before);
  });
});

describe('POST /api/users — duplicate emails inside one array', () => {
  it("'Ada@x.com' and 'ada@x.com' in one array → 400 naming the later index; nothing written", async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([
      { email: 'Ada@dup.example', first_name: 'One' },
      { email: 'bob@dup.example' },
      { email: 'ada@dup.example', first_name: 'Two' },
    ]);

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, 2, 'email')).toBeDefined();
    expect(indexesOf(body)).toEqual([2]);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@dup.example')).toBe(0);
  });

  it('a full-width/whitespace variant counts as the same email → 400; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([{ email: 'eve@dup2.example' }, { email: '  ＥＶＥ@DUP2.example ' }]);

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, 1, 'email')).toBeDefined();
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@dup2.example')).toBe(0);
  });
});

describe('POST /api/users — usernames are unique', () => {
  beforeAll(async () => {
    const res = await sync({ email: 'owner@names.example', username: 'taken-name' });
    expect(res.status).toBe(201);
    const res2 = await sync({ email: 'other@names.example', username: 'shared@names.example' });
    expect(res2.status).toBe(201);
  });

  it('one object whose username belongs to another user → 400 naming username; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync({ email: 'thief@names.example', username: 'Taken-Name' });

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, undefined, 'username')).toBeDefined();
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('thief@names.example')).toBeUndefined();
    expect(await row('owner@names.example')).toMatchObject({ username: 'taken-name' });
  });

  it("an existing user cannot take another user's username → 400; its own username stays", async () => {
    const res = await sync({ email: 'other@names.example', username: 'taken-name' });

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, undefined, 'username')).toBeDefined();
    expect(await row('other@names.example')).toMatchObject({ username: 'shared@names.example' });
  });

  it("a new user whose default username (its email) is another user's username → 400, never 500", async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync({ email: 'shared@names.example' });

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, undefined, 'username')).toBeDefined();
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('shared@names.example')).toBeUndefined();
  });

  it('in a bulk → 400 with the index of the offending item; the valid item is not written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([
      { email: 'fine@names.example', username: 'fine-name' },
      { email: 'thief2@names.example', username: 'taken-name' },
    ]);

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, 1, 'username')).toBeDefined();
    expect(indexesOf(body)).toEqual([1]);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('fine@names.example')).toBeUndefined();
  });

  it('two items of one array with the same username → 400 naming the later index; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync([
      { email: 'twin1@names.example', username: 'twin' },
      { email: 'twin2@names.example', username: 'TWIN' },
    ]);

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, 1, 'username')).toBeDefined();
    expect(await countRows(t.db, 'users')).toBe(before);
  });
});

describe('POST /api/users — password (write-only, argon2id)', () => {
  const email = 'secret@pw.example';
  const password = 'correct horse battery staple';
  let firstHash: string;

  it('is hashed with argon2id into password_hash and never returned', async () => {
    const res = await sync({ email, password });

    expect(res.status).toBe(201);
    expectUserView(res.body, { email });
    expect(res.text).not.toContain(password);
    expect(res.text).not.toMatch(/password|hash|argon/i);
    const stored = await row(email);
    expect(stored.password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true);
    expect(stored.password_hash).not.toContain(password);
    firstHash = stored.password_hash;
  });

  it('re-sending the same password is unchanged: the hash stays as it is', async () => {
    const stamp = (await row(email)).updated_at;
    const res = await sync([{ email, password }]);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 0, updated: 0, unchanged: 1 });
    expect(res.text).not.toContain(password);
    const stored = await row(email);
    expect(stored.password_hash).toBe(firstHash);
    expect(stored.updated_at).toEqual(stamp);
  });

  it('a new password is an update: the hash changes and is still argon2id', async () => {
    const res = await sync([{ email, password: 'a whole new passphrase' }]);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 0, updated: 1, unchanged: 0 });
    expectNoSecretKeys(res.body);
    const stored = await row(email);
    expect(stored.password_hash).not.toBe(firstHash);
    expect(stored.password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true);
  });

  it('a request without password keeps the stored hash', async () => {
    const hash = (await row(email)).password_hash;
    const res = await sync({ email, first_name: 'Sec' });

    expect(res.status).toBe(200);
    expect((await row(email)).password_hash).toBe(hash);
  });

  it('exactly 8 characters and exactly 1024 bytes are accepted', async () => {
    const res = await sync([
      { email: 'eight@pw.example', password: '12345678' },
      { email: 'max@pw.example', password: 'p'.repeat(1024) },
    ]);

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ created: 2 });
    expect((await row('eight@pw.example')).password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true);
    expect((await row('max@pw.example')).password_hash.startsWith(ARGON2ID_PREFIX)).toBe(true);
  });

  it.each([
    ['shorter than 8 characters', 'short12'],
    ['over 1024 bytes (ASCII)', 'p'.repeat(1025)],
    ['over 1024 bytes but under 1024 characters (UTF-8)', 'é'.repeat(513)],
  ])('a password %s → 400 naming password; not echoed; nothing written', async (_label, bad) => {
    const before = await countRows(t.db, 'users');
    const hashBefore = (await row(email)).password_hash;
    const newEmail = `bad-${bad.length}@pw.example`;

    const single = await sync({ email: newEmail, password: bad });
    const body = expectError(single, 400, 'validation_failed');
    expect(problemAt(body, undefined, 'password')).toBeDefined();
    expect(single.text).not.toContain(bad);

    const onExisting = await sync([{ email: 'ok@pw.example' }, { email, password: bad }]);
    const bulkBody = expectError(onExisting, 400, 'validation_failed');
    expect(problemAt(bulkBody, 1, 'password')).toBeDefined();
    expect(onExisting.text).not.toContain(bad);

    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row(newEmail)).toBeUndefined();
    expect(await row('ok@pw.example')).toBeUndefined();
    expect((await row(email)).password_hash).toBe(hashBefore);
  });

  it('a non-string password → 400', async () => {
    const res = await sync({ email: 'num@pw.example', password: 12345678 });

    const body = expectError(res, 400, 'validation_failed');
    expect(problemAt(body, undefined, 'password')).toBeDefined();
    expect(await row('num@pw.example')).toBeUndefined();
  });
});

describe('POST /api/users — concurrency', () => {
  it('40 concurrent creates of the same new email: all 200/201, exactly one 201, exactly one row', async () => {
    const email = 'race@concurrent.example';
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        // Spelled differently on purpose: all normalise to the same email.
        sync({ email: i % 2 === 0 ? email : ' RACE@Concurrent.Example', first_name: 'Racer' }),
      ),
    );

    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 200 && s !== 201)).toEqual([]);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    const ids = new Set(results.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    const { rows } = await t.db.query('SELECT id FROM users WHERE email = $1', [email]);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe([...ids][0]);
    expect(await rowsLike('%@concurrent.example')).toBe(1);
  });
});

describe('POST /api/users — body parsing and size limits', () => {
  it('malformed JSON → 400 invalid_json; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await syncRaw('{"email": "broken@parse.example", ');

    expectError(res, 400, 'invalid_json');
    expect(await countRows(t.db, 'users')).toBe(before);
  });

  it('an empty body with content-type JSON → 400 invalid_json; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await syncRaw('');

    expectError(res, 400, 'invalid_json');
    expect(await countRows(t.db, 'users')).toBe(before);
  });

  it('application/json with a charset parameter is accepted', async () => {
    const res = await syncRaw(
      JSON.stringify({ email: 'charset@parse.example' }),
      'application/json; charset=utf-8',
    );

    expect(res.status).toBe(201);
    expect(await row('charset@parse.example')).toMatchObject({ source: 'sync' });
  });

  it('text/plain → 415 unsupported_media_type; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await syncRaw(JSON.stringify({ email: 'plain@parse.example' }), 'text/plain');

    expectError(res, 415, 'unsupported_media_type');
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('plain@parse.example')).toBeUndefined();
  });

  it('a single object over 1 MiB → 413 payload_too_large; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const raw = JSON.stringify({ email: 'huge@parse.example', first_name: 'x'.repeat(MIB + 10) });
    const res = await syncRaw(raw);

    expectError(res, 413, 'payload_too_large');
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('huge@parse.example')).toBeUndefined();
  });

  it('an array body over 16 MiB → 413 payload_too_large; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const pad = 'y'.repeat(140);
    const items = Array.from({ length: 10_000 }, (_, i) => ({
      email: `big${i}@toolarge.example`,
      first_name: pad,
      last_name: pad,
      username: `${pad}${i}`.slice(-200),
    }));
    // Pad with whitespace after the array: still valid JSON, now over the 16 MiB limit.
    let raw = JSON.stringify(items);
    raw += ' '.repeat(16 * MIB + 1024 - Buffer.byteLength(raw));
    expect(Buffer.byteLength(raw)).toBeGreaterThan(16 * MIB);
    const res = await syncRaw(raw);

    expectError(res, 413, 'payload_too_large');
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await rowsLike('%@toolarge.example')).toBe(0);
  });
});

describe('POST /api/users — error bodies', () => {
  it('have the shape {statusCode, error, code, message} and leak no internals, across error kinds', async () => {
    const responses: [HttpResult, number, string][] = [
      [await sync({ email: 'x' }), 400, 'validation_failed'],
      [await sync([{ email: 'a@shape.example' }, { email: 'A@shape.example' }]), 400, 'validation_failed'],
      [await sync({ email: 'y@shape.example', is_admin: true }), 400, 'validation_failed'],
      [await syncRaw('[{"email":'), 400, 'invalid_json'],
      [
        await syncRaw('email=z@shape.example', 'application/x-www-form-urlencoded'),
        415,
        'unsupported_media_type',
      ],
      [await sync({ email: 'z@shape.example' }, { apiToken: null }), 401, 'invalid_token'],
    ];
    for (const [res, status, code] of responses) {
      const body = expectError(res, status, code);
      expect(Object.keys(body)).toEqual(expect.arrayContaining(['statusCode', 'error', 'code', 'message']));
      expect(body.statusCode).toBe(res.status);
    }
    expect(await rowsLike('%@shape.example')).toBe(0);
  });
});

describe('POST /api/users — authentication', () => {
  it('no Authorization header → 401 invalid_token with WWW-Authenticate; nothing written', async () => {
    const before = await countRows(t.db, 'users');
    const res = await sync({ email: 'anon@auth.example' }, { apiToken: null });

    expectError(res, 401, 'invalid_token');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('anon@auth.example')).toBeUndefined();
  });

  it.each([
    { label: 'a wrong API token', authorization: 'Token lk_not_a_real_token_at_all_0123456789' },
    { label: 'the right token in another case', authorization: `Token ${WRITE_TOKEN.toUpperCase()}` },
    { label: 'the right token as a Bearer token', authorization: `Bearer ${WRITE_TOKEN}` },
    { label: 'a scheme without credentials', authorization: 'Token' },
    { label: 'an empty Authorization header', authorization: '' },
  ])('$label → 401 invalid_token with WWW-Authenticate; nothing written', async ({ authorization }) => {
    const headers = { authorization };
    const before = await countRows(t.db, 'users');
    const res = await sync([{ email: 'wrong@auth.example' }], { apiToken: null, headers });

    expectError(res, 401, 'invalid_token');
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect(res.text).not.toContain(WRITE_TOKEN);
    expect(await countRows(t.db, 'users')).toBe(before);
    expect(await row('wrong@auth.example')).toBeUndefined();
  });

  it('the bootstrap token (users:write) is accepted', async () => {
    const res = await sync({ email: 'ok@auth.example' });

    expect(res.status).toBe(201);
    expect(await row('ok@auth.example')).toMatchObject({ source: 'sync' });
  });
});
