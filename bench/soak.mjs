// Soak (only on request: `npm run bench soak`): a steady mix of logins, protected GETs and small syncs on
// one instance for BENCH_SOAK_SECONDS (180 by default), sampling the Latchkey process's RSS every 5 s.
// After a warm-up (a minute, or a third of a shorter run: JIT, pools and caches filling up) the RSS
// should stay flat; a leak shows as a steady slope. Samples go to bench/results-soak.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'prettier';
import {
  accessToken,
  BENCH_TOKEN,
  createLoginUsers,
  machineLine,
  requestJson,
  ROOT,
  sleep,
  startLatchkey,
} from './lib.mjs';
import { LOGIN_USERS, loginLoad, PASSWORD } from './login.mjs';
import { protectedLoad } from './protected.mjs';
import { rssMb } from './processes.mjs';
import { renderTable, row } from './table.mjs';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 180);
const SAMPLE_EVERY = 5;
const WARM_UP = Math.min(60, Math.floor(SECONDS / 3));
const FLAT_MB_PER_MIN = 1;
// The mix: enough to keep the process busy in every part, not to saturate it (that is the other rows).
const GET_RATE = 300;
const LOGIN_RATE = 10;
const SYNC_EVERY_MS = 1000;
const SYNC_SIZE = 100;

export async function soakScenario({ pg }) {
  const url = await pg.createDatabase('bench_soak');
  // One access token serves every GET of the run: it must outlive it.
  const server = await startLatchkey(url, { JWT_ACCESS_TTL: String(Math.max(900, SECONDS + 300)) });
  try {
    const emails = await createLoginUsers(server.baseUrl, LOGIN_USERS, PASSWORD);
    const token = await accessToken(server.baseUrl, emails[0], PASSWORD);
    const deadline = Date.now() + SECONDS * 1000;
    const samples = [];
    const started = Date.now();
    const sampler = (async () => {
      while (Date.now() < deadline) {
        samples.push({ t: (Date.now() - started) / 1000, rss: rssMb(server.pid) });
        await sleep(SAMPLE_EVERY * 1000);
      }
    })();
    const [gets, logins, syncs] = await Promise.all([
      protectedLoad(server.baseUrl, token, { connections: 2, overallRate: GET_RATE, seconds: SECONDS }),
      loginLoad(server.baseUrl, emails, { connections: 2, overallRate: LOGIN_RATE, seconds: SECONDS }),
      smallSyncs(server.baseUrl, deadline),
    ]);
    await sampler;
    samples.push({ t: (Date.now() - started) / 1000, rss: rssMb(server.pid) });

    const after = samples.filter((s) => s.t >= WARM_UP);
    const slope = slopePerMinute(after);
    // RSS climbs between major GCs and drops at each (a sawtooth), which a straight line fits poorly; a
    // leak also shows as floors that rise: the lowest RSS of the second half against the first's.
    const half = Math.floor(after.length / 2);
    const floor = (part) => Math.min(...part.map((s) => s.rss));
    const floorRise = floor(after.slice(half)) - floor(after.slice(0, half));
    const rss = samples.map((s) => s.rss);
    const result = row({
      path: `soak ${SECONDS} s: logins + protected GETs + small syncs, one instance`,
      value: `RSS first ${rss[0].toFixed(0)} MB, last ${rss.at(-1).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB`,
      baseline: `RSS slope after ${WARM_UP} s of warm-up`,
      baselineValue: `${slope.toFixed(2)} MB/min`,
      target: { op: '<', value: FLAT_MB_PER_MIN, unit: ' MB/min', label: 'slope', actual: slope },
      notes:
        `${Math.round(gets.rps)} GETs/s, ${logins.rps.toFixed(1)} logins/s, ${syncs} syncs of ${SYNC_SIZE} users; ` +
        `lowest RSS of the second half after warm-up ${floorRise >= 0 ? '+' : ''}${floorRise.toFixed(1)} MB ` +
        'against the first half (a leak raises it); ' +
        `VmRSS every ${SAMPLE_EVERY} s (heap not sampled: no debug hook in the server); samples in bench/results-soak.md`,
    });
    // Formatted as `prettier --check` wants it: unlike results.md, this file is not in .prettierignore.
    const markdown = await format(
      [
        '# Soak results',
        '',
        `${machineLine()}.`,
        '',
        renderTable([result]),
        '',
        '| t (s) | RSS (MB) |',
        '| --- | --- |',
        ...samples.map((s) => `| ${s.t.toFixed(0)} | ${s.rss.toFixed(1)} |`),
        '',
      ].join('\n'),
      { parser: 'markdown' },
    );
    writeFileSync(join(ROOT, 'bench', 'results-soak.md'), markdown);
    return [result];
  } finally {
    await server.stop();
  }
}

/** A sync of SYNC_SIZE users every SYNC_EVERY_MS until `deadline`: the same people, renamed each time. */
async function smallSyncs(baseUrl, deadline) {
  let count = 0;
  while (Date.now() < deadline) {
    const next = Date.now() + SYNC_EVERY_MS;
    await requestJson(`${baseUrl}/api/users`, {
      method: 'POST',
      headers: { authorization: `Token ${BENCH_TOKEN}` },
      body: Array.from({ length: SYNC_SIZE }, (_, i) => ({
        email: `soak${(count * SYNC_SIZE + i) % 5000}@corp.example`,
        first_name: `Soak${count}`,
      })),
    });
    count++;
    await sleep(Math.max(0, next - Date.now()));
  }
  return count;
}

/** Least-squares slope of RSS over time, in MB per minute. */
function slopePerMinute(samples) {
  const n = samples.length;
  if (n < 2) return NaN;
  const mt = samples.reduce((a, s) => a + s.t, 0) / n;
  const mr = samples.reduce((a, s) => a + s.rss, 0) / n;
  const num = samples.reduce((a, s) => a + (s.t - mt) * (s.rss - mr), 0);
  const den = samples.reduce((a, s) => a + (s.t - mt) ** 2, 0);
  return (num / den) * 60;
}
