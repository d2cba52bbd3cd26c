// "Your application" in the SSO story: it has its own (demo) sign-in, and sends its user to Latchkey
// with a short-lived HS256 JWT signed with the shared secret, either as a redirect or inside an iframe.
// No dependencies: node:crypto signs the token. Settings: PARTNER_PORT, LATCHKEY_URL, JWT_SSO_SECRET.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const PORT = Number(process.env.PARTNER_PORT ?? 4000);
const LATCHKEY_URL = (process.env.LATCHKEY_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const SECRET = process.env.JWT_SSO_SECRET;
if (!SECRET) throw new Error('Set JWT_SSO_SECRET to the secret Latchkey is configured with');

// The partner's signed-in user. A real application takes it from its own session.
const DEMO_USER = { email: 'demo@partner.example', first_name: 'Demo', last_name: 'Partner' };
const TOKEN_LIFETIME_S = 600;

function signSsoToken(user) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode({
    ...user,
    iat: now,
    exp: now + TOKEN_LIFETIME_S,
    jti: randomUUID(),
  })}`;
  return `${body}.${createHmac('sha256', SECRET).update(body).digest('base64url')}`;
}

const PAGE = `<!doctype html>
<html lang="en"><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Partner app</title>
<body style="font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem">
<h1>Partner app</h1>
<p>Signed in here as <strong>${DEMO_USER.email}</strong>.
<a href="/label">Open Latchkey in this window</a>, or use it embedded below.</p>
<iframe id="latchkey" title="Latchkey" style="width:100%;height:32rem;border:1px solid #ccc"></iframe>
<script type="module">
  const response = await fetch('/api/latchkey-token');
  const { url } = await response.json();
  document.getElementById('latchkey').src = url;
</script>
</body></html>`;

createServer((req, res) => {
  const path = new URL(req.url ?? '/', 'http://partner').pathname;
  if (req.method !== 'GET') return void res.writeHead(405).end();
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  } else if (path === '/label') {
    const url = `${LATCHKEY_URL}/?token=${signSsoToken(DEMO_USER)}`;
    res
      .writeHead(302, { location: url, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' })
      .end();
  } else if (path === '/api/latchkey-token') {
    const token = signSsoToken(DEMO_USER);
    const body = JSON.stringify({ token, url: `${LATCHKEY_URL}/?token=${token}` });
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body);
  } else {
    res.writeHead(404).end();
  }
}).listen(PORT, () => {
  process.stdout.write(`Partner app on http://localhost:${PORT} → Latchkey at ${LATCHKEY_URL}\n`);
});
