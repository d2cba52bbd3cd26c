// GET /protected with an HS256 Bearer token: Latchkey against bare node:http servers in the same run —
// one that does no verification at all (the target ratio is measured against it), and, as notes, ones
// verifying the same token with fast-jwt (the verifier Latchkey uses) and with jsonwebtoken (the library
// under passport-jwt) given a KeyObject.
import { accessToken, alternate, forkHelper, freePort, higherRps, load, startLatchkey } from './lib.mjs';
import { rate, ratio, row } from './table.mjs';

// Enough connections to keep both cores busy; more only queue in the kernel.
export const CONNECTIONS = 20;
const SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
const ADMIN = { email: 'bench@example.com', password: 'bench-password' };

export async function protectedScenario({ pg }) {
  const url = await pg.createDatabase('bench_protected');
  const server = await startLatchkey(url, {
    JWT_SECRET: SECRET,
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  });
  try {
    const token = await accessToken(server.baseUrl, ADMIN.email, ADMIN.password);
    const get = (baseUrl) => protectedLoad(baseUrl, token);
    // The target row alternates Latchkey and the bare server twice; the reference rows run once each.
    const { a: latchkey, b: bare } = await alternate(
      2,
      () => get(server.baseUrl),
      () => withBare('none', 'HS256', SECRET, server.issuer, get),
      higherRps,
    );
    // The refused path, alternated with the accepted one: a token whose signature is wrong must cost no more
    // than a valid one (each is verified once, then answered from its own cache).
    const forged = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    const { a: refused, b: accepted } = await alternate(
      2,
      () => protectedLoad(server.baseUrl, forged, { expect: [401], label: 'GET /protected (401)' }),
      () => get(server.baseUrl),
      higherRps,
    );
    const fast = await withBare('fast-jwt', 'HS256', SECRET, server.issuer, get);
    const jwt = await withBare('jsonwebtoken', 'HS256', SECRET, server.issuer, get);
    const path = 'GET /protected, HS256 Bearer';
    const ratioOf = (b) => latchkey.rps / b.rps;
    return [
      row({
        path,
        value: rate(latchkey),
        baseline: 'bare node:http, same JSON, no verification',
        baselineValue: rate(bare),
        ratio: ratio(ratioOf(bare)),
        target: { op: '≥', value: 0.55, actual: ratioOf(bare) },
        notes: `${CONNECTIONS} connections; better of 2 alternated runs (A, B, A, B) of each side`,
      }),
      row({
        path: 'GET /protected, HS256 Bearer with a wrong signature (401)',
        value: rate(refused),
        baseline: 'the same route with a valid token (200), alternated',
        baselineValue: rate(accepted),
        ratio: ratio(refused.rps / accepted.rps),
        target: { op: '≥', value: 1, actual: refused.rps / accepted.rps },
        notes: `${CONNECTIONS} connections; better of 2 alternated runs of each; refusals and successes have caches of their own`,
      }),
      row({
        path,
        value: rate(latchkey),
        baseline: 'bare node:http verifying with fast-jwt (cached)',
        baselineValue: rate(fast),
        ratio: ratio(ratioOf(fast)),
        notes: 'reference: the verifier Latchkey uses, with its verified-token cache',
      }),
      row({
        path,
        value: rate(latchkey),
        baseline: 'bare node:http verifying with jsonwebtoken + KeyObject',
        baselineValue: rate(jwt),
        ratio: ratio(ratioOf(jwt)),
        notes: 'reference: what passport-jwt would use',
      }),
    ];
  } finally {
    await server.stop();
  }
}

export function protectedLoad(baseUrl, token, options = {}) {
  return load({
    url: `${baseUrl}/protected`,
    headers: { authorization: `Bearer ${token}` },
    connections: CONNECTIONS,
    label: `GET ${baseUrl}/protected`,
    ...options,
  });
}

/** Runs `fn(baseUrl, pid)` against a bare server (bench/baselines/protected-server.mjs), stopped afterwards. */
export async function withBare(mode, algorithm, key, issuer, fn) {
  const port = await freePort();
  const bare = await forkHelper('baselines/protected-server.mjs', [mode, String(port), algorithm, issuer], {
    name: `bare server (${mode})`,
    env: { BENCH_VERIFY_KEY: key },
  });
  try {
    return await fn(`http://127.0.0.1:${port}`, bare.pid);
  } finally {
    await bare.stop();
  }
}
