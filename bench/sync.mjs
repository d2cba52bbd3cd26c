// Bulk sync: POST /api/users with arrays of 10,000 users (insert, update, unchanged), against COPY of the
// same rows straight into a fresh table through the same driver: the fastest way rows get into PostgreSQL.
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { BENCH_TOKEN, startLatchkey, timeEach } from './lib.mjs';

const BATCH = 10_000;
const ROUNDS = Number(process.env.BENCH_SYNC_ROUNDS ?? 5);

export async function syncScenario(pgServer) {
  const url = await pgServer.createDatabase('bench_sync');
  const server = await startLatchkey(url);
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const batch = (round, suffix = '') =>
      Array.from({ length: BATCH }, (_, i) => ({
        email: `sync${round}.${i}@example.com`,
        first_name: `First${i}${suffix}`,
        last_name: `Last${i}`,
      }));
    const post = async (users, expect) => {
      const res = await fetch(`${server.baseUrl}/api/users`, {
        method: 'POST',
        headers: { authorization: `Token ${BENCH_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(users),
      });
      const body = await res.json();
      if (res.status !== 200 || body[expect] !== BATCH)
        throw new Error(`sync → ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
    };
    const insert = await timeEach(ROUNDS, (r) => post(batch(r), 'created'));
    const update = await timeEach(ROUNDS, (r) => post(batch(r, 'x'), 'updated'));
    const unchanged = await timeEach(ROUNDS, (r) => post(batch(r, 'x'), 'unchanged'));
    const copy = await timeEach(ROUNDS, async (r) => {
      await db.query(`CREATE TABLE copy_${r} (email text, username text, first_name text, last_name text)`);
      const rows = batch(r).map((u) => `${u.email}\t${u.email}\t${u.first_name}\t${u.last_name}\n`);
      await pipeline(Readable.from(rows), db.query(copyStreams.from(`COPY copy_${r} FROM STDIN`)));
    });
    const rate = (ms) => `${Math.round((BATCH / ms) * 1000).toLocaleString('en')} users/s`;
    const row = (label, t) => ({
      path: `bulk sync ${BATCH.toLocaleString('en')} users, ${label}`,
      baseline: 'COPY of the same rows into a fresh table',
      value: `${t.p50.toFixed(0)} ms per call (${rate(t.p50)})`,
      baselineValue: `${copy.p50.toFixed(0)} ms (${rate(copy.p50)})`,
      ratio: (copy.p50 / t.p50).toFixed(2),
      notes: `p50 of ${ROUNDS} calls over HTTP, validation included`,
    });
    return [row('insert', insert), row('update', update), row('unchanged', unchanged)];
  } finally {
    await db.end();
    await server.stop();
  }
}
