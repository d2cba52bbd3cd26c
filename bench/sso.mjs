// SSO auto-login: GET /?token=<partner JWT> (HS256, one-time jti), half first landings that create the
// user and half returning users, against the one statement such a landing cannot do without — an
// INSERT … ON CONFLICT (email) DO UPDATE … RETURNING id upsert — looped through `pg` with the same
// concurrency on a table of the same shape, same database, same mix of new and returning emails.
import { createHmac, randomUUID } from 'node:crypto';
import pg from 'pg';
import { alternate, higherRps, load, percentiles, startLatchkey } from './lib.mjs';
import { withCpu } from './processes.mjs';
import { int, rate, ratio, row } from './table.mjs';

const SECRET = 'bench-partner-secret-0123456789abcdef';
// Latchkey's pool has 10 connections: the same number of requests in flight, and of baseline loops.
const CONNECTIONS = 10;
const LOGINS = Number(process.env.BENCH_SSO_LOGINS ?? 4000);
const RETURNING = LOGINS; // enough returning users that no round repeats one
const ROUNDS = 2;
const WARM_UP = 1000;

export async function ssoScenario({ pg: pgServer }) {
  const url = await pgServer.createDatabase('bench_sso');
  const server = await startLatchkey(url, {
    JWT_SSO_SECRET: SECRET,
    JWT_SSO_AUTO_CREATE_USERS: 'true',
  });
  const pool = new pg.Pool({ connectionString: url, max: CONNECTIONS });
  try {
    // The baseline's table: users' columns, defaults, generated search_text, indexes and constraints.
    await pool.query('CREATE TABLE sso_baseline (LIKE users INCLUDING ALL)');
    for (const table of ['users', 'sso_baseline']) {
      await pool.query(
        `INSERT INTO ${table} (email, username, first_name, last_name, source)
         SELECT e, e, 'Back', 'Again' || g, 'sso' FROM generate_series(0, $1::int - 1) g,
                LATERAL (SELECT 'returning' || g || '@partner.example' AS e) x`,
        [RETURNING],
      );
    }
    await pool.query('VACUUM ANALYZE users, sso_baseline');
    // Each round has its own new users and its own slice of returning ones, alternating one by one.
    const identities = (round) =>
      Array.from({ length: LOGINS }, (_, i) => {
        const n = Math.floor(i / 2) + (round * LOGINS) / 2;
        return i % 2 === 0
          ? { email: `new${n}@partner.example`, first_name: 'New', last_name: `Comer${n}` }
          : {
              email: `returning${n % RETURNING}@partner.example`,
              first_name: 'Back',
              last_name: `Again${n % RETURNING}`,
            };
      });
    // Steady state, not the first seconds of a fresh process: its code is compiled while these land.
    await landings(
      server.baseUrl,
      Array.from({ length: WARM_UP }, (_, i) => ({ email: `warm${i}@partner.example` })),
    );
    const pids = { latchkey: [server.pid], pg: pgServer.pid };
    const { a: latchkey, b: upsert } = await alternate(
      ROUNDS,
      (round) => withCpu(pids, () => landings(server.baseUrl, identities(round))),
      (round) => withCpu({ pg: pgServer.pid }, () => upserts(pool, identities(round))),
      higherRps,
    );
    // A reference only: Latchkey sends its landing as a named (prepared) statement, the baseline unnamed.
    const prepared = await withCpu({ pg: pgServer.pid }, () =>
      upserts(pool, identities(ROUNDS), { prepared: true }),
    );
    const created = await pool.query(`SELECT count(*)::int AS n FROM users WHERE email LIKE 'new%'`);
    if (created.rows[0].n !== (ROUNDS * LOGINS) / 2) {
      throw new Error(`SSO created ${created.rows[0].n} users, expected ${(ROUNDS * LOGINS) / 2}`);
    }
    const r = latchkey.rps / upsert.rps;
    return [
      row({
        path: 'SSO landing GET /?token=… (half new, half returning users)',
        value: rate(latchkey, 'logins/s'),
        baseline: `raw upsert INSERT … ON CONFLICT (email) DO UPDATE … RETURNING id via pg, ${CONNECTIONS} loops on ${CONNECTIONS} connections`,
        baselineValue: rate(upsert, 'upserts/s'),
        ratio: ratio(r),
        target: { op: '≥', value: 0.8, actual: r },
        notes:
          `${int(LOGINS)} one-time tokens per run on ${CONNECTIONS} connections (after ${int(WARM_UP)} ` +
          'unmeasured ones), all answered 302; ' +
          'a landing also verifies the JWT, spends its jti (sso_replay row) and starts a session ' +
          '(a sessions row and its refresh-token row); landings that arrive together share one transaction; ' +
          'better of 2 alternated runs of each side. CPU in cores (of 2) — ' +
          `Latchkey run: ${latchkey.cpu}; upsert run: ${upsert.cpu}`,
      }),
      row({
        path: 'SSO landing GET /?token=… (half new, half returning users)',
        value: rate(latchkey, 'logins/s'),
        baseline: 'the same upsert loop, as a prepared (named) statement, one run',
        baselineValue: rate(prepared, 'upserts/s'),
        ratio: ratio(latchkey.rps / prepared.rps),
        notes:
          'reference: Latchkey prepares its landing statements on each connection; ' +
          `the baseline above sends its upsert unnamed, as pg does by default. CPU: ${prepared.cpu}`,
      }),
    ];
  } finally {
    await pool.end();
    await server.stop();
  }
}

/** Pre-signed partner tokens, handed out one per request across all connections (each works once). */
function landings(baseUrl, identities) {
  const now = Math.floor(Date.now() / 1000);
  const tokens = identities.map((claims) =>
    signHs256({ ...claims, iat: now, exp: now + 600, jti: randomUUID() }),
  );
  let next = 0;
  return load({
    url: baseUrl,
    amount: tokens.length,
    connections: CONNECTIONS,
    requests: [
      { method: 'GET', setupRequest: (request) => ({ ...request, path: `/?token=${tokens[next++]}` }) },
    ],
    expect: [302],
    label: 'SSO landing',
  });
}

/** The same identities through the bare upsert: CONNECTIONS loops, each taking the next one. */
async function upserts(pool, identities, { prepared = false } = {}) {
  // Connect every client first: the handshakes are not part of either side's measurement.
  const clients = await Promise.all(Array.from({ length: CONNECTIONS }, () => pool.connect()));
  const latencies = [];
  let next = 0;
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      clients.map(async (client) => {
        while (next < identities.length) {
          const { email, first_name, last_name } = identities[next++];
          const t = process.hrtime.bigint();
          const { rows } = await client.query({
            name: prepared ? 'sso_baseline_upsert' : undefined,
            text: `INSERT INTO sso_baseline AS u (email, username, first_name, last_name, source, last_login_at)
             VALUES ($1, $1, $2, $3, 'sso', now())
             ON CONFLICT (email) DO UPDATE SET
               first_name = EXCLUDED.first_name, last_name = EXCLUDED.last_name, last_login_at = now()
             RETURNING id`,
            values: [email, first_name, last_name],
          });
          if (rows.length !== 1) throw new Error(`upsert of ${email} returned ${rows.length} rows`);
          latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
        }
      }),
    );
  } finally {
    for (const client of clients) client.release();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rps: latencies.length / seconds, ...percentiles(latencies) };
}

/** An HS256 JWT, as the partner's backend would sign it (README: "Integrate your app"). */
function signHs256(claims) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
