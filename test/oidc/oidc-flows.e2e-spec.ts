import * as client from 'openid-client';
import { bearer, newPerson, PASSWORD, type Person } from '../support/actors.js';
import { BrowserJar } from '../support/browser-jar.js';
import {
  authorizationRequest,
  discover,
  RP_REDIRECT,
  signedInBrowser,
  signInThrough,
} from '../support/oidc.js';
import { startServer, type TestServer } from '../support/server.js';
import { cookieLogin, jwtPayload, ssoLanding } from '../support/session.js';

const REDIRECT = RP_REDIRECT;
const SSO_SECRET = 'partner-secret-for-the-oidc-suite-0123456789';

let t: TestServer;
let admin: Person;
let confidential: { client_id: string; client_secret: string };
let config: client.Configuration;

beforeAll(async () => {
  t = await startServer({ JWT_SSO_SECRET: SSO_SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' });
  admin = await newPerson(t, { admin: true });
  const created = await t.request('POST', '/api/clients', {
    headers: bearer(admin.accessToken),
    body: { name: 'Test app', type: 'confidential', redirect_uris: [REDIRECT], first_party: true },
  });
  expect(created.status).toBe(201);
  confidential = created.body;
  config = await discover(t, confidential.client_id, confidential.client_secret);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

function signIn(
  jar: BrowserJar,
  options: { scope?: string; prompt?: string; conf?: client.Configuration; verifier?: string } = {},
) {
  const parameters: Record<string, string> = {};
  if (options.scope) parameters.scope = options.scope;
  if (options.prompt) parameters.prompt = options.prompt;
  return signInThrough(jar, options.conf ?? config, parameters, options.verifier);
}

describe('discovery', () => {
  it('names JWT_ISSUER as issuer and lists every endpoint of contract §8', async () => {
    const res = await t.request('GET', '/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issuer: t.baseUrl,
      authorization_endpoint: `${t.baseUrl}/oidc/authorize`,
      token_endpoint: `${t.baseUrl}/oidc/token`,
      userinfo_endpoint: `${t.baseUrl}/oidc/userinfo`,
      revocation_endpoint: `${t.baseUrl}/oidc/revoke`,
      introspection_endpoint: `${t.baseUrl}/oidc/introspect`,
      end_session_endpoint: `${t.baseUrl}/oidc/logout`,
      jwks_uri: `${t.baseUrl}/.well-known/jwks.json`,
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      authorization_response_iss_parameter_supported: true,
    });
    expect(res.body.id_token_signing_alg_values_supported).toEqual(['RS256']);
  });

  it('publishes the ID-token key in the JWKS with its kid', async () => {
    const res = await t.request('GET', '/.well-known/jwks.json');
    expect(res.body.keys).toEqual([
      expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String) }),
    ]);
    expect(res.body.keys[0].d).toBeUndefined();
  });
});

