import * as client from 'openid-client';
import { bearer, newPerson, PASSWORD, type Person } from './actors.js';
import { BrowserJar } from './browser-jar.js';
import type { TestServer } from './server.js';
import { cookieLogin } from './session.js';

export const RP_REDIRECT = 'http://localhost:8765/callback';

/** A client registered by `admin` through the admin API (confidential and first-party unless told). */
export async function registerClient(
  t: TestServer,
  admin: Person,
  body: Record<string, unknown> = {},
): Promise<{ client_id: string; client_secret?: string }> {
  const res = await t.request('POST', '/api/clients', {
    headers: bearer(admin.accessToken),
    body: {
      name: 'Test app',
      type: 'confidential',
      redirect_uris: [RP_REDIRECT],
      first_party: true,
      ...body,
    },
  });
  if (res.status !== 201) throw new Error(`registering a client failed: ${res.status} ${res.text}`);
  return res.body;
}

/** openid-client's configuration for a client of `t` (http allowed: the tests run on 127.0.0.1). */
export function discover(t: TestServer, clientId: string, secret?: string): Promise<client.Configuration> {
  return client.discovery(
    new URL(t.baseUrl),
    clientId,
    secret === undefined ? undefined : { client_secret: secret },
    secret === undefined ? client.None() : client.ClientSecretBasic(secret),
    { execute: [client.allowInsecureRequests] },
  );
}

/** A new person and a browser signed in to Latchkey as them (a cookie-mode password login). */
export async function signedInBrowser(t: TestServer): Promise<{ jar: BrowserJar; person: Person }> {
  const person = await newPerson(t);
  const cookies = await cookieLogin(t, person.email, PASSWORD);
  return { jar: new BrowserJar(t, { ...cookies }), person };
}

export interface Authorization {
  url: URL;
  verifier: string;
  state: string;
  nonce: string;
}

/** An authorization request of the application, with PKCE, state and nonce; '' leaves a parameter out. */
export async function authorizationRequest(
  conf: client.Configuration,
  parameters: Record<string, string> = {},
): Promise<Authorization> {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const all: Record<string, string> = {
    redirect_uri: RP_REDIRECT,
    scope: 'openid email profile offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    prompt: 'consent',
    ...parameters,
  };
  const url = client.buildAuthorizationUrl(
    conf,
    Object.fromEntries(Object.entries(all).filter(([, value]) => value !== '')),
  );
  return { url, verifier, state, nonce };
}

/** A whole sign-in: the application's redirect, the browser's hops, the code exchanged. */
export async function signInThrough(
  jar: BrowserJar,
  conf: client.Configuration,
  parameters: Record<string, string> = {},
  verifierOverride?: string,
) {
  const request = await authorizationRequest(conf, parameters);
  const { left, hops } = await jar.follow(request.url.href);
  if (!left) throw new Error(`did not come back: ${hops.join(' → ')}`);
  const tokens = await client.authorizationCodeGrant(conf, left, {
    pkceCodeVerifier: verifierOverride ?? request.verifier,
    expectedState: request.state,
    expectedNonce: request.nonce,
  });
  return { tokens, left, hops };
}
