// A relying party: an application that signs its users in through Latchkey with OpenID Connect, as a
// confidential client (authorization code + PKCE, client_secret_basic), written with openid-client. It
// keeps no passwords and no user table: who is signed in is what Latchkey's ID token says.
//
// Settings: APP_PORT (5000), APP_URL (http://localhost:APP_PORT; its /callback is the
// registered redirect URI), LATCHKEY_URL (http://localhost:3000, Latchkey's issuer), CLIENT_ID and
// CLIENT_SECRET (required: POST /api/clients answers them). `npm run example` registers this app
// and starts it next to Latchkey and the partner app with matching settings.
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { setInterval } from 'node:timers';
import Fastify from 'fastify';
import * as client from 'openid-client';
import { signedInPage, signedOutPage } from './pages.mjs';

const PORT = Number(process.env.APP_PORT ?? 5000);
const APP_URL = (process.env.APP_URL ?? `http://localhost:${PORT}`).replace(/\/+$/, '');
const LATCHKEY_URL = (process.env.LATCHKEY_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const CLIENT_ID = process.env.CLIENT_ID;
const CLIENT_SECRET = process.env.CLIENT_SECRET;
if (!CLIENT_ID || !CLIENT_SECRET) {
  console.error(
    'CLIENT_ID and CLIENT_SECRET are not set: register the app with POST /api/clients ' +
      `(redirect URI ${APP_URL}/callback) and give it what Latchkey answers.`,
  );
  process.exit(1);
}
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) {
  console.error(`APP_PORT must be a port number (got ${JSON.stringify(process.env.APP_PORT)}).`);
  process.exit(1);
}

const REDIRECT_URI = `${APP_URL}/callback`;
const SCOPE = 'openid email profile';
const FLOW_COOKIE = 'oidc_app_flow';
const SESSION_COOKIE = 'oidc_app_session';
// Long enough to sign in on Latchkey's page, short enough that an abandoned sign-in is soon forgotten.
const FLOW_LIFETIME_MS = 10 * 60_000;

// In memory, as in the partner app: a restart signs everyone out; a real app keeps these in its store.
const flows = new Map(); // flow id → { verifier, state, nonce, expires }
const sessions = new Map(); // session id → { claims }

// Discovery on first use, not at start-up, so the app can start before Latchkey answers. http is allowed
// only because the demo runs on http://localhost; against a real Latchkey the issuer is https.
let discovered;
function configuration() {
  discovered ??= client
    .discovery(
      new URL(LATCHKEY_URL),
      CLIENT_ID,
      undefined,
      client.ClientSecretBasic(CLIENT_SECRET),
      LATCHKEY_URL.startsWith('http://') ? { execute: [client.allowInsecureRequests] } : undefined,
    )
    .catch((error) => {
      discovered = undefined;
      throw error;
    });
  return discovered;
}

function cookie(request, name) {
  const match = (request.headers.cookie ?? '').match(new RegExp(`(?:^|;\\s*)${name}=([^;]+)`));
  return match?.[1];
}

// HttpOnly: page scripts cannot read them. SameSite=Lax: Latchkey's redirect back (a top-level GET) brings
// them, other sites' forms do not. No Secure flag: the demo runs on http.
const setCookie = (name, value, maxAgeSeconds) =>
  `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}`;

const app = Fastify();

// The sign-out form posts application/x-www-form-urlencoded, with nothing in it that the app reads.
app.addContentTypeParser(
  'application/x-www-form-urlencoded',
  { parseAs: 'string', bodyLimit: 1024 },
  (_request, _body, done) => done(null, {}),
);

const html = (reply, status, page) =>
  reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(page);

app.get('/', async (request, reply) => {
  const session = sessions.get(cookie(request, SESSION_COOKIE));
  return session
    ? html(reply, 200, signedInPage(session))
    : html(reply, 200, signedOutPage({ latchkeyUrl: LATCHKEY_URL }));
});

// The sign-in link: off to Latchkey's authorization endpoint, with PKCE, state and nonce kept here.
app.get('/login', async (request, reply) => {
  // The flow cookie must come back with the callback, which goes to APP_URL: start there.
  if (`${request.protocol}://${request.host}` !== APP_URL) return reply.redirect(`${APP_URL}/login`, 302);
  let config;
  try {
    config = await configuration();
  } catch (error) {
    const message = `Latchkey could not be reached at ${LATCHKEY_URL} (${error.message}); try again shortly.`;
    return html(reply, 502, signedOutPage({ latchkeyUrl: LATCHKEY_URL, error: message }));
  }
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const id = randomBytes(32).toString('base64url');
  flows.set(id, { verifier, state, nonce, expires: Date.now() + FLOW_LIFETIME_MS });
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  reply.header('set-cookie', setCookie(FLOW_COOKIE, id, FLOW_LIFETIME_MS / 1000));
  return reply.redirect(url.href, 302);
});

// Latchkey's answer: the code is exchanged (with the secret and the PKCE verifier) for tokens; openid-client
// checks state, iss, the ID token's signature against Latchkey's JWKS, its audience, expiry and nonce.
app.get('/callback', async (request, reply) => {
  const id = cookie(request, FLOW_COOKIE);
  const flow = flows.get(id);
  flows.delete(id);
  const failed = (reason) => {
    reply.header('set-cookie', setCookie(FLOW_COOKIE, '', 0));
    return html(reply, 400, signedOutPage({ latchkeyUrl: LATCHKEY_URL, error: `Sign-in failed: ${reason}` }));
  };
  if (!flow || flow.expires < Date.now())
    return failed('this sign-in expired or was started elsewhere; try again.');
  let tokens;
  try {
    tokens = await client.authorizationCodeGrant(await configuration(), new URL(request.url, APP_URL), {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
      expectedNonce: flow.nonce,
      idTokenExpected: true,
    });
  } catch (error) {
    // e.g. error=access_denied from Latchkey, or a check that did not pass
    return failed(
      error.error ? `${error.error} (${error.error_description ?? error.message})` : error.message,
    );
  }
  const sid = randomBytes(32).toString('base64url');
  sessions.set(sid, { claims: tokens.claims() });
  reply.header('set-cookie', [setCookie(FLOW_COOKIE, '', 0), setCookie(SESSION_COOKIE, sid, 8 * 3600)]);
  return reply.redirect('/', 303);
});

app.post('/logout', async (request, reply) => {
  sessions.delete(cookie(request, SESSION_COOKIE));
  reply.header('set-cookie', setCookie(SESSION_COOKIE, '', 0));
  return reply.redirect('/', 303);
});

// Forget abandoned sign-ins now and then.
setInterval(() => {
  const now = Date.now();
  for (const [id, flow] of flows) if (flow.expires < now) flows.delete(id);
}, 60_000).unref();

// As the partner app: '::' answers IPv4 and IPv6 on Linux (localhost may resolve to ::1 first).
const hasIpv6 = Object.values(networkInterfaces())
  .flat()
  .some((address) => address?.family === 'IPv6');
try {
  await app.listen({ port: PORT, host: hasIpv6 ? '::' : '0.0.0.0' });
} catch (error) {
  console.error(`OIDC app could not listen on port ${PORT}: ${error.message}`);
  process.exit(1);
}
console.log(`OIDC app on ${APP_URL} → Latchkey at ${LATCHKEY_URL} (client ${CLIENT_ID})`);

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
