import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { type HttpResult, type TestServer, WRITE_TOKEN } from './server.js';

/** What the e2e tests need of one person: who they are and a signed-in session's credentials. */
export interface Person {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

export const PASSWORD = 'correct horse battery staple';

export function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

/** A unique email on a domain of the caller's choosing, so that tests sharing a server never collide. */
export function uniqueEmail(domain = 'actors.example'): string {
  return `u-${randomUUID().slice(0, 12)}@${domain}`;
}

/** `POST /token`, whatever it answers. */
export function login(
  server: TestServer,
  username: string,
  password = PASSWORD,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return server.request('POST', '/token', { body: { username, password }, headers });
}

/** `POST /token`; throws unless it signs in. */
export async function signIn(
  server: TestServer,
  username: string,
  password = PASSWORD,
): Promise<{ accessToken: string; refreshToken: string; userId: string }> {
  const res = await server.request('POST', '/token', { body: { username, password } });
  if (res.status !== 200) throw new Error(`sign-in of ${username} failed: ${res.status} ${res.text}`);
  return {
    accessToken: res.body.access_token,
    refreshToken: res.body.refresh_token,
    userId: res.body.user_id,
  };
}

/** A user created through the sync API (and made admin by SQL when asked), then signed in. */
export async function newPerson(
  server: TestServer,
  options: { admin?: boolean; email?: string; password?: string } = {},
): Promise<Person> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? PASSWORD;
  const created = await server.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: { email, password },
  });
  if (created.status !== 201) throw new Error(`creating ${email} failed: ${created.status} ${created.text}`);
  if (options.admin)
    await server.db.query('UPDATE users SET is_admin = true WHERE id = $1', [created.body.id]);
  const session = await signIn(server, email, password);
  return { id: created.body.id, email, password, ...session };
}

/** `POST /token/refresh` with a body token. */
export function refresh(server: TestServer, refreshToken: string): Promise<HttpResult> {
  return server.request('POST', '/token/refresh', { body: { refresh_token: refreshToken } });
}

/** `POST /logout` with a body token. */
export function logout(server: TestServer, refreshToken: string): Promise<HttpResult> {
  return server.request('POST', '/logout', { body: { refresh_token: refreshToken } });
}

const WATCHED_TABLES = [
  'users',
  'api_tokens',
  'sessions',
  'refresh_tokens',
  'sso_replay',
  'oidc_clients',
  'oidc_payloads',
  'oidc_consents',
] as const;
export type WatchedTable = (typeof WATCHED_TABLES)[number];

/**
 * Every row of the tables a request could write, as text: equal snapshots before and after a refused
 * request mean it wrote nothing (not even an `updated_at` or a `last_login_at`). Small test databases only.
 * `ignore` leaves named columns out of the comparison (bookkeeping a caller has decided not to judge).
 */
export async function snapshot(
  db: pg.Pool,
  options: { ignore?: Partial<Record<WatchedTable, string[]>> } = {},
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of WATCHED_TABLES) {
    const ignored = options.ignore?.[table] ?? [];
    const { rows } =
      ignored.length === 0
        ? await db.query<{ row: string }>(`SELECT t::text AS row FROM ${table} t ORDER BY 1`)
        : await db.query<{ row: string }>(
            `SELECT (to_jsonb(t) - $1::text[])::text AS row FROM ${table} t ORDER BY 1`,
            [ignored],
          );
    out[table] = rows.map((r) => r.row);
  }
  return out;
}

/** An API token made the way an operator makes one: `POST /api/tokens` with an admin's access token. */
export async function createApiToken(
  server: TestServer,
  adminAccessToken: string,
  scopes: string[],
  name = `token-${randomUUID().slice(0, 8)}`,
): Promise<{ id: string; token: string }> {
  const res = await server.request('POST', '/api/tokens', {
    headers: bearer(adminAccessToken),
    body: { name, scopes },
  });
  if (res.status !== 201) throw new Error(`creating API token ${name} failed: ${res.status} ${res.text}`);
  return { id: res.body.id, token: res.body.token };
}
