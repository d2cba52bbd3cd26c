import { startServer, WRITE_TOKEN, type TestServer } from './support/server.js';

/**
 * The directory's count on a large table: exact while cheap, the planner's estimate (flagged) when a search
 * matches over 10,000 of over 100,000 users — an exact count there costs more than the rest of the request.
 */

const USERS = 150_000;
let t: TestServer;

beforeAll(async () => {
  t = await startServer();
  // Straight into the table (the sync API is not what is under test): about every 6th user, picked by a
  // hash, is a "Commonname". Not every 6th by number: the estimate reads the column's histogram, every
  // ~150th value in sorted order here, and a period that lines up with that step would hide them all.
  await t.db.query(
    `INSERT INTO users (email, username, first_name, last_name, source)
     SELECT 'person' || g || '@scale.example', 'person' || g || '@scale.example', 'First',
            CASE WHEN abs(hashtext(g::text)) % 6 = 0 THEN 'Commonname' ELSE 'Name' || g END, 'sync'
       FROM generate_series(1, $1::int) g`,
    [USERS],
  );
  await t.db.query('ANALYZE users');
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

const list = (query: string) => t.request('GET', `/api/users?${query}`, { apiToken: WRITE_TOKEN });

it('a broad search gets an estimate near the truth, flagged, with a full page and a next link', async () => {
  const res = await list('search=commonname&page_size=50');
  expect(res.status).toBe(200);
  const { rows } = await t.db.query<{ truth: number }>(
    `SELECT count(*)::int AS truth FROM users WHERE last_name = 'Commonname'`,
  );
  const { truth } = rows[0];
  expect(truth).toBeGreaterThan(20_000);
  expect(res.body.count_is_estimate).toBe(true);
  expect(Math.abs(res.body.count - truth) / truth).toBeLessThan(0.25);
  expect(res.body.results).toHaveLength(50);
  expect(res.body.results.every((u: any) => u.last_name === 'Commonname')).toBe(true);
  expect(res.body.next).toContain('page=2');
  // the same estimate on every page: it comes from the statistics of the last ANALYZE
  expect((await list('search=commonname&page_size=50&page=2')).body.count).toBe(res.body.count);
});

it('a selective search on the same table is counted exactly', async () => {
  const res = await list('search=person12345@');
  expect(res.status).toBe(200);
  expect(res.body).not.toHaveProperty('count_is_estimate');
  expect(res.body.count).toBe(1);
  expect(res.body.next).toBeNull();
});

it('the whole directory (no search) is estimated too, and paging still walks on', async () => {
  const res = await list('page_size=500&page=3');
  expect(res.body.count_is_estimate).toBe(true);
  expect(Math.abs(res.body.count - USERS) / USERS).toBeLessThan(0.1);
  expect(res.body.results).toHaveLength(500);
  expect(res.body.previous).toContain('page=2');
  expect(res.body.next).toContain('page=4');
});

it('a selective search counts its matches exactly on every page, also past the last one', async () => {
  // person1234@, person12340–12349@ and person123400–123499@: 111 users.
  const last = await list('search=person1234&page=3&page_size=50');
  expect(last.body).not.toHaveProperty('count_is_estimate');
  expect(last.body.count).toBe(111);
  expect(last.body.results).toHaveLength(11);
  const past = await list('search=person1234&page=4&page_size=50');
  expect(past.body.count).toBe(111);
  expect(past.body.results).toEqual([]);
});

it('a full name matches as typed, not as its words apart, on the page and in the count', async () => {
  // The index is given the words alone ('%olivia%smith%'); "Olivia Goldsmith" has them, not "olivia smith".
  await t.db.query(
    `INSERT INTO users (email, username, first_name, last_name, source)
     SELECT 'fullname' || g || '@scale.example', 'fullname' || g, 'Olivia', last, 'sync'
       FROM unnest(ARRAY['Smith', 'Goldsmith', 'Smithers', 'Smith-Jones']) WITH ORDINALITY AS n(last, g)`,
  );
  const page = await list('search=olivia%20smith&page_size=50');
  expect(page.status).toBe(200);
  expect(page.body.results.map((u: any) => u.last_name).sort()).toEqual(['Smith', 'Smith-Jones', 'Smithers']);
  expect(page.body.count).toBe(3);
  expect(page.body).not.toHaveProperty('count_is_estimate');
  // Past the last page the count is taken on its own (countMatches), by the same condition.
  const past = await list('search=olivia%20smith&page_size=50&page=2');
  expect(past.body.results).toEqual([]);
  expect(past.body.count).toBe(3);
});

it('% and _ match only themselves also when a common term walks the newest-first index', async () => {
  // 3,000 of each among ~150,000 users: common enough (over 0.5 %) that the page walks the index
  // (users_newest_matching) and the count is taken apart, both with the pattern hidden from the planner.
  await t.db.query(
    `INSERT INTO users (email, username, first_name, last_name, source)
     SELECT e, e, 'First', last, 'sync'
       FROM generate_series(1, 3000) g,
            unnest(ARRAY['Under_score', 'Underxscore', '50%off', '50xoff']) WITH ORDINALITY AS n(last, k),
            LATERAL (SELECT 'esc' || k || '-' || g || '@scale.example' AS e) x`,
  );
  await t.db.query('ANALYZE users');
  for (const [term, lastName] of [
    ['under_score', 'Under_score'],
    ['50%off', '50%off'],
  ]) {
    const res = await list(`search=${encodeURIComponent(term)}&page_size=100`);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(3_000);
    expect(res.body.results).toHaveLength(100);
    expect(res.body.results.every((u: any) => u.last_name === lastName)).toBe(true);
  }
});
