import { createHmac, randomUUID } from 'node:crypto';
import type { HttpResult, TestServer } from './server.js';

/** Cookies set by an answer, by name: value and the raw Set-Cookie line. */
export function setCookies(res: HttpResult): Record<string, { value: string; line: string }> {
  const out: Record<string, { value: string; line: string }> = {};
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair.indexOf('=');
    out[pair.slice(0, eq).trim()] = { value: pair.slice(eq + 1).trim(), line };
  }
  return out;
}

export function cookieHeader(jar: Record<string, string>): string {
  return Object.entries(jar)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

export function jwtPayload(token: string): any {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** A browser's cookie jar after a cookie-mode password login. */
export async function cookieLogin(
  server: TestServer,
  username: string,
  password: string,
): Promise<{ access_token: string; refresh_token: string; csrf_token: string }> {
  const res = await server.request('POST', '/token?cookie=1', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login as ${username} failed: ${res.status} ${res.text}`);
  const cookies = setCookies(res);
  return {
    access_token: cookies.access_token.value,
    refresh_token: cookies.refresh_token.value,
    csrf_token: cookies.csrf_token.value,
  };
}

/** A partner's SSO token (HS256 with the shared secret), as the seed's partner application signs it. */
export function partnerToken(secret: string, claims: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ iat: now, exp: now + 600, jti: randomUUID(), ...claims })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * A partner SSO landing (`GET /sso/login?token=…`, contract §5) as a browser makes it: the cookie jar it
 * leaves (the session's access, refresh and CSRF cookies). Throws unless the landing signs in.
 */
export async function ssoLanding(
  server: TestServer,
  secret: string,
  claims: Record<string, unknown>,
): Promise<{ access_token: string; refresh_token: string; csrf_token: string }> {
  const res = await server.request('GET', `/sso/login?token=${partnerToken(secret, claims)}`);
  const cookies = setCookies(res);
  if (res.status !== 302 || !cookies.access_token?.value)
    throw new Error(`SSO landing failed: ${res.status} ${res.text}`);
  return {
    access_token: cookies.access_token.value,
    refresh_token: cookies.refresh_token.value,
    csrf_token: cookies.csrf_token.value,
  };
}
