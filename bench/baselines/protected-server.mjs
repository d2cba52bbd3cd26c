// A bare node:http server answering GET /protected like Latchkey does, for side-by-side comparison.
// Modes: `none` skips verification (the physical limit of node:http on this machine); `fast-jwt` verifies
// with fast-jwt and its verified-token cache keyed on the token (as Latchkey configures it);
// `fast-jwt-nocache` verifies every request's signature; `jsonwebtoken` verifies with jsonwebtoken and a
// KeyObject (what passport-jwt does). The same algorithm, key and issuer check as Latchkey.
// Usage: node protected-server.mjs <mode> <port> <HS256|ES256> <issuer>; the key (HS secret or the
// public key PEM) comes in BENCH_VERIFY_KEY, because a PEM is awkward on a command line.
import { createVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { createPublicKey, createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';

const [mode, port, algorithm, issuer] = process.argv.slice(2);
const material = process.env.BENCH_VERIFY_KEY ?? '';
const key = algorithm === 'HS256' ? Buffer.from(material, 'utf8') : material;
const keyObject = algorithm === 'HS256' ? createSecretKey(key) : createPublicKey(material);
const fastVerifier = (cached) =>
  createVerifier({
    key,
    algorithms: [algorithm],
    allowedIss: issuer,
    ...(cached ? { cache: 10_000, cacheKeyBuilder: (token) => token } : { cache: false }),
  });
const verifiers = {
  none: () => (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()),
  'fast-jwt': () => fastVerifier(true),
  'fast-jwt-nocache': () => fastVerifier(false),
  jsonwebtoken: () => (token) => jsonwebtoken.verify(token, keyObject, { algorithms: [algorithm], issuer }),
};
if (!verifiers[mode]) throw new Error(`unknown mode ${mode}`);
const verify = verifiers[mode]();

createServer((req, res) => {
  try {
    const claims = verify((req.headers.authorization ?? '').slice(7));
    const body = JSON.stringify({ id: claims.sub, username: claims.username, email: claims.email });
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  } catch {
    res.writeHead(401).end();
  }
}).listen(Number(port), '127.0.0.1', () => process.send?.('ready'));
