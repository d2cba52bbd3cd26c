// Directory search on 1,000,000 users: GET /api/users?search=<term>&page_size=50 under load, cycling
// through terms of every kind (selective, broad, no match, email fragments, names) and one page without a
// search. Target: p99 under 50 ms. Baseline: the plain SQL such a page needs — the newest 50 matches
// plus an exact count, on the same trigram-indexed column — looped through `pg` with the same concurrency,
// right after. `BENCH_SEARCH_USERS=100000` makes a smaller directory for development.
import pg from 'pg';
import { BENCH_TOKEN, load, percentiles, SECONDS, startLatchkey, timeEach } from './lib.mjs';
import { withCpu } from './processes.mjs';
import { int, ms, rate, row } from './table.mjs';
import { seedUsers } from './seed-users.mjs';

const USERS = Number(process.env.BENCH_SEARCH_USERS ?? 1_000_000);
// Admins searching a directory: a few at once, not a crowd.
const CONNECTIONS = 4;
const WARM_UP_SECONDS = 3;
/** [term, what kind of search it is]; how many users each matches is printed in the notes. */
const TERMS = [
  ['smith', 'common surname'],
  ['garcia', 'surname'],
  ['olivia', 'first name'],
  ['olivia smith', 'full name'],
  ['son', 'short fragment'],
  ['smith4242', 'username fragment'],
  ['.777777@', 'email fragment'],
  ['@uni.example', 'email domain'],
  ['vokari', 'rare surname'],
  ['zz-no-match', 'no match'],
  ['', 'no search (first page)'],
];

export async function searchScenario({ pg: pgServer }) {
  const url = await pgServer.createDatabase('bench_search');
  // Started first, so that the schema is the migrated one.
  const server = await startLatchkey(url);
  // Two connections per loop: the page and its count go in parallel, as in Latchkey.
  const pool = new pg.Pool({ connectionString: url, max: 2 * CONNECTIONS });
  try {
    const seeded = await seedUsers(pool, USERS);
    const path = (term) => `/api/users?${term ? `search=${encodeURIComponent(term)}&` : ''}page_size=50`;
    const headers = { authorization: `Token ${BENCH_TOKEN}` };
    const get = async (term) => {
      const res = await fetch(`${server.baseUrl}${path(term)}`, { headers });
      if (!res.ok) throw new Error(`search ${JSON.stringify(term)} → ${res.status}`);
      return res.json();
    };
    // Warm both sides (plans, caches) with one pass, and learn how many users each term matches.
    const counts = [];
    for (const [term] of TERMS) {
      const page = await get(term);
      // Latchkey may estimate a large count (count_is_estimate); the notes say which.
      counts.push(
        `${page.count_is_estimate ? '≈' : ''}${int(page.count)} match${page.count === 1 ? '' : 'es'}`,
      );
    }
    for (const [term] of TERMS) await sql(pool, term);

    const latchkeyLoad = (seconds) =>
      load({
        url: server.baseUrl,
        requests: TERMS.map(([term]) => ({ method: 'GET', path: path(term) })),
        connections: CONNECTIONS,
        seconds,
        headers,
        label: 'directory search',
      });
    // Then a short unmeasured load on every connection of each side, as the SSO scenario does: the measured
    // seconds are the steady state, not the first queries of new database connections (catalog caches,
    // the estimate function compiled once per connection) nor code V8 has yet to optimise.
    await latchkeyLoad(WARM_UP_SECONDS);
    await sqlLoad(pool, CONNECTIONS, WARM_UP_SECONDS);
    const latchkey = await withCpu({ latchkey: [server.pid], pg: pgServer.pid }, () => latchkeyLoad(SECONDS));
    const baseline = await withCpu({ pg: pgServer.pid }, () => sqlLoad(pool, CONNECTIONS, SECONDS));
    const perTerm = [];
    for (const [i, [term, kind]] of TERMS.entries()) {
      const t = await timeEach(3, () => get(term));
      perTerm.push(`${JSON.stringify(term)} (${kind}, ${counts[i]}): ${ms(t.p50)} ms`);
    }
    return [
      row({
        path: `directory search, ${int(USERS)} users, page_size=50, ${TERMS.length} queries in turn`,
        value: rate(latchkey),
        baseline: `the page + exact count in plain SQL via pg (same LIKE on search_text, newest first, LIMIT 50), ${CONNECTIONS} loops`,
        baselineValue: rate(baseline, 'pages/s'),
        ratio: `${(latchkey.rps / baseline.rps).toFixed(2)} of the SQL's pages/s`,
        target: { op: '<', value: 50, unit: ' ms', label: 'p99', actual: latchkey.p99 },
        notes:
          `${CONNECTIONS} connections, after ${WARM_UP_SECONDS} s of unmeasured load on each side; seeded in ${seeded.toFixed(1)} s (SQL, indexes rebuilt, VACUUM ANALYZE); ` +
          `Latchkey then SQL, back to back. CPU in cores (of 2) — Latchkey run: ${latchkey.cpu}; ` +
          `SQL run: ${baseline.cpu}. Sequential p50 per term, warm: ${perTerm.join('; ')}`,
      }),
    ];
  } finally {
    await pool.end();
    await server.stop();
  }
}

/** One page and its count, as the plain SQL would do them (two statements, in parallel). */
async function sql(pool, term) {
  const where = term ? `WHERE search_text LIKE $1` : '';
  const params = term ? [`%${term.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`] : [];
  await Promise.all([
    pool.query(`SELECT * FROM users ${where} ORDER BY created_at DESC, id DESC LIMIT 50`, params),
    pool.query(`SELECT count(*) FROM users ${where}`, params),
  ]);
}

/** `connections` loops of `sql` through the terms for `seconds`. */
async function sqlLoad(pool, connections, seconds) {
  const latencies = [];
  const deadline = Date.now() + seconds * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: connections }, async (_, loop) => {
      for (let i = loop; Date.now() < deadline; i++) {
        const t = process.hrtime.bigint();
        await sql(pool, TERMS[i % TERMS.length][0]);
        latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { rps: latencies.length / elapsed, ...percentiles(latencies) };
}
