// GET /protected with an ES256 Bearer token: Latchkey started with JWT_ALGORITHM=ES256 and a fresh P-256
// key, against bare node:http verifying the same token with fast-jwt, the fastest ES256 verifier we know
// in Node. Two baselines: verifying every request (no cache: the target), and with fast-jwt's verified-
// token cache (note). Latchkey's verifier caches verified tokens (src/auth/tokens/access-tokens.ts), so
// with one token repeated it does one ECDSA verification in all; the no-cache baseline does thousands.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { accessToken, alternate, higherRps, startLatchkey } from './lib.mjs';
import { CONNECTIONS, protectedLoad, withBare } from './protected.mjs';
import { rate, ratio, row } from './table.mjs';

const ADMIN = { email: 'bench@example.com', password: 'bench-password' };

export async function protectedEs256Scenario({ pg }) {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const url = await pg.createDatabase('bench_protected_es256');
  const server = await startLatchkey(url, {
    JWT_ALGORITHM: 'ES256',
    JWT_PRIVATE_KEY: privatePem,
    BOOTSTRAP_ADMIN_EMAIL: ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN.password,
  });
  try {
    const token = await accessToken(server.baseUrl, ADMIN.email, ADMIN.password);
    if (JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).alg !== 'ES256') {
      throw new Error('Latchkey did not issue an ES256 token');
    }
    const get = (baseUrl) => protectedLoad(baseUrl, token);
    const bare = (mode) => withBare(mode, 'ES256', publicPem, server.issuer, get);
    const { a: latchkey, b: uncached } = await alternate(
      2,
      () => get(server.baseUrl),
      () => bare('fast-jwt-nocache'),
      higherRps,
    );
    const cached = await bare('fast-jwt');
    const path = 'GET /protected, ES256 Bearer';
    const ratioOf = (b) => latchkey.rps / b.rps;
    return [
      row({
        path,
        value: rate(latchkey),
        baseline: 'bare node:http verifying ES256 with fast-jwt on every request (no cache)',
        baselineValue: rate(uncached),
        ratio: ratio(ratioOf(uncached)),
        target: { op: '≥', value: 0.9, actual: ratioOf(uncached) },
        notes:
          `${CONNECTIONS} connections, one token repeated; better of 2 alternated runs of each side. ` +
          "Latchkey's verifier caches verified tokens (until they expire), so it checks this token's " +
          'signature once while the baseline checks it on every request',
      }),
      row({
        path,
        value: rate(latchkey),
        baseline: 'bare node:http verifying ES256 with fast-jwt (verified-token cache)',
        baselineValue: rate(cached),
        ratio: ratio(ratioOf(cached)),
        notes: 'reference: like for like with Latchkey’s cached verifier',
      }),
    ];
  } finally {
    await server.stop();
  }
}
