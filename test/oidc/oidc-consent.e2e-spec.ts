import * as client from 'openid-client';
import { bearer, newPerson, type Person } from '../support/actors.js';
import type { BrowserJar } from '../support/browser-jar.js';
import { authorizationRequest, signedInBrowser } from '../support/oidc.js';
import { expectError } from '../support/errors.js';
import { startServer, type TestServer } from '../support/server.js';

const REDIRECT = 'https://third-party.example/callback';
const NAME = 'Acme <script>alert(1)</script> Notes';

let t: TestServer;
let admin: Person;
let app: { client_id: string; client_secret: string };
let config: client.Configuration;

beforeAll(async () => {
  t = await startServer();
  admin = await newPerson(t, { admin: true });
  const created = await t.request('POST', '/api/clients', {
    headers: bearer(admin.accessToken),
    body: { name: NAME, type: 'confidential', redirect_uris: [REDIRECT] },
  });
  expect(created.status).toBe(201);
  app = created.body;
  config = await client.discovery(
    new URL(t.baseUrl),
    app.client_id,
    { client_secret: app.client_secret },
    client.ClientSecretBasic(app.client_secret),
    { execute: [client.allowInsecureRequests] },
  );
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

/** Starts an authorization and follows it until a page (the consent page) or the way back. */
async function authorize(jar: BrowserJar, scope: string) {
  const request = await authorizationRequest(config, {
    redirect_uri: REDIRECT,
    scope,
    prompt: '',
    nonce: '',
  });
  const followed = await jar.follow(request.url.href);
  return { ...followed, ...request, interaction: followed.hops.at(-1)! };
}

async function grantsOf(userId: string): Promise<number> {
  const { rows } = await t.db.query(
    `SELECT count(*)::int AS n FROM oidc_payloads WHERE model = 'Grant' AND payload->>'accountId' = $1`,
    [userId],
  );
  return rows[0].n;
}

function csrf(jar: BrowserJar): Record<string, string> {
  return { 'x-csrf-token': jar.cookies.csrf_token };
}

describe('consent for an application that is not first-party', () => {
  it('asks once: the page says what the app will see, escaped; nothing is granted before the answer', async () => {
    const { jar, person } = await signedInBrowser(t);
    const { res, left, interaction } = await authorize(jar, 'openid email');
    expect(left).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.text).toContain('Acme &lt;script&gt;alert(1)&lt;/script&gt; Notes');
    expect(res.text).not.toContain('<script>alert(1)');
    expect(res.text).toContain('data-scope="email"');
    expect(res.text).not.toContain('data-scope="profile"');
    expect(await grantsOf(person.id)).toBe(0);

    // Without the page's CSRF header the answer is refused, and nothing is written.
    const forged = await jar.send('POST', `${interaction}/consent`, { body: { allow: true } });
    expectError(forged, 403, 'csrf_failed');
    expect(await grantsOf(person.id)).toBe(0);
    const { rows: none } = await t.db.query('SELECT 1 FROM oidc_consents WHERE user_id = $1', [person.id]);
    expect(none).toEqual([]);

    const allowed = await jar.send('POST', `${interaction}/consent`, {
      body: { allow: true },
      headers: csrf(jar),
    });
    expect(allowed.status).toBe(200);
    const back = await jar.follow(allowed.body.redirect);
    expect(back.left?.origin + back.left!.pathname).toBe(REDIRECT);
    const { rows } = await t.db.query(
      'SELECT scopes FROM oidc_consents WHERE user_id = $1 AND client_id = $2',
      [person.id, app.client_id],
    );
    expect(rows).toEqual([{ scopes: ['email', 'openid'] }]);

    // The same scopes again: no page.
    const again = await authorize(jar, 'openid email');
    expect(again.left?.searchParams.get('code')).toEqual(expect.any(String));
    // One more scope: the page again, naming it.
    const more = await authorize(jar, 'openid email profile');
    expect(more.left).toBeUndefined();
    expect(more.res.text).toContain('data-scope="profile"');
  });

  it('denied: access_denied goes back to the application with its state and iss', async () => {
    const { jar, person } = await signedInBrowser(t);
    const { interaction, state } = await authorize(jar, 'openid');
    const denied = await jar.send('POST', `${interaction}/consent`, {
      body: { allow: false },
      headers: csrf(jar),
    });
    expect(denied.status).toBe(200);
    const back = await jar.follow(denied.body.redirect);
    expect(back.left?.searchParams.get('error')).toBe('access_denied');
    expect(back.left?.searchParams.get('state')).toBe(state);
    expect(back.left?.searchParams.get('iss')).toBe(t.baseUrl);
    expect(await grantsOf(person.id)).toBe(0);
  });

  it('a malformed answer is a 400 with nothing written', async () => {
    const { jar, person } = await signedInBrowser(t);
    const { interaction } = await authorize(jar, 'openid');
    const res = await jar.send('POST', `${interaction}/consent`, {
      body: { allow: 'yes' },
      headers: csrf(jar),
    });
    expectError(res, 400, 'validation_failed');
    expect(await grantsOf(person.id)).toBe(0);
  });
});

describe('apps with access', () => {
  it('lists the application; removing its access ends its tokens and the next sign-in asks again', async () => {
    const { jar, person } = await signedInBrowser(t);
    const { interaction } = await authorize(jar, 'openid email');
    const allowed = await jar.send('POST', `${interaction}/consent`, {
      body: { allow: true },
      headers: csrf(jar),
    });
    const back = await jar.follow(allowed.body.redirect);
    const verifierless = back.left!;
    expect(verifierless.searchParams.get('code')).toEqual(expect.any(String));
    // A token for the app, from a second (consent-free) authorization.
    const second = await authorize(jar, 'openid email');
    const tokens = await client.authorizationCodeGrant(config, second.left!, {
      pkceCodeVerifier: second.verifier,
      expectedState: second.state,
    });

    const list = await t.request('GET', '/api/me/apps', { headers: bearer(person.accessToken) });
    expect(list.status).toBe(200);
    expect(list.body.apps).toEqual([
      { client_id: app.client_id, name: NAME, scopes: ['email', 'openid'], granted_at: expect.any(String) },
    ]);
    const profile = await jar.get('/');
    expect(profile.text).toContain(`data-revoke-app="${app.client_id}"`);

    const removed = await t.request('DELETE', `/api/me/apps/${app.client_id}`, {
      headers: bearer(person.accessToken),
    });
    expect(removed.status).toBe(204);
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: false });
    expect(await grantsOf(person.id)).toBe(0);
    expect(
      (await t.request('GET', '/api/me/apps', { headers: bearer(person.accessToken) })).body.apps,
    ).toEqual([]);
    const asked = await authorize(jar, 'openid email');
    expect(asked.left).toBeUndefined();
    expect(asked.res.text).toContain('id="consent"');

    const twice = await t.request('DELETE', `/api/me/apps/${app.client_id}`, {
      headers: bearer(person.accessToken),
    });
    expectError(twice, 404, 'not_found');
  });

  it('is for people: an API token is refused', async () => {
    const res = await t.request('GET', '/api/me/apps', {
      apiToken: 'lk_test_write_token_0123456789abcdefghijklmnop',
    });
    expectError(res, 403, 'forbidden');
  });
});
