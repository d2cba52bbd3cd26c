// Shared pieces of `npm run bench`: a throw-away PostgreSQL, the built server as a child process,
// bounded load on 127.0.0.1, and a results table. Every process started here is stopped by PID.
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startThrowawayPostgres } from '../scripts/throwaway-postgres.mjs';

export { freePort };

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BENCH_TOKEN = 'lk_bench_write_token_0123456789abcdefghijklmnop';

export function startPostgres() {
  return startThrowawayPostgres({
    prefix: 'latchkey-bench-',
    postgresFlags: ['shared_buffers=512MB', 'max_connections=200'],
  });
}

export async function startLatchkey(databaseUrl, env = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-bench-data-'));
  const child = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
    cwd: ROOT,
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
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`latchkey exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error('latchkey did not start');
    await sleep(100);
  }
  return {
    baseUrl,
    pid: child.pid,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        process.kill(child.pid, 'SIGTERM');
      }),
  };
}

/** Bounded load: `seconds` of `connections` concurrent requests cycling through `requests`. */
export async function load({ url, requests, connections = 10, seconds = 10, headers = {} }) {
  const result = await autocannon({ url, connections, duration: seconds, headers, requests });
  const non2xx = result.non2xx + result.errors + result.timeouts;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    failed: non2xx,
  };
}

/** Sequential timings of `fn` (ms), for slower operations where a load generator is the wrong tool. */
export async function timeEach(times, fn) {
  const samples = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await fn(i);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { p50: at(0.5), p99: at(0.99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

export function sleep(ms) {
  return delay(ms);
}
