import * as client from 'openid-client';
import { bearer, newPerson, PASSWORD } from '../support/actors.js';
import { authorizationRequest } from '../support/oidc.js';
import { startServer, type TestServer } from '../support/server.js';
import { cookieLogin, setCookies } from '../support/session.js';
import { createTestDatabase } from '../support/test-db.js';

/**
 * Two instances on one database behind one public URL (the issuer), as behind a load balancer: every step
 * of an OpenID Connect flow may land on either, because codes, grants, interactions and the provider's
 * sessions live in PostgreSQL and the cookie keys derive from the shared ID-token key.
 */
const ISSUER = 'http://latchkey.oidc-instances.test';
const REDIRECT = 'https://app.example/cb';

let a: TestServer;
let b: TestServer;

beforeAll(async () => {
  const databaseUrl = await createTestDatabase();
  [a, b] = await Promise.all([1, 2].map(() => startServer({ PUBLIC_URL: ISSUER }, { databaseUrl })));
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
});

/** The issuer's URL as sent to one instance or the other. */
function on(server: TestServer, url: string): string {
  const target = new URL(url, ISSUER);
  return server.baseUrl + target.pathname + target.search;
}

it('a flow begun on one instance finishes on the other, step by step alternating', async () => {
  const admin = await newPerson(a, { admin: true });
  const created = await a.request('POST', '/api/clients', {
    headers: bearer(admin.accessToken),
    body: { name: 'Balanced app', type: 'confidential', redirect_uris: [REDIRECT], first_party: true },
  });
  expect(created.status).toBe(201);
  // The relying party's requests alternate between the instances too.
  let turn = 0;
  const alternate: client.CustomFetch = (url, options) => fetch(on([a, b][turn++ % 2], url), options);
  const config = await client.discovery(
    new URL(ISSUER),
    created.body.client_id,
    { client_secret: created.body.client_secret },
    client.ClientSecretBasic(created.body.client_secret),
    { execute: [client.allowInsecureRequests], [client.customFetch]: alternate },
  );
  config[client.customFetch] = alternate;

  const person = await newPerson(b);
  const cookies: Record<string, string> = { ...(await cookieLogin(b, person.email, PASSWORD)) };
  const request = await authorizationRequest(config, {
    redirect_uri: REDIRECT,
    scope: 'openid email',
    prompt: '',
  });
  let next = request.url.href;
  const visited: string[] = [];
  for (let hop = 0; !next.startsWith(REDIRECT); hop++) {
    expect(hop).toBeLessThan(8);
    const server = [a, b][hop % 2];
    const path = new URL(next).pathname + new URL(next).search;
    visited.push(`${server === a ? 'A' : 'B'} ${new URL(next).pathname}`);
    const res = await server.request('GET', path, {
      headers: {
        cookie: Object.entries(cookies)
          .map(([k, v]) => `${k}=${v}`)
          .join('; '),
      },
    });
    for (const [name, { value }] of Object.entries(setCookies(res))) cookies[name] = value;
    expect(res.status).toBe(303);
    next = new URL(res.headers.get('location')!, ISSUER).href;
  }
  // authorize on A; the sign-in step (login, then consent) on B; each resumed authorization on A
  expect(visited).toEqual([
    'A /oidc/authorize',
    expect.stringMatching(/^B \/interaction\/[\w-]+$/),
    expect.stringMatching(/^A \/oidc\/authorize\/[\w-]+$/),
    expect.stringMatching(/^B \/interaction\/[\w-]+$/),
    expect.stringMatching(/^A \/oidc\/authorize\/[\w-]+$/),
  ]);

  const tokens = await client.authorizationCodeGrant(config, new URL(next), {
    pkceCodeVerifier: request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  });
  expect(tokens.claims()).toMatchObject({ iss: ISSUER, sub: person.id, email: person.email });
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '').catch(() => undefined);
  // No offline_access asked: no refresh token; userinfo and introspection answer on both instances.
  expect(refreshed).toBeUndefined();
  for (let i = 0; i < 2; i++) {
    expect(await client.fetchUserInfo(config, tokens.access_token, person.id)).toMatchObject({
      sub: person.id,
    });
    expect(await client.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true });
  }
});
