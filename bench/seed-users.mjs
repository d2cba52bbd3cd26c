// A realistic directory of `count` users, straight into the migrated `users` table with one SQL
// statement: 40 first names (2.5 % each), surnames where 60 % of people share 25 common ones (smith 5 %,
// johnson 4 %, … garcia 2 %) and 40 % have one of 8,000 rare ones (~50 people each), ten mail domains,
// usernames like `osmith123`, sign-up dates 30 s apart. Secondary indexes are dropped for the insert and rebuilt afterwards from
// their own definitions (several times faster than maintaining them row by row), then VACUUM ANALYZE.

const FIRST = [
  'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Oliver', 'Sophia', 'Elijah', 'Isabella', 'James',
  'Mia', 'William', 'Amelia', 'Benjamin', 'Harper', 'Lucas', 'Evelyn', 'Henry', 'Abigail', 'Alexander',
  'Emily', 'Jacob', 'Ella', 'Michael', 'Elizabeth', 'Daniel', 'Camila', 'Logan', 'Luna', 'Jackson',
  'Sofia', 'Sebastian', 'Avery', 'Jack', 'Mila', 'Aiden', 'Aria', 'Owen', 'Scarlett', 'Samuel',
]; // prettier-ignore
/** Common surnames and how many people in a thousand carry each. */
const COMMON = {
  smith: 50, johnson: 40, williams: 35, brown: 35, jones: 30, miller: 30, davis: 30, wilson: 25,
  anderson: 25, taylor: 25, lee: 25, thomas: 20, garcia: 20, rodriguez: 20, martinez: 20, hernandez: 20,
  lopez: 20, gonzalez: 20, moore: 20, jackson: 20, martin: 20, white: 20, thompson: 15, perez: 15,
  harris: 15,
}; // prettier-ignore
// Three of these make a rare surname: 20³ = 8,000 of them.
const SYLLABLES = ['vo', 'ka', 'ri', 'mel', 'dan', 'tor', 'sil', 'be', 'qua', 'nor', 'zel', 'fi', 'gar', 'lu', 'pen', 'ost', 'ma', 'rek', 'ul', 'yan']; // prettier-ignore
const DOMAINS = ['gmail.example', 'corp.example', 'uni.example', 'mail.example', 'acme.example', 'fastmail.example', 'post.example', 'web.example', 'inbox.example', 'example.org']; // prettier-ignore

/** Seeds `count` users through `pool`; resolves with the seconds it took. */
export async function seedUsers(pool, count) {
  const started = Date.now();
  const common = Object.entries(COMMON).flatMap(([name, perMille]) => Array(perMille).fill(name));
  const client = await pool.connect();
  try {
    const { rows: indexes } = await client.query(
      `SELECT indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename = 'users'
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = format('%I', indexname)::regclass)`,
    );
    for (const { indexname } of indexes) await client.query(`DROP INDEX ${indexname}`);
    await client.query(
      `INSERT INTO users (email, username, first_name, last_name, source, created_at, updated_at)
       SELECT lower(f) || '.' || l || '.' || g || '@' || d, lower(left(f, 1)) || l || g, f, initcap(l), 'sync',
              t, t
         FROM generate_series(1, $1::int) g,
              LATERAL (SELECT (g::bigint * 2654435761) % 1000003 AS h) m,
              LATERAL (SELECT
                ($2::text[])[1 + (g * 7) % cardinality($2::text[])] AS f,
                CASE WHEN h % 1000 < cardinality($3::text[]) THEN ($3::text[])[1 + h % 1000]
                     ELSE ($4::text[])[1 + (h / 1000) % 20] || ($4::text[])[1 + (h / 20000) % 20]
                          || ($4::text[])[1 + (g / 3) % 20] END AS l,
                ($5::text[])[1 + (g + g / 10) % 10] AS d,
                -- One sign-up every 30 s over the past year or so, in order: distinct, realistic dates.
                now() - ($1::int - g) * interval '30 seconds' AS t) x`,
      [count, FIRST, common, SYLLABLES, DOMAINS],
    );
    // Index builds: memory and parallel workers as a DBA would give them for a one-off load.
    await client.query(`SET maintenance_work_mem = '1GB'`);
    await client.query(`SET max_parallel_maintenance_workers = 2`);
    for (const { indexdef } of indexes) await client.query(indexdef);
    await client.query('VACUUM ANALYZE users');
  } finally {
    client.release();
  }
  return (Date.now() - started) / 1000;
}
