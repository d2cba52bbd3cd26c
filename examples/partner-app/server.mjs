// "Your application" in the SSO story. It has its own sign-in (one demo user), and sends its signed-in
// user to Latchkey with a short-lived HS256 JWT signed with the secret both sides share — by a redirect
// (GET /label) or inside an iframe (GET /api/latchkey-token). Latchkey verifies the token, finds or
// creates the user by email and starts its own session: the user never types a Latchkey password.
//
// Settings: PARTNER_PORT (4000), LATCHKEY_URL (http://localhost:3000), JWT_SSO_SECRET (required, the
// same value as Latchkey's). `npm run example` starts this next to Latchkey with matching settings.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { URLSearchParams } from 'node:url';
import Fastify from 'fastify';
import jwt from 'jsonwebtoken';
import { homePage, loginPage } from './pages.mjs';

const PORT = Number(process.env.PARTNER_PORT ?? 4000);
const LATCHKEY_URL = (process.env.LATCHKEY_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const SECRET = process.env.JWT_SSO_SECRET;
if (!SECRET) {
  console.error(
    'JWT_SSO_SECRET is not set: give the partner app the same secret Latchkey is configured with.',
  );
  process.exit(1);
}
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) {
  console.error(`PARTNER_PORT must be a port number (got ${JSON.stringify(process.env.PARTNER_PORT)}).`);
  process.exit(1);
}

// A real application has a user table; the demo has one user with a published password.
const DEMO_USER = { email: 'demo@partner.example', first_name: 'Demo', last_name: 'Partner' };
const DEMO_PASSWORD = 'demo';
// Ten minutes is plenty for a browser to follow a redirect, and keeps a leaked token short-lived.
const TOKEN_LIFETIME_S = 600;
const SESSION_COOKIE = 'partner_session';

// Session id → user. In memory, so a restart signs everyone out; a real app keeps sessions in its store.
const sessions = new Map();

/** Compares two strings in constant time: hashing first gives equal lengths, as timingSafeEqual needs. */
function sameSecret(given, expected) {
  const digest = (value) => createHash('sha256').update(String(value)).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/**
 * The SSO token: who the user is (email, names), when it was made (`iat`, added by the library), when it
 * stops working (`exp`), and a random `jti` so Latchkey accepts it only once. No roles or admin flags:
 * Latchkey ignores them anyway, privileges are granted on its side.
 */
function signSsoToken(user) {
  const claims = { email: user.email, first_name: user.first_name, last_name: user.last_name };
  return jwt.sign(claims, SECRET, { algorithm: 'HS256', expiresIn: TOKEN_LIFETIME_S, jwtid: randomUUID() });
}

// A tiny cookie reader instead of a plugin: one cookie, set by us, in a format we control.
function sessionId(request) {
  const match = (request.headers.cookie ?? '').match(new RegExp(`(?:^|;\\s*)${SESSION_COOKIE}=([^;]+)`));
  return match?.[1];
}

const sessionUser = (request) => sessions.get(sessionId(request)) ?? null;

// Local demo only. Latchkey's cookies, set inside the iframe, are kept only when the iframe is same-site
// as this page, and localhost and 127.0.0.1 are different sites: follow the name the browser used here.
const LOOPBACK = new Set(['localhost', '127.0.0.1']);
function latchkeyUrlFor(request, token) {
  const url = new URL(`${LATCHKEY_URL}/`);
  if (LOOPBACK.has(url.hostname) && LOOPBACK.has(request.hostname)) url.hostname = request.hostname;
  url.searchParams.set('token', token);
  return url.href;
}

const app = Fastify();

// HTML forms post application/x-www-form-urlencoded; URLSearchParams reads it without another dependency.
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string', bodyLimit: 4096 },
  (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body))),
);

const html = (reply, status, page) =>
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(page);

app.get('/', async (request, reply) => {
  const user = sessionUser(request);
  return user ? html(reply, 200, homePage(user)) : html(reply, 200, loginPage({ email: DEMO_USER.email }));
});

app.post('/login', async (request, reply) => {
  const { email = '', password = '' } = request.body ?? {};
  // Both checks always run (`&`, not `&&`), so the answer time does not tell which one failed.
  const ok =
    sameSecret(String(email).trim().toLowerCase(), DEMO_USER.email) &
    sameSecret(String(password), DEMO_PASSWORD);
  if (!ok) return html(reply, 401, loginPage({ email: String(email), error: 'Wrong email or password.' }));
  const id = randomBytes(32).toString('base64url');
  sessions.set(id, DEMO_USER);
  // HttpOnly: page scripts cannot read it. SameSite=Lax: other sites cannot post forms with it (no CSRF
  // on /logout), while links from elsewhere still arrive signed in. No Secure flag: the demo runs on http.
  reply.header('set-cookie', `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Lax`);
  return reply.redirect('/', 303);
});

app.post('/logout', async (request, reply) => {
  sessions.delete(sessionId(request));
  reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`);
  return reply.redirect('/', 303);
});

// The redirect variant: the browser lands on Latchkey, which swaps the token for its session cookies and
// redirects again to the same URL without the token. no-referrer and no-store keep the token out of the
// Referer header and of caches.
app.get('/label', async (request, reply) => {
  const user = sessionUser(request);
  if (!user) return reply.redirect('/', 302);
  reply.header('referrer-policy', 'no-referrer').header('cache-control', 'no-store');
  return reply.redirect(latchkeyUrlFor(request, signSsoToken(user)), 302);
});

// The iframe variant: the page's script asks for a fresh token and points the iframe at it.
// Same-origin only (no CORS headers), so another site's script cannot fetch a token for our user.
app.get('/api/latchkey-token', async (request, reply) => {
  const user = sessionUser(request);
  reply.header('cache-control', 'no-store');
  if (!user) return reply.code(401).send({ error: 'sign in first' });
  const token = signSsoToken(user);
  return { token, url: latchkeyUrlFor(request, token) };
});

// Users open http://localhost:PORT, tests http://127.0.0.1:PORT, and localhost may resolve to ::1 first.
// On Linux '::' is dual-stack and answers both families; without IPv6 fall back to every IPv4 address.
const hasIpv6 = Object.values(networkInterfaces())
  .flat()
  .some((address) => address?.family === 'IPv6');
try {
  await app.listen({ port: PORT, host: hasIpv6 ? '::' : '0.0.0.0' });
} catch (error) {
  console.error(`Partner app could not listen on port ${PORT}: ${error.message}`);
  process.exit(1);
}
console.log(`Partner app on http://localhost:${PORT} → Latchkey at ${LATCHKEY_URL}`);

// Close the listener on Ctrl-C / SIGTERM (npm run example forwards them) instead of dying mid-request.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
