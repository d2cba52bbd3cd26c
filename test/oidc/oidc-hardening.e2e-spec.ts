import { generateKeyPairSync } from 'node:crypto';
import * as client from 'openid-client';
import { bearer, newPerson, PASSWORD, type Person } from '../support/actors.js';
import { type BrowserJar } from '../support/browser-jar.js';
import { expectError } from '../support/errors.js';
import {
  authorizationRequest,
  discover,
  registerClient,
  RP_REDIRECT,
  signedInBrowser,
  signInThrough,
} from '../support/oidc.js';
import { startServer, type TestServer } from '../support/server.js';
import { cookieLogin, jwtPayload } from '../support/session.js';

/** What the adversarial review of the provider found, each held by a test (SECURITY.md §5b). */
let t: TestServer;
let admin: Person;
let config: client.Configuration;
let app: { client_id: string; client_secret?: string };

beforeAll(async () => {
  t = await startServer();
  admin = await newPerson(t, { admin: true });
  app = await registerClient(t, admin, { post_logout_redirect_uris: ['http://localhost:8765/bye'] });
  config = await discover(t, app.client_id, app.client_secret);
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function sessionEnded(jar: BrowserJar): Promise<boolean> {
  const { rows } = await t.db.query('SELECT revoked_at IS NOT NULL AS ended FROM sessions WHERE id = $1', [
    jwtPayload(jar.cookies.access_token).sid,
  ]);
  return rows[0].ended;
}

function form(body: Record<string, string>, headers: Record<string, string> = {}) {
  return {
    raw: new URLSearchParams(body).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  };
}

describe('no sign-out by a GET from another site', () => {
  it('prompt=login sends the person to sign in again and ends nothing; afterwards the app gets a fresh auth_time', async () => {
    const { jar } = await signedInBrowser(t);
    const before = await signInThrough(jar, config, { scope: 'openid' });
    const started = Math.floor(Date.now() / 1000);
    const request = await authorizationRequest(config, { scope: 'openid', prompt: 'login' });
    const { res, hops } = await jar.follow(request.url.href);
    expect({ status: res.status, hops }).toEqual({ status: 200, hops: expect.any(Array) });
    expect(hops.at(-1)).toMatch(/^\/login\?next=%2Finteraction%2F[\w-]+&again=1$/);
    expect(res.text).toContain('Sign in again');
    expect(await sessionEnded(jar)).toBe(false);
    expect(await client.tokenIntrospection(config, before.tokens.access_token)).toMatchObject({
      active: true,
    });

    // The person signs in again (a new session replaces the cookies) and goes on; a second later at least,
    // as a person typing a password would (the request's time has whole seconds).
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const person = jwtPayload(jar.cookies.access_token);
    Object.assign(jar.cookies, await cookieLogin(t, person.email, PASSWORD));
    const interaction = hops.find((hop) => hop.startsWith('/interaction/'))!;
    const back = await jar.follow(interaction);
    expect({ hops: back.hops, status: back.res.status, left: back.left?.origin }).toEqual({
      hops: expect.any(Array),
      status: 303,
      left: 'http://localhost:8765',
    });
    const tokens = await client.authorizationCodeGrant(config, back.left!, {
      pkceCodeVerifier: request.verifier,
      expectedState: request.state,
      expectedNonce: request.nonce,
    });
    expect(tokens.claims()!.auth_time).toBeGreaterThanOrEqual(started);
  });

  it('max_age that a recent sign-in meets passes without a prompt', async () => {
    const { jar } = await signedInBrowser(t);
    await signInThrough(jar, config, { scope: 'openid', max_age: '3600' });
    // Again, silently: the sign-in is minutes old.
    const { tokens } = await signInThrough(jar, config, { scope: 'openid', max_age: '3600', prompt: 'none' });
    expect(tokens.claims()).toMatchObject({ auth_time: expect.any(Number) });
    expect(await sessionEnded(jar)).toBe(false);
  });

  it('a logout page opened with no provider session (it submits itself) ends no Latchkey session', async () => {
    const { jar } = await signedInBrowser(t);
    const page = await jar.get('/oidc/logout');
    expect(page.status).toBe(200);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page.text)?.[1];
    const submitted = await jar.send(
      'POST',
      '/oidc/logout/confirm',
      form({ xsrf: xsrf ?? '', logout: 'yes' }),
    );
    expect(submitted.status).toBe(303);
    expect(await sessionEnded(jar)).toBe(false);
    expect((await jar.get('/api/me')).status).toBe(200);
  });
});

describe('codes and refresh tokens are used once, even concurrently', () => {
  it.each([1, 2, 3, 4, 5])(
    'trial %i: of 6 concurrent exchanges of one code at most one gets tokens',
    async () => {
      const { jar } = await signedInBrowser(t);
      const request = await authorizationRequest(config, { scope: 'openid' });
      const { left } = await jar.follow(request.url.href);
      const code = left!.searchParams.get('code')!;
      const basic = `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`;
      const answers = await Promise.all(
        Array.from({ length: 6 }, () =>
          t.request(
            'POST',
            '/oidc/token',
            form(
              {
                grant_type: 'authorization_code',
                code,
                redirect_uri: RP_REDIRECT,
                code_verifier: request.verifier,
              },
              { authorization: basic },
            ),
          ),
        ),
      );
      const ok = answers.filter((res) => res.status === 200);
      expect(ok.length).toBeLessThanOrEqual(1);
      for (const res of answers.filter((r) => r.status !== 200)) expect(res.body.error).toBe('invalid_grant');
      // A second use was seen: whatever the first one got is revoked.
      for (const res of ok) {
        expect(await client.tokenIntrospection(config, res.body.access_token)).toMatchObject({
          active: false,
        });
      }
    },
  );

  it.each([1, 2, 3])('trial %i: of 6 concurrent refreshes of one token at most one succeeds', async () => {
    const { jar } = await signedInBrowser(t);
    const { tokens } = await signInThrough(jar, config);
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => client.refreshTokenGrant(config, tokens.refresh_token!)),
    );
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeLessThanOrEqual(1);
    for (const r of results)
      if (r.status === 'rejected') expect(r.reason).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('the provider names itself by its issuer', () => {
  it('whatever Host or X-Forwarded-Host a client sends; discovery is cacheable; PAR is not advertised', async () => {
    const res = await t.request('GET', '/.well-known/openid-configuration', {
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil2.example', 'x-forwarded-proto': 'https' },
    });
    expect(res.status).toBe(200);
    expect(res.body.token_endpoint).toBe(`${t.baseUrl}/oidc/token`);
    expect(res.text).not.toContain('evil');
    expect(res.body.pushed_authorization_request_endpoint).toBeUndefined();
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
  });

  it('a request URL over 4 KiB is refused (414) before anything is stored', async () => {
    const { rows: before } = await t.db.query('SELECT count(*)::int AS n FROM oidc_payloads');
    const res = await t.request(
      'GET',
      `/oidc/authorize?client_id=${app.client_id}&redirect_uri=${encodeURIComponent(RP_REDIRECT)}&response_type=code&scope=openid&state=${'s'.repeat(5000)}`,
    );
    expect(res.status).toBe(414);
    expect(res.body.error).toBe('invalid_request');
    const { rows: after } = await t.db.query('SELECT count(*)::int AS n FROM oidc_payloads');
    expect(after[0].n).toBe(before[0].n);
  });
});

describe('accounts and clients', () => {
  it('an id_token_hint for another account answers login_required instead of switching', async () => {
    const first = await signedInBrowser(t);
    const { tokens } = await signInThrough(first.jar, config, { scope: 'openid' });
    const other = await signedInBrowser(t);
    const request = await authorizationRequest(config, { scope: 'openid', id_token_hint: tokens.id_token! });
    const { left } = await other.jar.follow(request.url.href);
    expect(left?.searchParams.get('error')).toBe('login_required');
  });

  it('changing a client ends what it was granted', async () => {
    const own = await registerClient(t, admin);
    const conf = await discover(t, own.client_id, own.client_secret);
    const { jar } = await signedInBrowser(t);
    const { tokens } = await signInThrough(jar, conf);
    const patched = await t.request('PATCH', `/api/clients/${own.client_id}`, {
      headers: bearer(admin.accessToken),
      body: { scopes: ['openid'] },
    });
    expect(patched.status).toBe(200);
    await expect(client.refreshTokenGrant(conf, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(await client.tokenIntrospection(conf, tokens.access_token)).toMatchObject({ active: false });
  });

  it.each([
    'HTTPS://APP.EXAMPLE/cb',
    'https://app.example',
    ' https://app.example/cb',
    'https://app.example/c\nb',
    'https://app.example\\@evil.example/',
    'https://@evil.example/',
    'https:evil.example/cb',
    'https://*.example.com/cb',
    'https://exämple.com/cb',
  ])('a redirect URI not in canonical form (%j) is refused, nothing written', async (uri) => {
    const { rows: before } = await t.db.query('SELECT count(*)::int AS n FROM oidc_clients');
    const res = await t.request('POST', '/api/clients', {
      headers: bearer(admin.accessToken),
      body: { name: 'x', type: 'public', redirect_uris: [uri] },
    });
    expectError(res, 400, 'validation_failed');
    const { rows: after } = await t.db.query('SELECT count(*)::int AS n FROM oidc_clients');
    expect(after[0].n).toBe(before[0].n);
  });

  it.each([
    ['GET', undefined],
    ['PATCH', { name: 'renamed' }],
    ['DELETE', undefined],
  ])('%s /api/clients/:id of no client: 404 not_found, nothing written', async (method, body) => {
    const before = await t.db.query(
      `SELECT md5(string_agg(c::text, '|' ORDER BY client_id)) AS h FROM oidc_clients c`,
    );
    const res = await t.request(method, '/api/clients/no-such-client', {
      headers: bearer(admin.accessToken),
      body,
    });
    expectError(res, 404, 'not_found');
    const after = await t.db.query(
      `SELECT md5(string_agg(c::text, '|' ORDER BY client_id)) AS h FROM oidc_clients c`,
    );
    expect(after.rows).toEqual(before.rows);
  });

  it.each([
    [{ type: 'confidential', redirect_uris: [RP_REDIRECT] }, 'name'],
    [{ name: 'x', redirect_uris: [RP_REDIRECT] }, 'type'],
    [{ name: 'x', type: 'public', redirect_uris: [] }, 'redirect_uris'],
    [{ name: 'x', type: 'public', redirect_uris: [RP_REDIRECT], scopes: ['email'] }, 'scopes'],
    [{ name: 'x', type: 'public', redirect_uris: [RP_REDIRECT], is_admin: true }, 'is_admin'],
  ])('POST /api/clients %j: 400 naming %s, nothing written', async (body, field) => {
    const { rows: before } = await t.db.query('SELECT count(*)::int AS n FROM oidc_clients');
    const res = await t.request('POST', '/api/clients', { headers: bearer(admin.accessToken), body });
    const error = expectError(res, 400, 'validation_failed');
    expect(error.errors.map((e: { field: string }) => e.field)).toContain(field);
    const { rows: after } = await t.db.query('SELECT count(*)::int AS n FROM oidc_clients');
    expect(after[0].n).toBe(before[0].n);
  });

  it('revoking another client’s token answers like an unknown token: 200, and the token stays valid', async () => {
    const other = await registerClient(t, admin);
    const otherConf = await discover(t, other.client_id, other.client_secret);
    const { jar } = await signedInBrowser(t);
    const { tokens } = await signInThrough(jar, config, { scope: 'openid' });
    await client.tokenRevocation(otherConf, tokens.access_token);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true });
  });

  it('an ID token is no access token for Latchkey: 401 as a Bearer', async () => {
    const { jar } = await signedInBrowser(t);
    const { tokens } = await signInThrough(jar, config, { scope: 'openid' });
    const res = await t.request('GET', '/api/me', { headers: bearer(tokens.id_token!) });
    expectError(res, 401, 'invalid_token');
  });

  it('discovery offers nothing that would turn the stored secret hash into a key', async () => {
    const { body } = await t.request('GET', '/.well-known/openid-configuration');
    expect(body.token_endpoint_auth_methods_supported).toEqual(
      expect.not.arrayContaining(['client_secret_jwt', 'private_key_jwt']),
    );
    expect(JSON.stringify(body)).not.toMatch(/"HS(256|384|512)"|encryption_alg/);
  });
});

describe('an EC P-256 OIDC_PRIVATE_KEY', () => {
  let es: TestServer;
  beforeAll(async () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    es = await startServer({ OIDC_PRIVATE_KEY: pem });
  }, 60_000);
  afterAll(async () => {
    await es?.stop();
  });

  it('signs ID tokens with ES256, and clients are accepted', async () => {
    const esAdmin = await newPerson(es, { admin: true });
    const created = await registerClient(es, esAdmin);
    const conf = await discover(es, created.client_id, created.client_secret);
    const { jar } = await signedInBrowser(es);
    const { tokens } = await signInThrough(jar, conf, { scope: 'openid' });
    const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0], 'base64url').toString('utf8'));
    expect(header.alg).toBe('ES256');
  });
});
