// Cold start and idle memory, as an operator meets them: the built server (`node dist/src/main.js`) with
// the embedded PostgreSQL, timed from spawn until GET /health answers 200 — first on a fresh DATA_DIR
// (initdb, migrations, generated dev secrets), then again on the same DATA_DIR (warm) — and its RSS after
// 5 s idle. `npm start` (which also runs the build) is timed once, as a note.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, LATCHKEY_NODE_FLAGS, ROOT, sleep, waitForHealth, withTempDir } from './lib.mjs';
import { withBare } from './protected.mjs';
import {
  childPids,
  postmasterPid,
  rssMb,
  spawnTracked,
  stopChild,
  stopPid,
  track,
  treePssMb,
} from './processes.mjs';
import { ratio, row } from './table.mjs';

const IDLE_SECONDS = 5;

export async function startupScenario({ pgStartSeconds }) {
  return withTempDir('latchkey-bench-startup-', async (dataDir) => {
    const fresh = await timedStart(dataDir, 'fresh');
    // A bare node:http process idles beside the warm start: what Node itself costs in memory.
    const [warm, bareRss] = await Promise.all([
      timedStart(dataDir, 'warm'),
      withBare('none', 'HS256', 'x'.repeat(32), 'bench', async (_url, pid) => {
        await sleep(IDLE_SECONDS * 1000);
        return rssMb(pid);
      }),
    ]);
    const npmStart = await timedNpmStart(dataDir);
    const seconds = (s) => `${s.toFixed(2)} s`;
    const mb = (m) => `${m.toFixed(0)} MB`;
    return [
      row({
        path: 'start-up to healthy, fresh DATA_DIR (initdb + migrations)',
        value: seconds(fresh.seconds),
        baseline: "the bench's own embedded PostgreSQL: initdb + start alone",
        baselineValue: seconds(pgStartSeconds),
        ratio: `${ratio(fresh.seconds / pgStartSeconds)}×`,
        target: { op: '<', value: 5, unit: ' s', actual: fresh.seconds },
        notes: `node dist/src/main.js, spawn → GET /health 200; idle RSS after this start ${mb(fresh.rss)}`,
      }),
      row({
        path: 'start-up to healthy, same DATA_DIR again (warm)',
        value: seconds(warm.seconds),
        target: { op: '<', value: 5, unit: ' s', actual: warm.seconds },
        notes:
          npmStart.ok === false
            ? `npm start (build included) failed: ${npmStart.error}`
            : `npm start (its build step included: it rebuilds only if sources changed) on the same DATA_DIR: ${seconds(npmStart.seconds)} to healthy`,
      }),
      row({
        path: `idle RSS of the Latchkey process (${IDLE_SECONDS} s after the warm start)`,
        value: mb(warm.rss),
        baseline: 'bare node:http server, idle',
        baselineValue: mb(bareRss),
        ratio: `${ratio(warm.rss / bareRss)}×`,
        target: { op: '<', value: 150, unit: ' MB', actual: warm.rss },
        notes:
          `VmRSS from /proc; the embedded PostgreSQL (postmaster + its processes) adds ${mb(warm.pgPss)} ` +
          'PSS (shared pages counted once), not included',
      }),
    ];
  });
}

/** Spawns the server on `dataDir`, times it to healthy, waits idle, reads memory, stops it. */
async function timedStart(dataDir, label) {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const child = spawnTracked(
    process.execPath,
    [...LATCHKEY_NODE_FLAGS, join(ROOT, 'dist/src/main.js')],
    {
      cwd: ROOT,
      // Development mode with the embedded database: what `npm start` does on a laptop.
      env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
    `Latchkey (${label} start)`,
  );
  const pgDir = join(dataDir, 'pg');
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, child, 60_000, 20);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await sleep(IDLE_SECONDS * 1000);
    return { seconds, rss: rssMb(child.pid), pgPss: treePssMb(postmasterPid(pgDir)) };
  } finally {
    const postmaster = postmasterPid(pgDir);
    track(postmaster, `embedded PostgreSQL (${label} start)`, 'SIGINT');
    // SIGTERM lets Latchkey stop its PostgreSQL itself; if it did not, that PID is stopped too.
    await stopChild(child);
    if (postmaster) await stopPid(postmaster);
  }
}

/** `npm start` once (build + start), timed to healthy; stopped through the server's own PID. */
async function timedNpmStart(dataDir) {
  const port = await freePort();
  const started = process.hrtime.bigint();
  const npm = spawnTracked(
    'npm',
    ['start', '--silent'],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
    'npm start',
  );
  try {
    await waitForHealth(`http://127.0.0.1:${port}`, npm, 120_000, 20);
    return { seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  } catch (error) {
    return { ok: false, error: error.message };
  } finally {
    const tree = descendants(npm.pid);
    // The node process itself, not the `sh -c` whose command line names it too: SIGTERM lets it stop
    // its PostgreSQL; then npm, and whatever of the tree would still be there.
    const server = tree.find(
      (pid) => processName(pid) === 'node' && commandLine(pid).includes('dist/src/main.js'),
    );
    const postmaster = postmasterPid(join(dataDir, 'pg'));
    track(postmaster, 'embedded PostgreSQL (npm start)', 'SIGINT');
    if (server) await stopPid(server);
    await stopChild(npm);
    for (const pid of [...tree, postmaster].filter(Boolean)) await stopPid(pid);
  }
}

function descendants(pid) {
  return childPids(pid).flatMap((child) => [child, ...descendants(child)]);
}

function processName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}