describe('authorization code + PKCE, with a password session', () => {
  it('comes back signed in without a password, with a valid ID token, userinfo, refresh, introspection', async () => {
    const { jar, person } = await signedInBrowser(t);
    const { tokens, left } = await signIn(jar);
    expect(left.searchParams.get('iss')).toBe(t.baseUrl);
    const claims = tokens.claims()!;
    expect(claims).toMatchObject({
      iss: t.baseUrl,
      sub: person.id,
      aud: confidential.client_id,
      email: person.email,
      email_verified: false,
      preferred_username: person.email,
      amr: ['pwd'],
    });
    expect(typeof claims.auth_time).toBe('number');
    expect(typeof claims.sid).toBe('string');
    // at_hash is only required beside an access token from the authorization endpoint (OIDC Core
    // §3.3.2.11); oidc-provider leaves it out of the code flow's ID token.

    const info = await client.fetchUserInfo(config, tokens.access_token, person.id);
    expect(info).toMatchObject({ sub: person.id, email: person.email });

    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({
      active: true,
      sub: person.id,
    });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // The rotated token used again: refused, and its grant revoked, the successor with it.
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(client.refreshTokenGrant(config, refreshed.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('revocation (RFC 7009) ends an access token', async () => {
    const { jar } = await signedInBrowser(t);
    const { tokens } = await signIn(jar);
    await client.tokenRevocation(config, tokens.access_token);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false });
  });

  it('signing out of Latchkey ends the tokens given in that session', async () => {
    const person = await newPerson(t);
    const cookies = await cookieLogin(t, person.email, PASSWORD);
    const { tokens } = await signIn(new BrowserJar(t, { ...cookies }));
    const out = await t.request('POST', '/logout', {
      headers: {
        cookie: `refresh_token=${cookies.refresh_token}; csrf_token=${cookies.csrf_token}`,
        'x-csrf-token': cookies.csrf_token,
      },
    });
    expect(out.status).toBeLessThan(300);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const { rows } = await t.db.query(
      `SELECT count(*)::int AS n FROM oidc_payloads WHERE payload->>'accountId' = $1 AND model <> 'Session'`,
      [person.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('deactivating the user ends their tokens', async () => {
    const { jar, person } = await signedInBrowser(t);
    const { tokens } = await signIn(jar);
    const res = await t.request('PATCH', `/api/users/${person.id}`, {
      headers: bearer(admin.accessToken),
      body: { is_active: false },
    });
    expect(res.status).toBe(200);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false });
    await expect(client.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

describe('one session, whichever way it began', () => {
  it('a partner SSO landing is handed on to the application, with amr sso', async () => {
    const email = `sso-${Date.now()}@oidc.example`;
    const cookies = await ssoLanding(t, SSO_SECRET, { email });
    const { tokens } = await signIn(new BrowserJar(t, { ...cookies }));
    expect(tokens.claims()).toMatchObject({ email, amr: ['sso'] });
  });

  it('signed out: the browser goes to /login and, once signed in, comes back', async () => {
    const person = await newPerson(t);
    const jar = new BrowserJar(t);
    const { url } = await authorizationRequest(config, { scope: 'openid', prompt: '' });
    const { res, left } = await jar.follow(url.href);
    expect(left).toBeUndefined();
    const loginPage = res.status === 200 ? jar : undefined;
    expect(loginPage).toBeDefined();
    const hops = (await jar.follow(url.href)).hops;
    const interaction = hops.find((h) => h.startsWith('/interaction/'))!;
    expect(hops.at(-1)).toBe(`/login?next=${encodeURIComponent(interaction)}`);
    Object.assign(jar.cookies, await cookieLogin(t, person.email, PASSWORD));
    const back = await jar.follow(interaction);
    expect(back.left?.origin + back.left!.pathname).toBe(REDIRECT);
    expect(back.left!.searchParams.get('code')).toEqual(expect.any(String));
  });

  it('prompt=none while signed out answers login_required to the client, with state and iss', async () => {
    const { url } = await authorizationRequest(config, { scope: 'openid', state: 'xyz', prompt: 'none' });
    const { left } = await new BrowserJar(t).follow(url.href);
    expect(left?.searchParams.get('error')).toBe('login_required');
    expect(left?.searchParams.get('state')).toBe('xyz');
    expect(left?.searchParams.get('iss')).toBe(t.baseUrl);
  });
});

describe('bad input follows the specs', () => {
  it('an unregistered redirect_uri is an error page, never a redirect', async () => {
    const res = await t.request(
      'GET',
      `/oidc/authorize?client_id=${confidential.client_id}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(res.text).not.toContain('<script');
  });

  it('an unknown client is an error page, never a redirect', async () => {
    const res = await t.request(
      'GET',
      `/oidc/authorize?client_id=nope&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`,
    );
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  it('a wrong PKCE verifier is invalid_grant', async () => {
    const { jar } = await signedInBrowser(t);
    await expect(signIn(jar, { verifier: client.randomPKCECodeVerifier() })).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('a code used twice is refused, and the tokens of its first use are revoked', async () => {
    const { jar } = await signedInBrowser(t);
    const request = await authorizationRequest(config, { scope: 'openid', prompt: '' });
    const { left } = await jar.follow(request.url.href);
    const checks = {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    };
    const first = await client.authorizationCodeGrant(config, left!, checks);
    await expect(client.authorizationCodeGrant(config, left!, checks)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await client.tokenIntrospection(config, first.access_token)).toMatchObject({ active: false });
  });

  it('a wrong client secret is invalid_client (RFC 6749 §5.2)', async () => {
    const basic = `Basic ${Buffer.from(`${confidential.client_id}:not-the-secret`).toString('base64')}`;
    for (const inHeader of [true, false]) {
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
      if (inHeader) headers.authorization = basic;
      else {
        body.set('client_id', confidential.client_id);
        body.set('client_secret', 'not-the-secret');
      }
      const res = await t.request('POST', '/oidc/token', { raw: body.toString(), headers });
      expect({ status: res.status, error: res.body?.error }).toEqual({
        status: 401,
        error: 'invalid_client',
      });
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('a public client must use PKCE', async () => {
    const created = await t.request('POST', '/api/clients', {
      headers: bearer(admin.accessToken),
      body: { name: 'SPA', type: 'public', redirect_uris: [REDIRECT], first_party: true },
    });
    expect(created.status).toBe(201);
    expect(created.body.client_secret).toBeUndefined();
    const res = await t.request(
      'GET',
      `/oidc/authorize?client_id=${created.body.client_id}&response_type=code&scope=openid&state=q&redirect_uri=${encodeURIComponent(REDIRECT)}`,
    );
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.searchParams.get('error')).toBe('invalid_request');
    expect(location.searchParams.get('state')).toBe('q');
  });
});

describe('client credentials', () => {
  it('a confidential client gets a token for itself', async () => {
    const tokens = await client.clientCredentialsGrant(config);
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.refresh_token).toBeUndefined();
  });
});

describe('clients are stored hashed', () => {
  it('keeps only the SHA-256 of the secret', async () => {
    const { rows } = await t.db.query('SELECT secret_hash FROM oidc_clients WHERE client_id = $1', [
      confidential.client_id,
    ]);
    expect(rows[0].secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0].secret_hash).not.toContain(confidential.client_secret);
  });
});

describe('RP-initiated logout', () => {
  it('signing out of the provider ends the Latchkey session too, and goes back with the state', async () => {
    const back = 'http://localhost:8765/signed-out';
    const created = await t.request('POST', '/api/clients', {
      headers: bearer(admin.accessToken),
      body: {
        name: 'Logout app',
        type: 'confidential',
        redirect_uris: [REDIRECT],
        post_logout_redirect_uris: [back],
        first_party: true,
      },
    });
    const conf = await discover(t, created.body.client_id, created.body.client_secret);
    const { jar, person } = await signedInBrowser(t);
    const { tokens } = await signIn(jar, { conf });
    const logout = client.buildEndSessionUrl(conf, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: back,
      state: 'bye',
    });
    const page = await jar.get(logout.pathname + logout.search);
    expect(page.status).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
    expect(xsrf).toEqual(expect.any(String));
    const confirmed = await jar.send('POST', '/oidc/logout/confirm', {
      raw: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(confirmed.status).toBe(303);
    const to = new URL(confirmed.headers.get('location')!);
    expect(to.origin + to.pathname).toBe(back);
    expect(to.searchParams.get('state')).toBe('bye');
    // The browser's session ends; the person's other session (newPerson's own sign-in) does not.
    const browserSession = jwtPayload(jar.cookies.access_token).sid;
    const { rows } = await t.db.query(
      'SELECT id = $2 AS browser, revoked_at IS NOT NULL AS ended FROM sessions WHERE user_id = $1 ORDER BY 1',
      [person.id, browserSession],
    );
    expect(rows).toEqual([
      { browser: false, ended: false },
      { browser: true, ended: true },
    ]);
    expect(await client.tokenIntrospection(conf, tokens.access_token)).toMatchObject({ active: false });
    expect((await jar.get('/api/me')).status).toBe(401);
  });
});
