// Directory search on 1M users: GET /api/users?search=… under load, with the trigram index of the first
// migration, and the same searches with that index dropped (sequential: without them each takes long).
import pg from 'pg';
import { BENCH_TOKEN, load, startLatchkey, timeEach } from './lib.mjs';

const USERS = Number(process.env.BENCH_SEARCH_USERS ?? 1_000_000);
const FIRST = [
  'ada',
  'grace',
  'alan',
  'edsger',
  'barbara',
  'donald',
  'margaret',
  'ken',
  'dennis',
  'frances',
  'john',
  'radia',
  'linus',
  'guido',
  'bjarne',
  'niklaus',
  'tony',
  'leslie',
  'shafi',
  'silvio',
];
const LAST = [
  'lovelace',
  'hopper',
  'turing',
  'dijkstra',
  'liskov',
  'knuth',
  'hamilton',
  'thompson',
  'ritchie',
  'allen',
  'backus',
  'perlman',
  'torvalds',
  'rossum',
  'stroustrup',
  'wirth',
  'hoare',
  'lamport',
  'goldwasser',
  'micali',
];
const TERMS = [
  'user4242',
  '77731.',
  'hopper',
  'grace',
  'example7',
  'lovelace',
  'knuth@',
  'zz-no-match',
  'user99',
  'a_b',
];

export async function searchScenario(pgServer) {
  const url = await pgServer.createDatabase('bench_search');
  const server = await startLatchkey(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const started = Date.now();
    await db.query(
      `INSERT INTO users (email, username, first_name, last_name, source)
       SELECT e, e, initcap(($1::text[])[1 + g % 20]), initcap(($2::text[])[1 + (g / 20) % 20]), 'sync'
         FROM generate_series(1, $3::int) g,
              LATERAL (SELECT ($2::text[])[1 + (g / 20) % 20] || '.user' || g || '@example' || (g % 100) || '.com' AS e) x`,
      [FIRST, LAST, USERS],
    );
    await db.query('ANALYZE users');
    const seeded = ((Date.now() - started) / 1000).toFixed(1);
    const requests = TERMS.map((t) => ({
      method: 'GET',
      path: `/api/users?search=${encodeURIComponent(t)}&page_size=50`,
    }));
    const indexed = await load({
      url: server.baseUrl,
      requests,
      connections: 8,
      seconds: 10,
      headers: { authorization: `Token ${BENCH_TOKEN}` },
    });
    const perTerm = [];
    for (const term of TERMS) {
      const t = await timeEach(5, () => get(server.baseUrl, term));
      perTerm.push(`${term}: ${t.p50.toFixed(1)} ms`);
    }
    await db.query(`DROP INDEX users_search_trgm`);
    const unindexed = await timeEach(TERMS.length, (i) => get(server.baseUrl, TERMS[i]));
    return [
      {
        path: `directory search, ${USERS.toLocaleString('en')} users (seeded in ${seeded} s)`,
        baseline: 'same searches without the trigram index (sequential)',
        value: `${indexed.rps.toFixed(0)} req/s, p50 ${indexed.p50} ms, p99 ${indexed.p99} ms (${indexed.failed} failed)`,
        baselineValue: `p50 ${unindexed.p50.toFixed(0)} ms, p99 ${unindexed.p99.toFixed(0)} ms`,
        ratio: `${(unindexed.p50 / Math.max(indexed.p50, 0.1)).toFixed(0)}× faster p50`,
        notes: `per term (sequential p50): ${perTerm.join('; ')}`,
      },
    ];
  } finally {
    await db.end();
    await server.stop();
  }
}

async function get(baseUrl, term) {
  const res = await fetch(`${baseUrl}/api/users?search=${encodeURIComponent(term)}&page_size=50`, {
    headers: { authorization: `Token ${BENCH_TOKEN}` },
  });
  if (!res.ok) throw new Error(`search ${term} → ${res.status}`);
  await res.arrayBuffer();
}
