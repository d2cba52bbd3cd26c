// GET /protected with an HS256 Bearer token: Latchkey against bare node:http servers in the same run —
// one that does no verification at all (the target ratio is measured against it), and ones verifying
// the same token with fast-jwt and with jsonwebtoken (the library under passport-jwt) given a KeyObject.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { freePort, load, ROOT, startLatchkey } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 20;
const SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

export async function protectedScenario(pgServer) {
  const url = await pgServer.createDatabase('bench_protected');
  const server = await startLatchkey(url, {
    JWT_SECRET: SECRET,
    BOOTSTRAP_ADMIN_EMAIL: 'bench@example.com',
    BOOTSTRAP_ADMIN_PASSWORD: 'bench-password',
  });
  // The issuer Latchkey puts in its tokens: PUBLIC_URL's default.
  const issuer = `http://localhost:${new URL(server.baseUrl).port}`;
  try {
    const login = await fetch(`${server.baseUrl}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench@example.com', password: 'bench-password' }),
    });
    const { access_token: token } = await login.json();
    const headers = { authorization: `Bearer ${token}` };
    const results = {};
    for (const mode of ['none', 'fast-jwt', 'jsonwebtoken']) {
      const bare = await startBare(mode, issuer);
      try {
        results[mode] = await load({
          url: `${bare.url}/protected`,
          headers,
          connections: CONNECTIONS,
          seconds: SECONDS,
        });
      } finally {
        bare.stop();
      }
    }
    const latchkey = await load({
      url: `${server.baseUrl}/protected`,
      headers,
      connections: CONNECTIONS,
      seconds: SECONDS,
    });
    if (latchkey.failed > 0) throw new Error(`${latchkey.failed} failed requests against Latchkey`);
    const fmt = (r) => `${Math.round(r.rps).toLocaleString('en')} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`;
    const row = (baseline, key, note) => ({
      path: 'GET /protected, HS256 Bearer',
      value: fmt(latchkey),
      baseline,
      baselineValue: fmt(results[key]),
      ratio: (latchkey.rps / results[key].rps).toFixed(2),
      notes: note,
    });
    return [
      row('bare node:http, same JSON, no verification', 'none', 'target ≥ 0.55'),
      row('bare node:http verifying with fast-jwt (cached)', 'fast-jwt', 'the verifier Latchkey uses'),
      row(
        'bare node:http verifying with jsonwebtoken + KeyObject',
        'jsonwebtoken',
        'what passport-jwt would use',
      ),
    ];
  } finally {
    await server.stop();
  }
}

async function startBare(mode, issuer) {
  const port = await freePort();
  const child = fork(
    join(ROOT, 'bench/baselines/protected-server.mjs'),
    [mode, String(port), SECRET, issuer],
    {
      stdio: 'inherit',
    },
  );
  await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`bare server exited ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, stop: () => process.kill(child.pid, 'SIGTERM') };
}
