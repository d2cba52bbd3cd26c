// A bare node:http server answering GET /protected like Latchkey does, for side-by-side comparison.
// Mode `none` skips verification (the physical limit); `fast-jwt` and `jsonwebtoken` verify the same
// HS256 token with the same key and claims checks. Usage: node protected-server.mjs <mode> <port> <secret> <issuer>
import { createVerifier } from 'fast-jwt';
import jsonwebtoken from 'jsonwebtoken';
import { createSecretKey } from 'node:crypto';
import { createServer } from 'node:http';

const [mode, port, secret, issuer] = process.argv.slice(2);
const key = Buffer.from(secret, 'utf8');
const keyObject = createSecretKey(key);
const fastVerify = createVerifier({
  key,
  algorithms: ['HS256'],
  allowedIss: issuer,
  cache: 10_000,
  cacheKeyBuilder: (token) => token,
});
const verifiers = {
  none: (token) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()),
  'fast-jwt': (token) => fastVerify(token),
  jsonwebtoken: (token) => jsonwebtoken.verify(token, keyObject, { algorithms: ['HS256'], issuer }),
};
const verify = verifiers[mode];
if (!verify) throw new Error(`unknown mode ${mode}`);

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
