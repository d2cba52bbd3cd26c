// Does a burst of logins hurt everyone else? The p99 of GET /protected at a modest, fixed rate on an idle
// server, against the same while a second load generator saturates POST /token. argon2id is the one
// CPU-heavy thing Latchkey does; it runs on niced worker threads so that request handling stays quick.
import { accessToken, createLoginUsers, SECONDS, sleep, startLatchkey } from './lib.mjs';
import { LOGIN_CONNECTIONS, LOGIN_USERS, loginLoad, PASSWORD } from './login.mjs';
import { protectedLoad } from './protected.mjs';
import { int, ms, row } from './table.mjs';

// A trickle, not a flood: latency is what this measures, so the protected GETs must not compete with
// each other; 2 connections at 200 req/s in all.
const RATE = 200;
const CONNECTIONS = 2;
const ROUNDS = 2;

export async function p99UnderLoginScenario({ pg }) {
  const url = await pg.createDatabase('bench_p99_login');
  const server = await startLatchkey(url);
  try {
    const emails = await createLoginUsers(server.baseUrl, LOGIN_USERS, PASSWORD);
    const token = await accessToken(server.baseUrl, emails[0], PASSWORD);
    const trickle = () =>
      protectedLoad(server.baseUrl, token, { connections: CONNECTIONS, overallRate: RATE });
    // Alone, then under logins, twice (A, B, A, B); the lower p99 of each side is kept.
    const alone = [];
    const loaded = [];
    for (let i = 0; i < ROUNDS; i++) {
      alone.push(await trickle());
      // The logins start first and outlast the trickle, so every GET measured meets a full login queue.
      const logins = loginLoad(server.baseUrl, emails, { seconds: SECONDS + 2 });
      logins.catch(() => {}); // awaited below; this only keeps a failure of the GETs from orphaning it
      await sleep(1000);
      const get = await trickle();
      loaded.push({ get, logins: await logins });
    }
    const best = (runs, p) => runs.reduce((a, b) => (p(b) < p(a) ? b : a));
    const quiet = best(alone, (r) => r.p99);
    const busy = best(loaded, (r) => r.get.p99);
    const r = busy.get.p99 / quiet.p99;
    return [
      row({
        path: 'GET /protected p99 while POST /token saturates',
        value: `p99 ${ms(busy.get.p99)} ms (p50 ${ms(busy.get.p50)} ms) with ${int(busy.logins.rps)} logins/s`,
        baseline: 'the same GETs on the idle server',
        baselineValue: `p99 ${ms(quiet.p99)} ms (p50 ${ms(quiet.p50)} ms)`,
        ratio: `${r.toFixed(1)}×`,
        target: { op: '≤', value: 3, unit: '×', actual: r },
        notes:
          `GETs at ${RATE} req/s on ${CONNECTIONS} connections; logins on ${LOGIN_CONNECTIONS} connections; ` +
          `lower p99 of ${ROUNDS} alternated runs of each side; ratio = p99 under load / p99 alone`,
      }),
    ];
  } finally {
    await server.stop();
  }
}
