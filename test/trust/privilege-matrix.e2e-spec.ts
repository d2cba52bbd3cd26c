import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  bearer,
  createApiToken,
  newPerson,
  PASSWORD,
  signIn,
  snapshot,
  uniqueEmail,
} from '../support/actors.js';
import { expectError } from '../support/errors.js';
import {
  cookieHeader,
  cookieLogin,
  jwtPayload,
  partnerToken,
  setCookies,
  ssoLanding,
} from '../support/session.js';
import { type HttpResult, ROOT, startServer, type TestServer } from '../support/server.js';

/**
 * The privilege matrix (contract §3–§7): every route × every kind of principal × every kind of target,
 * each cell with its expected status and `code`, and for every refusal a snapshot of the tables before and
 * after showing that nothing was written; accepted writes are checked to have happened. The table is
 * generated from the rules below (one `expect` per route), so each rule is written once and every cell is
 * its own test, named "route · principal · target → status code".
 *
 * A new route must join: the last block reads the running app's OpenAPI document (and the controllers
 * excluded from it) and fails for any route without rows here.
 *
 * One server (partner SSO on, auto-create on), principals built once; a row gets fresh accounts, sessions
 * or tokens only where an accepted request would destroy the shared ones. Refusals use the shared ones.
 */

const SSO_SECRET = 'partner-secret-for-the-privilege-matrix-0123456789';
const WRONG_SSO_SECRET = 'not-the-partner-secret-but-just-as-long-0123456789';

// An API token's `last_used_at` is usage bookkeeping, written at most once a minute per token whatever the
// request's outcome (ApiTokensService.recordUse): it is the one column the snapshots do not judge.
const IGNORED = { ignore: { api_tokens: ['last_used_at'] } };

// ---------------------------------------------------------------------------------------------
// Principals: who calls, and how they present themselves.

const PRINCIPALS = {
  anonymous: 'anonymous',
  user: 'user (Bearer)',
  userCookie: 'user (cookie + CSRF header)',
  userCookieNoCsrf: 'user (cookie, no CSRF header)',
  admin: 'admin (Bearer)',
  adminCookie: 'admin (cookie + CSRF header)',
  readToken: 'API token users:read',
  writeToken: 'API token users:write',
  revokedToken: 'revoked API token',
  deactivated: "deactivated user's access token",
  signedOut: "signed-out user's access token",
  ssoOnly: 'SSO-only user (landing cookies + CSRF header)',
  garbage: 'garbage Bearer token',
} as const;
type PrincipalKey = keyof typeof PRINCIPALS;
const ALL = Object.keys(PRINCIPALS) as PrincipalKey[];

type Presentation = 'none' | 'bearer' | 'cookie' | 'cookieNoCsrf' | 'apiToken' | 'garbage';
const PRESENTATION: Record<PrincipalKey, Presentation> = {
  anonymous: 'none',
  user: 'bearer',
  userCookie: 'cookie',
  userCookieNoCsrf: 'cookieNoCsrf',
  admin: 'bearer',
  adminCookie: 'cookie',
  readToken: 'apiToken',
  writeToken: 'apiToken',
  revokedToken: 'apiToken',
  deactivated: 'bearer',
  signedOut: 'bearer',
  ssoOnly: 'cookie',
  garbage: 'garbage',
};

const set = (...keys: PrincipalKey[]): ReadonlySet<PrincipalKey> => new Set(keys);
/** Credentials that must be refused whatever the route (contract §4). */
const DEAD = set('anonymous', 'revokedToken', 'deactivated', 'signedOut', 'garbage');
const ADMINS = set('admin', 'adminCookie');
const TOKENS = set('readToken', 'writeToken');
/** Principals that are a person, so a route can target them ("self"). */
const PEOPLE = set(
  'user',
  'userCookie',
  'userCookieNoCsrf',
  'admin',
  'adminCookie',
  'deactivated',
  'signedOut',
  'ssoOnly',
);
/** People whose session still works. */
const LIVE = set('user', 'userCookie', 'userCookieNoCsrf', 'admin', 'adminCookie', 'ssoOnly');
/** Principals with no refresh token to present (not a session). */
const NO_REFRESH_TOKEN = set('anonymous', 'readToken', 'writeToken', 'revokedToken');
/** A browser with a session cookie (what the pages and the SSO landing look at). */
const BROWSER = set('userCookie', 'userCookieNoCsrf', 'adminCookie', 'ssoOnly');

interface Account {
  id: string;
  email: string;
  /** Absent for the SSO-only user, who has none. */
  password?: string;
  admin: boolean;
}

interface Session {
  access: string;
  refresh: string;
  /** The csrf_token cookie of a cookie session. */
  csrf?: string;
  /** The session's id (`sid`). */
  sid: string;
}

interface Actor {
  account?: Account;
  session?: Session;
  apiToken?: { id: string; token: string };
}

// ---------------------------------------------------------------------------------------------
// Targets: whom or what a route acts on.

type TargetKey =
  | 'self'
  | 'user'
  | 'admin'
  | 'new email'
  | 'own session'
  | 'other session'
  | 'sso-only account'
  | 'deactivated account'
  | 'another token'
  | 'itself'
  | 'known asset'
  | 'unknown asset'
  | 'own consent'
  | 'another person’s consent'
  | 'forged token';

function targetLabel(target: TargetKey, p: PrincipalKey): string {
  if (target === 'user') return 'another user';
  if (target === 'admin') return ADMINS.has(p) ? 'another admin' : 'an admin';
  if (target === 'other session') return "another user's session";
  if (target === 'itself') return 'the token itself';
  return target;
}

// ---------------------------------------------------------------------------------------------
// Expectations (contract §7: status and code).

interface Expected {
  status: number;
  code?: string;
  location?: string;
}
const ok = (status = 200): Expected => ({ status });
const redirect = (location: string): Expected => ({ status: 302, location });
const INVALID_TOKEN: Expected = { status: 401, code: 'invalid_token' };
const FORBIDDEN: Expected = { status: 403, code: 'forbidden' };
const CSRF_FAILED: Expected = { status: 403, code: 'csrf_failed' };
const accepted = (e: Expected): boolean => e.status < 400;

/** What the global guard answers before any route runs (contract §4): deny by default, then CSRF. */
function guard(p: PrincipalKey, method: string): Expected | undefined {
  if (DEAD.has(p)) return INVALID_TOKEN;
  if (p === 'userCookieNoCsrf' && method !== 'GET') return CSRF_FAILED;
  return undefined;
}

/** /protected and /api/me*: for a signed-in person; an API token is no person (403). */
const forPeople =
  (method: string, status: number) =>
  (p: PrincipalKey): Expected =>
    guard(p, method) ?? (TOKENS.has(p) ? FORBIDDEN : ok(status));

/** Directory reads (§6): an admin's access token, or an API token (`users:write` implies `users:read`). */
const directoryRead = (p: PrincipalKey): Expected =>
  guard(p, 'GET') ?? (ADMINS.has(p) || TOKENS.has(p) ? ok() : FORBIDDEN);

/** Directory writes (§6): an admin, or `users:write` — which never touches an admin account. */
const directoryWrite =
  (method: string, status: (target: TargetKey) => number) =>
  (p: PrincipalKey, target?: TargetKey): Expected =>
    guard(p, method) ??
    (ADMINS.has(p)
      ? ok(status(target!))
      : p === 'writeToken' && target !== 'admin'
        ? ok(status(target!))
        : FORBIDDEN);

/** Token management (§6): a signed-in admin only; an API token is refused whatever its scopes. */
const adminOnly =
  (method: string, status: number) =>
  (p: PrincipalKey): Expected =>
    guard(p, method) ?? (ADMINS.has(p) ? ok(status) : FORBIDDEN);

/** Public routes answer the same whoever calls: credentials sent along are ignored, never refused. */
const always = (expected: Expected) => (): Expected => expected;

// ---------------------------------------------------------------------------------------------
// Routes.

/** What one cell sends, and what it checks beyond status and code. */
interface Plan {
  path: string;
  body?: unknown;
  /** Replaces the principal's own credentials (routes whose credential is a refresh or partner token). */
  headers?: Record<string, string>;
  /** On the expected acceptance: what the answer and the database must show. */
  accepted?: (res: HttpResult) => Promise<void> | void;
  /** The accepted request writes (and `accepted` checks it); otherwise nothing may be written. */
  writes?: boolean;
  /** On the expected refusal, beyond "nothing written". */
  refused?: (res: HttpResult) => void;
}

interface CellContext {
  p: PrincipalKey;
  actor: Actor;
  target?: TargetKey;
  expected: Expected;
  /** Unique per cell, for values a write leaves behind. */
  mark: string;
}

type Listing = 'openapi' | 'excluded controller' | 'swagger' | 'sso hook';

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  path: string;
  variant?: string;
  /** Where the route list of the app names this route (checked in the last block). */
  listed: Listing;
  /** Every answer carries `Cache-Control: no-store` (§5, §7): authenticated routes, tokens, pages. */
  noStore?: boolean;
  /** Answers are pages (HTML, no error code). */
  html?: boolean;
  targets?: (p: PrincipalKey) => TargetKey[];
  expect: (p: PrincipalKey, target?: TargetKey) => Expected;
  prepare: (c: CellContext) => Promise<Plan> | Plan;
}

let t: TestServer;
const A = {} as Record<PrincipalKey, Actor>;
let T: {
  user: { account: Account; session: Session };
  admin: { account: Account; session: Session };
  token: { id: string; token: string };
};

const sidOf = (accessToken: string): string => jwtPayload(accessToken).sid;

function credentials(p: PrincipalKey, actor: Actor): Record<string, string> {
  switch (PRESENTATION[p]) {
    case 'none':
      return {};
    case 'bearer':
      return bearer(actor.session!.access);
    case 'cookie':
      return cookies(actor.session!, true);
    case 'cookieNoCsrf':
      return cookies(actor.session!, false);
    case 'apiToken':
      return { authorization: `Token ${actor.apiToken!.token}` };
    case 'garbage':
      return bearer('garbage.not-a.jwt');
  }
}

/** A browser's cookies for this session, with the double-submit header when `csrf`. */
function cookies(session: Session, csrf: boolean): Record<string, string> {
  return {
    cookie: cookieHeader({
      access_token: session.access,
      refresh_token: session.refresh,
      csrf_token: session.csrf!,
    }),
    ...(csrf ? { 'x-csrf-token': session.csrf! } : {}),
  };
}

async function newAccount(admin: boolean): Promise<{ account: Account; session: Session }> {
  const person = await newPerson(t, { admin });
  return {
    account: { id: person.id, email: person.email, password: person.password, admin },
    session: { access: person.accessToken, refresh: person.refreshToken, sid: sidOf(person.accessToken) },
  };
}

async function passwordSession(account: Account): Promise<Session> {
  const s = await signIn(t, account.email, account.password);
  return { access: s.accessToken, refresh: s.refreshToken, sid: sidOf(s.accessToken) };
}

async function cookieSession(account: Account): Promise<Session> {
  const jar = await cookieLogin(t, account.email, account.password!);
  return {
    access: jar.access_token,
    refresh: jar.refresh_token,
    csrf: jar.csrf_token,
    sid: sidOf(jar.access_token),
  };
}

async function ssoSession(email: string): Promise<Session> {
  const jar = await ssoLanding(t, SSO_SECRET, { email });
  return {
    access: jar.access_token,
    refresh: jar.refresh_token,
    csrf: jar.csrf_token,
    sid: sidOf(jar.access_token),
  };
}

/** Another session of the same person, presented the way this principal presents one. */
function newSession(p: PrincipalKey, account: Account): Promise<Session> {
  if (p === 'ssoOnly') return ssoSession(account.email);
  return PRESENTATION[p] === 'bearer' ? passwordSession(account) : cookieSession(account);
}

/** A new person of the principal's kind, signed in the principal's way (for rows that destroy them). */
async function freshActor(p: PrincipalKey): Promise<Actor> {
  if (p === 'ssoOnly') {
    const email = uniqueEmail('sso-only.example');
    const session = await ssoSession(email);
    return { account: { id: (await userRow(email)).id, email, admin: false }, session };
  }
  const { account } = await newAccount(ADMINS.has(p));
  return { account, session: await newSession(p, account) };
}

async function userRow(email: string): Promise<any> {
  const { rows } = await t.db.query('SELECT * FROM users WHERE email = $1', [email]);
  return rows[0];
}

async function userById(id: string): Promise<any> {
  const { rows } = await t.db.query('SELECT * FROM users WHERE id = $1', [id]);
  return rows[0];
}

async function sessionRow(id: string): Promise<any> {
  const { rows } = await t.db.query('SELECT * FROM sessions WHERE id = $1', [id]);
  return rows[0];
}

/** The account a directory row targets. */
function targetAccount(c: CellContext): Account {
  if (c.target === 'self') return c.actor.account!;
  if (c.target === 'user') return T.user.account;
  if (c.target === 'admin') return T.admin.account;
  throw new Error(`no account for target ${c.target}`);
}

const NO_SECRETS = (res: HttpResult): void => {
  expect(res.text).not.toMatch(/password_hash|\$argon2/);
};

const withSelf =
  (...others: TargetKey[]) =>
  (p: PrincipalKey): TargetKey[] => [...(PEOPLE.has(p) ? (['self'] as TargetKey[]) : []), ...others];

const ROUTES: Route[] = [
  // §3: our tokens. Public: whatever credentials come along, the body (or the refresh cookie) decides.
  {
    method: 'POST',
    path: '/token',
    listed: 'openapi',
    noStore: true,
    targets: () => ['user', 'admin', 'sso-only account', 'deactivated account'],
    expect: (_, target) =>
      target === 'user' || target === 'admin' ? ok() : { status: 401, code: 'invalid_credentials' },
    async prepare(c) {
      // Several principals try the same accounts: the login throttle (not under test here) starts afresh.
      await t.db.query('DELETE FROM login_throttle');
      const account: Account = {
        user: T.user.account,
        admin: T.admin.account,
        // No password of their own: a guess is all a password login can bring.
        'sso-only account': { ...A.ssoOnly.account!, password: PASSWORD },
        'deactivated account': A.deactivated.account!,
      }[c.target as 'user' | 'admin' | 'sso-only account' | 'deactivated account'];
      return {
        path: '/token',
        body: { username: account.email, password: account.password },
        writes: true,
        async accepted(res) {
          expect(res.body).toMatchObject({ token_type: 'Bearer', user_id: account.id });
          expect(res.body.token).toBe(res.body.access_token);
          const session = await sessionRow(sidOf(res.body.access_token));
          expect(session).toMatchObject({
            user_id: account.id,
            sign_in_method: 'password',
            revoked_at: null,
          });
          expect((await userById(account.id)).last_login_at).not.toBeNull();
        },
        refused(res) {
          expect(res.body.message).toBe('Bad username or password');
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/token/refresh',
    listed: 'openapi',
    noStore: true,
    expect(p) {
      if (p === 'userCookieNoCsrf') return CSRF_FAILED;
      if (LIVE.has(p)) return ok();
      // Garbage, and the refresh tokens of ended sessions (signed out, deactivated).
      if (!NO_REFRESH_TOKEN.has(p)) return INVALID_TOKEN;
      // No refresh token at all (anonymous, API tokens): a missing credential (§3, §4), not a CSRF failure.
      return INVALID_TOKEN;
    },
    prepare: async (c) => refreshOrLogout(c, '/token/refresh'),
  },
  {
    method: 'POST',
    path: '/logout',
    listed: 'openapi',
    // Nothing presented, an unknown or an ended refresh token: 204, nothing to revoke (§3).
    expect: (p) => (p === 'userCookieNoCsrf' ? CSRF_FAILED : ok(204)),
    prepare: async (c) => refreshOrLogout(c, '/logout'),
  },

  // §4: the signed-in person.
  {
    method: 'GET',
    path: '/protected',
    listed: 'openapi',
    noStore: true,
    expect: forPeople('GET', 200),
    prepare: (c) => ({
      path: '/protected',
      accepted(res) {
        expect(res.body).toEqual({
          id: c.actor.account!.id,
          username: expect.any(String),
          email: c.actor.account!.email,
        });
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/me',
    listed: 'openapi',
    noStore: true,
    expect: forPeople('GET', 200),
    prepare: (c) => ({
      path: '/api/me',
      accepted(res) {
        expect(res.body).toMatchObject({
          id: c.actor.account!.id,
          email: c.actor.account!.email,
          is_active: true,
        });
        NO_SECRETS(res);
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/me/sessions',
    listed: 'openapi',
    noStore: true,
    expect: forPeople('GET', 200),
    prepare: (c) => ({
      path: '/api/me/sessions',
      accepted(res) {
        expect(res.body.sessions).toEqual(
          expect.arrayContaining([expect.objectContaining({ id: c.actor.session!.sid, current: true })]),
        );
      },
    }),
  },
  {
    method: 'DELETE',
    path: '/api/me/sessions/:id',
    listed: 'openapi',
    noStore: true,
    targets: (p) => (PEOPLE.has(p) ? ['own session', 'other session'] : ['other session']),
    expect: (p, target) =>
      guard(p, 'DELETE') ??
      (TOKENS.has(p) ? FORBIDDEN : target === 'own session' ? ok(204) : { status: 404, code: 'not_found' }),
    async prepare(c) {
      // Own: another session of the caller's (never the current one, which the other rows still use).
      const ended =
        c.target === 'other session'
          ? T.user.session
          : LIVE.has(c.p)
            ? await newSession(c.p, c.actor.account!)
            : c.actor.session!;
      return {
        path: `/api/me/sessions/${ended.sid}`,
        writes: true,
        async accepted() {
          expect(await sessionRow(ended.sid)).toMatchObject({ revoked_reason: 'ended' });
          expect((await sessionRow(c.actor.session!.sid)).revoked_at).toBeNull();
          await expectRefused(bearer(ended.access));
        },
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/me/sessions',
    listed: 'openapi',
    noStore: true,
    expect: forPeople('DELETE', 204),
    async prepare(c) {
      if (!accepted(c.expected)) return { path: '/api/me/sessions' };
      // Accepted, it ends every other session of the caller: a person of their own for this row.
      const actor = await freshActor(c.p);
      const other = await newSession(c.p, actor.account!);
      return {
        path: '/api/me/sessions',
        headers: credentials(c.p, actor),
        writes: true,
        async accepted() {
          expect(await sessionRow(other.sid)).toMatchObject({ revoked_reason: 'ended' });
          const { rows } = await t.db.query(
            'SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
            [actor.account!.id],
          );
          expect(rows).toEqual([{ id: actor.session!.sid }]);
        },
      };
    },
  },

  // §6: the directory and sync.
  {
    method: 'POST',
    path: '/api/users',
    variant: 'one object',
    listed: 'openapi',
    noStore: true,
    targets: (p) => ['new email', ...withSelf('user', 'admin')(p)],
    expect: directoryWrite('POST', (target) => (target === 'new email' ? 201 : 200)),
    prepare(c) {
      const email = c.target === 'new email' ? uniqueEmail('matrix-new.example') : targetAccount(c).email;
      return {
        path: '/api/users',
        body: { email, first_name: c.mark },
        writes: true,
        async accepted(res) {
          expect(res.body).toMatchObject({ email, first_name: c.mark });
          NO_SECRETS(res);
          expect(await userRow(email)).toMatchObject({ first_name: c.mark });
        },
        refused: refusedAdminItems(c, undefined),
      };
    },
  },
  {
    method: 'POST',
    path: '/api/users',
    variant: 'array',
    listed: 'openapi',
    noStore: true,
    targets: (p) => ['new email', ...withSelf('user', 'admin')(p)],
    expect: directoryWrite('POST', () => 200),
    prepare(c) {
      // Item 0 is always a new user: a refusal of item 1 must leave it unwritten too (atomic).
      const first = uniqueEmail('matrix-bulk.example');
      const email = c.target === 'new email' ? uniqueEmail('matrix-new.example') : targetAccount(c).email;
      return {
        path: '/api/users',
        body: [{ email: first }, { email, first_name: c.mark }],
        writes: true,
        async accepted(res) {
          const created = c.target === 'new email' ? 2 : 1;
          expect(res.body).toMatchObject({ created, updated: 2 - created, unchanged: 0 });
          expect(await userRow(first)).toBeDefined();
          expect(await userRow(email)).toMatchObject({ first_name: c.mark });
        },
        refused: refusedAdminItems(c, 1),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/users',
    listed: 'openapi',
    noStore: true,
    expect: directoryRead,
    prepare: () => ({
      path: '/api/users?page_size=5',
      accepted(res) {
        expect(res.body).toMatchObject({
          count: expect.any(Number),
          previous: null,
          results: expect.any(Array),
        });
        NO_SECRETS(res);
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/users/:id',
    listed: 'openapi',
    noStore: true,
    targets: withSelf('user', 'admin'),
    expect: directoryRead,
    prepare(c) {
      const account = targetAccount(c);
      return {
        path: `/api/users/${account.id}`,
        accepted(res) {
          expect(res.body).toMatchObject({ id: account.id, email: account.email, is_admin: account.admin });
          NO_SECRETS(res);
        },
      };
    },
  },
  {
    method: 'PATCH',
    path: '/api/users/:id',
    listed: 'openapi',
    noStore: true,
    targets: withSelf('user', 'admin'),
    expect: directoryWrite('PATCH', () => 200),
    prepare(c) {
      const account = targetAccount(c);
      return {
        path: `/api/users/${account.id}`,
        body: { first_name: c.mark },
        writes: true,
        async accepted(res) {
          expect(res.body).toMatchObject({ id: account.id, first_name: c.mark });
          expect(await userById(account.id)).toMatchObject({ first_name: c.mark });
        },
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/users/:id',
    listed: 'openapi',
    noStore: true,
    targets: withSelf('user', 'admin'),
    expect: directoryWrite('DELETE', () => 204),
    async prepare(c) {
      if (!accepted(c.expected)) return { path: `/api/users/${targetAccount(c).id}` };
      // Accepted, it deactivates the target: a target of its own for this row (and for "self", a caller too).
      const actor = c.target === 'self' ? await freshActor(c.p) : c.actor;
      const victim =
        c.target === 'self'
          ? { account: actor.account!, session: actor.session! }
          : await newAccount(c.target === 'admin');
      return {
        path: `/api/users/${victim.account.id}`,
        headers: credentials(c.p, actor),
        writes: true,
        async accepted() {
          expect(await userById(victim.account.id)).toMatchObject({ is_active: false });
          const { rows } = await t.db.query(
            'SELECT id FROM sessions WHERE user_id = $1 AND revoked_at IS NULL',
            [victim.account.id],
          );
          expect(rows).toEqual([]);
          await expectRefused(bearer(victim.session.access));
        },
      };
    },
  },
  {
    method: 'POST',
    path: '/api/tokens',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('POST', 201),
    prepare: (c) => ({
      path: '/api/tokens',
      body: { name: c.mark, scopes: ['users:read'] },
      writes: true,
      async accepted(res) {
        expect(res.body).toMatchObject({
          id: expect.any(String),
          name: c.mark,
          token: expect.any(String),
          scopes: ['users:read'],
        });
        const { rows } = await t.db.query('SELECT created_by, revoked_at FROM api_tokens WHERE id = $1', [
          res.body.id,
        ]);
        expect(rows).toEqual([{ created_by: c.actor.account!.id, revoked_at: null }]);
        expect((await t.request('GET', '/api/users', { apiToken: res.body.token })).status).toBe(200);
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/tokens',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('GET', 200),
    prepare: () => ({
      path: '/api/tokens',
      accepted(res) {
        expect(res.body).toEqual(expect.arrayContaining([expect.objectContaining({ id: T.token.id })]));
        // Shown once, at creation: never listed.
        for (const token of res.body) expect(token).not.toHaveProperty('token');
      },
    }),
  },
  {
    method: 'DELETE',
    path: '/api/tokens/:id',
    listed: 'openapi',
    noStore: true,
    targets: (p) => (PRESENTATION[p] === 'apiToken' ? ['another token', 'itself'] : ['another token']),
    expect: adminOnly('DELETE', 204),
    async prepare(c) {
      const token =
        c.target === 'itself'
          ? c.actor.apiToken!
          : accepted(c.expected)
            ? await createApiToken(t, A.admin.session!.access, ['users:read'])
            : T.token;
      return {
        path: `/api/tokens/${token.id}`,
        writes: true,
        async accepted() {
          const { rows } = await t.db.query('SELECT revoked_at FROM api_tokens WHERE id = $1', [token.id]);
          expect(rows[0].revoked_at).not.toBeNull();
          await expectRefused({ authorization: `Token ${token.token}` });
        },
      };
    },
  },

  // §8: OIDC clients, an admin's business alone (like API tokens); the sign-in step is public.
  {
    method: 'POST',
    path: '/api/clients',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('POST', 201),
    prepare: (c) => ({
      path: '/api/clients',
      body: { name: c.mark, type: 'confidential', redirect_uris: ['https://app.example/cb'] },
      writes: true,
      async accepted(res) {
        expect(res.body).toMatchObject({
          client_id: expect.any(String),
          client_secret: expect.any(String),
          name: c.mark,
        });
        const { rows } = await t.db.query('SELECT name, secret_hash FROM oidc_clients WHERE client_id = $1', [
          res.body.client_id,
        ]);
        expect(rows).toEqual([{ name: c.mark, secret_hash: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
      },
    }),
  },
  {
    method: 'GET',
    path: '/api/clients',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('GET', 200),
    prepare: async () => {
      const clientId = await fixtureClient();
      return {
        path: '/api/clients',
        accepted(res) {
          expect(res.body).toEqual(
            expect.arrayContaining([expect.objectContaining({ client_id: clientId })]),
          );
          for (const listed of res.body) expect(listed).not.toHaveProperty('client_secret');
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/api/clients/:id',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('GET', 200),
    prepare: async () => {
      const clientId = await fixtureClient();
      return {
        path: `/api/clients/${clientId}`,
        accepted: (res) => expect(res.body).toMatchObject({ client_id: clientId, type: 'confidential' }),
      };
    },
  },
  {
    method: 'PATCH',
    path: '/api/clients/:id',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('PATCH', 200),
    prepare: async (c) => {
      const clientId = await fixtureClient();
      return {
        path: `/api/clients/${clientId}`,
        body: { name: c.mark },
        writes: true,
        async accepted() {
          const { rows } = await t.db.query('SELECT name FROM oidc_clients WHERE client_id = $1', [clientId]);
          expect(rows).toEqual([{ name: c.mark }]);
        },
      };
    },
  },
  {
    method: 'DELETE',
    path: '/api/clients/:id',
    listed: 'openapi',
    noStore: true,
    expect: adminOnly('DELETE', 204),
    async prepare(c) {
      const clientId = accepted(c.expected) ? await newClient(c.mark) : await fixtureClient();
      return {
        path: `/api/clients/${clientId}`,
        writes: true,
        async accepted() {
          const { rows } = await t.db.query('SELECT 1 FROM oidc_clients WHERE client_id = $1', [clientId]);
          expect(rows).toEqual([]);
        },
      };
    },
  },
  {
    method: 'GET',
    path: '/interaction/:uid',
    listed: 'excluded controller',
    html: true,
    // Without the provider's interaction cookie there is nothing to continue, whoever asks.
    expect: always({ status: 400 }),
    prepare: () => ({
      path: '/interaction/no-such-interaction',
      refused: (res) => expect(res.headers.get('content-type')).toMatch(/^text\/html/),
    }),
  },

  {
    method: 'POST',
    path: '/interaction/:uid/consent',
    listed: 'excluded controller',
    html: true,
    // The CSRF double submit first (a cookie session's page only), then: nothing to continue.
    expect: (p) => (PRESENTATION[p] === 'cookie' ? { status: 400 } : CSRF_FAILED),
    prepare: () => ({ path: '/interaction/no-such-interaction/consent', body: { allow: true } }),
  },
  {
    method: 'GET',
    path: '/api/me/apps',
    listed: 'openapi',
    noStore: true,
    expect: forPeople('GET', 200),
    prepare: () => ({
      path: '/api/me/apps',
      accepted: (res) => expect(res.body).toEqual({ apps: expect.any(Array) }),
    }),
  },
  {
    method: 'DELETE',
    path: '/api/me/apps/:clientId',
    listed: 'openapi',
    noStore: true,
    targets: (p) =>
      PEOPLE.has(p) ? ['own consent', 'another person’s consent'] : ['another person’s consent'],
    expect: (p, target) =>
      guard(p, 'DELETE') ??
      (TOKENS.has(p) ? FORBIDDEN : target === 'own consent' ? ok(204) : { status: 404, code: 'not_found' }),
    async prepare(c) {
      const clientId = await fixtureClient();
      const owner =
        c.target === 'own consent' && accepted(c.expected) ? c.actor.account!.id : T.user.account.id;
      await t.db.query(
        `INSERT INTO oidc_consents (user_id, client_id, scopes) VALUES ($1, $2, '{openid}') ON CONFLICT DO NOTHING`,
        [owner, clientId],
      );
      return {
        path: `/api/me/apps/${clientId}`,
        writes: true,
        async accepted() {
          const { rows } = await t.db.query(
            'SELECT 1 FROM oidc_consents WHERE user_id = $1 AND client_id = $2',
            [owner, clientId],
          );
          expect(rows).toEqual([]);
        },
      };
    },
  },

  // §5: partner SSO, at /sso/login and as a landing on any page.
  ssoRoute('GET', '/sso/login', 'openapi', (token) => `/sso/login?token=${token}`, '/'),
  ssoRoute('GET', '/users?token=', 'sso hook', (token) => `/users?token=${token}`, '/users'),

  // §7 and the keys: public and cacheable.
  {
    method: 'GET',
    path: '/health',
    listed: 'openapi',
    expect: always(ok()),
    prepare: () => ({ path: '/health', accepted: (res) => expect(res.body).toEqual({ status: 'ok' }) }),
  },
  {
    method: 'GET',
    path: '/.well-known/jwks.json',
    listed: 'openapi',
    // HS256 here: that key is secret, so only the ID-token key is published.
    expect: always(ok()),
    prepare: () => ({
      path: '/.well-known/jwks.json',
      accepted: (res) =>
        expect(res.body).toEqual({
          keys: [expect.objectContaining({ kty: 'RSA', alg: 'RS256', use: 'sig' })],
        }),
    }),
  },
  {
    method: 'GET',
    path: '/docs',
    listed: 'swagger',
    expect: always(ok()),
    prepare: () => ({
      path: '/docs',
      accepted: (res) => expect(res.headers.get('content-type')).toMatch(/^text\/html/),
    }),
  },
  {
    method: 'GET',
    path: '/docs-json',
    listed: 'swagger',
    expect: always(ok()),
    prepare: () => ({
      path: '/docs-json',
      accepted: (res) => expect(res.body.openapi).toEqual(expect.any(String)),
    }),
  },
  {
    method: 'GET',
    path: '/docs-yaml',
    listed: 'swagger',
    expect: always(ok()),
    prepare: () => ({ path: '/docs-yaml', accepted: (res) => expect(res.text).toMatch(/^openapi:/m) }),
  },

  // The pages: open to the guard, each page looks at the session cookies itself (pages.service.ts).
  pageRoute('/login', (p) => (BROWSER.has(p) ? redirect('/') : ok())),
  pageRoute('/', (p) => (BROWSER.has(p) ? ok() : redirect('/login'))),
  pageRoute('/users', (p) =>
    p === 'adminCookie' ? ok() : BROWSER.has(p) ? { status: 403 } : redirect('/login?next=%2Fusers'),
  ),
  pageRoute('/tokens', (p) =>
    p === 'adminCookie' ? ok() : BROWSER.has(p) ? { status: 403 } : redirect('/login?next=%2Ftokens'),
  ),
  pageRoute('/clients', (p) =>
    p === 'adminCookie' ? ok() : BROWSER.has(p) ? { status: 403 } : redirect('/login?next=%2Fclients'),
  ),
  {
    method: 'GET',
    path: '/assets/:name',
    listed: 'excluded controller',
    targets: () => ['known asset', 'unknown asset'],
    expect: (_, target) => (target === 'known asset' ? ok() : { status: 404, code: 'not_found' }),
    prepare: (c) => ({
      path: c.target === 'known asset' ? '/assets/login.js' : '/assets/no-such-file.js',
      accepted: (res) => expect(res.headers.get('content-type')).toMatch(/^text\/javascript/),
    }),
  },
];

/**
 * `POST /token/refresh` and `POST /logout`: the credential is the principal's refresh token — in the body
 * beside a Bearer access token, or as the refresh cookie (plus the CSRF header) of a browser. Accepted rows
 * get a session of their own; the dead principals present their own ended sessions.
 */
async function refreshOrLogout(c: CellContext, path: '/token/refresh' | '/logout'): Promise<Plan> {
  const how = PRESENTATION[c.p];
  if (!PEOPLE.has(c.p)) {
    const garbage = how === 'garbage' ? { refresh_token: 'garbage.refresh-token' } : {};
    return { path, body: garbage };
  }
  const session = LIVE.has(c.p) ? await newSession(c.p, c.actor.account!) : c.actor.session!;
  const viaCookie = how === 'cookie' || how === 'cookieNoCsrf';
  const plan: Plan = {
    path,
    headers: viaCookie ? cookies(session, how === 'cookie') : bearer(session.access),
    body: viaCookie ? {} : { refresh_token: session.refresh },
  };
  if (!LIVE.has(c.p)) return plan;
  plan.writes = true;
  plan.accepted = async (res) => {
    const set = setCookies(res);
    if (path === '/token/refresh') {
      // The presented token is spent, and its successor is the session's one live refresh token.
      const { rows } = await t.db.query(
        `SELECT count(*)::int AS total, count(*) FILTER (WHERE spent_at IS NOT NULL)::int AS spent
           FROM refresh_tokens WHERE session_id = $1`,
        [session.sid],
      );
      expect(rows).toEqual([{ total: 2, spent: 1 }]);
      if (viaCookie) {
        // Cookie mode: the tokens go to HttpOnly cookies, never into the body (§3).
        expect(res.body).not.toHaveProperty('access_token');
        expect(set.access_token?.value).toEqual(expect.any(String));
        expect(set.refresh_token?.value).not.toBe(session.refresh);
      } else {
        expect(res.body).toMatchObject({ token_type: 'Bearer', user_id: c.actor.account!.id });
        expect(res.body.refresh_token).not.toBe(session.refresh);
      }
      return;
    }
    expect(await sessionRow(session.sid)).toMatchObject({ revoked_reason: 'logout' });
    await expectRefused(bearer(session.access));
    if (viaCookie) expect(set.access_token?.value ?? '').toBe('');
  };
  return plan;
}

/** The partner SSO landing (§5): the target is the account the partner's token names. */
function ssoRoute(
  method: 'GET',
  path: string,
  listed: Listing,
  url: (token: string) => string,
  landsOn: string,
): Route {
  return {
    method,
    path,
    listed,
    noStore: true,
    targets: withSelf('user', 'admin', 'new email', 'forged token'),
    expect(p, target) {
      if (target === 'forged token') return { status: 401, code: 'sso_token_invalid' };
      // Signed in here as someone else: never silently swapped (JWT_SSO_SESSION_CONFLICT=refuse).
      if (BROWSER.has(p) && target !== 'self') return { status: 409, code: 'session_conflict' };
      // Admins sign in with their password (JWT_SSO_ALLOW_ADMINS=false); inactive users not at all.
      if (target === 'admin' || (target === 'self' && ADMINS.has(p))) return FORBIDDEN;
      if (target === 'self' && p === 'deactivated') return { status: 403, code: 'user_inactive' };
      return redirect(landsOn);
    },
    prepare(c) {
      const email =
        c.target === 'new email' || c.target === 'forged token'
          ? uniqueEmail('sso-new.example')
          : targetAccount(c).email;
      const names = c.target === 'new email' ? { first_name: 'Landed', last_name: c.mark } : {};
      const token = partnerToken(c.target === 'forged token' ? WRONG_SSO_SECRET : SSO_SECRET, {
        email,
        ...names,
      });
      return {
        path: url(token),
        writes: true,
        async accepted(res) {
          expect(res.headers.get('referrer-policy')).toBe('no-referrer');
          const landed = setCookies(res).access_token?.value ?? '';
          expect(landed).not.toBe('');
          const user = await userRow(email);
          expect(await sessionRow(sidOf(landed))).toMatchObject({
            user_id: user.id,
            sign_in_method: 'sso',
            revoked_at: null,
          });
          expect(user.last_login_at).not.toBeNull();
          if (c.target === 'new email') {
            expect(user).toMatchObject({
              source: 'sso',
              first_name: 'Landed',
              last_name: c.mark,
              is_admin: false,
            });
          }
        },
        refused(res) {
          // No cookie on a refusal (§5), so the browser keeps whatever session it had.
          expect(setCookies(res).access_token?.value ?? '').toBe('');
        },
      };
    },
  };
}

function pageRoute(path: string, rule: (p: PrincipalKey) => Expected): Route {
  return {
    method: 'GET',
    path,
    listed: 'excluded controller',
    noStore: true,
    html: true,
    expect: rule,
    prepare: () => ({
      path,
      accepted(res) {
        if (res.status !== 200) return;
        checkPage(res);
      },
      refused: checkPage,
    }),
  };
}

function checkPage(res: HttpResult): void {
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
}

/** A token write of an admin account is refused naming the item (§6); `index` for an array. */
function refusedAdminItems(
  c: CellContext,
  index: number | undefined,
): ((res: HttpResult) => void) | undefined {
  if (c.p !== 'writeToken' || c.target !== 'admin') return undefined;
  return (res) =>
    expect(res.body.errors).toEqual([
      { ...(index === undefined ? {} : { index }), field: 'email', reason: 'is an administrator account' },
    ]);
}

let fixtureClientId: string | undefined;

/** One confidential client for the cells that read or change a client. */
async function fixtureClient(): Promise<string> {
  fixtureClientId ??= await newClient('matrix fixture');
  return fixtureClientId;
}

async function newClient(name: string): Promise<string> {
  const res = await t.request('POST', '/api/clients', {
    headers: bearer(A.admin.session!.access),
    body: { name, type: 'confidential', redirect_uris: ['https://app.example/cb'] },
  });
  if (res.status !== 201) throw new Error(`creating client ${name} failed: ${res.status} ${res.text}`);
  return res.body.client_id;
}

/** These credentials no longer open anything (from the very next request on, §3). */
async function expectRefused(headers: Record<string, string>): Promise<void> {
  const res = await t.request('GET', '/api/users', { headers });
  expect({ status: res.status, code: res.body?.code }).toEqual(INVALID_TOKEN);
}

// ---------------------------------------------------------------------------------------------
// The cells.

interface Cell {
  name: string;
  route: Route;
  p: PrincipalKey;
  target?: TargetKey;
  expected: Expected;
}

const routeKey = (r: Pick<Route, 'method' | 'path'>): string => `${r.method} ${r.path}`;

function describeExpected(e: Expected): string {
  return [e.status, e.code, e.location && `→ ${e.location}`].filter(Boolean).join(' ');
}

const CELLS: Cell[] = ROUTES.flatMap((route) => {
  // A safe method needs no CSRF header: the cookie-without-header principal is for unsafe methods.
  const principals = ALL.filter((p) => route.method !== 'GET' || p !== 'userCookieNoCsrf');
  return principals.flatMap((p) =>
    (route.targets?.(p) ?? [undefined]).map((target): Cell => {
      const expected = route.expect(p, target);
      const where = [routeKey(route) + (route.variant ? ` (${route.variant})` : ''), PRINCIPALS[p]];
      if (target) where.push(targetLabel(target, p));
      return { name: `${where.join(' · ')} → ${describeExpected(expected)}`, route, p, target, expected };
    }),
  );
});

beforeAll(async () => {
  t = await startServer({ JWT_SSO_SECRET: SSO_SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' });
  const admin = await newAccount(true);
  const user = await newAccount(false);
  A.anonymous = {};
  A.garbage = {};
  A.admin = admin;
  A.adminCookie = { account: admin.account, session: await cookieSession(admin.account) };
  A.user = user;
  A.userCookie = { account: user.account, session: await cookieSession(user.account) };
  A.userCookieNoCsrf = { account: user.account, session: await cookieSession(user.account) };
  const adminToken = admin.session.access;
  A.readToken = { apiToken: await createApiToken(t, adminToken, ['users:read']) };
  A.writeToken = { apiToken: await createApiToken(t, adminToken, ['users:write']) };
  const revoked = await createApiToken(t, adminToken, ['users:write']);
  expect(
    (await t.request('DELETE', `/api/tokens/${revoked.id}`, { headers: bearer(adminToken) })).status,
  ).toBe(204);
  A.revokedToken = { apiToken: revoked };
  // Signed in first, then deactivated / signed out: the access tokens were issued before.
  A.deactivated = await newAccount(false);
  expect(
    (await t.request('DELETE', `/api/users/${A.deactivated.account!.id}`, { headers: bearer(adminToken) }))
      .status,
  ).toBe(204);
  A.signedOut = await newAccount(false);
  const out = await t.request('POST', '/logout', { body: { refresh_token: A.signedOut.session!.refresh } });
  expect(out.status).toBe(204);
  A.ssoOnly = await freshActor('ssoOnly');
  expect(await userRow(A.ssoOnly.account!.email)).toMatchObject({ source: 'sso', password_hash: null });

  T = {
    user: await newAccount(false),
    admin: await newAccount(true),
    token: await createApiToken(t, adminToken, ['users:read'], 'victim'),
  };
});

afterAll(async () => {
  await t?.stop();
});

describe(`privilege matrix: ${CELLS.length} cells`, () => {
  it.each(CELLS.map((cell): [string, Cell] => [cell.name, cell]))('%s', async (_, cell) => {
    const { route, p, target, expected } = cell;
    const actor = A[p];
    const plan = await route.prepare({ p, actor, target, expected, mark: `m${CELLS.indexOf(cell)}` });
    const headers = plan.headers ?? credentials(p, actor);
    const before = await snapshot(t.db, IGNORED);
    const res = await t.request(route.method, plan.path, { headers, body: plan.body });

    const seen: Expected = { status: res.status };
    if (res.body?.code !== undefined) seen.code = res.body.code;
    if (expected.location !== undefined) seen.location = res.headers.get('location') ?? undefined;
    expect(seen).toEqual(expected);

    if (expected.code === 'invalid_token') {
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b.*error="invalid_token"/);
    }
    if (route.noStore) expect(res.headers.get('cache-control')).toBe('no-store');
    if (accepted(expected)) {
      await plan.accepted?.(res);
      if (!plan.writes) expect(await snapshot(t.db, IGNORED)).toEqual(before);
    } else {
      expect(await snapshot(t.db, IGNORED)).toEqual(before);
      if (!route.html) expectError(res, expected.status, expected.code!);
      plan.refused?.(res);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// New routes must join.

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** The routes of controllers (or endpoints) excluded from the OpenAPI document, read from their source. */
function excludedFromDocument(): string[] {
  const src = join(ROOT, 'src');
  const routes: string[] = [];
  for (const file of readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.controller.ts')) continue;
    const code = readFileSync(join(src, file), 'utf8');
    if (!/@ApiExclude(Controller|Endpoint)\(/.test(code)) continue;
    const prefix = /@Controller\(\s*(?:'([^']*)')?\s*\)/.exec(code)?.[1] ?? '';
    for (const [, method, path] of code.matchAll(/@(Get|Post|Put|Patch|Delete)\(\s*(?:'([^']*)')?\s*\)/g)) {
      routes.push(`${method.toUpperCase()} /${[prefix, path ?? ''].filter(Boolean).join('/')}`);
    }
  }
  return routes;
}

describe('the matrix covers every route', () => {
  const inMatrix = new Set(ROUTES.map(routeKey));

  it('every operation of the OpenAPI document (GET /docs-json) has rows, and every documented row is in it', async () => {
    const doc = await t.request('GET', '/docs-json');
    expect(doc.status).toBe(200);
    const documented = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, operations]) =>
        Object.keys(operations)
          .filter((method) => HTTP_METHODS.includes(method))
          .map((method) => `${method.toUpperCase()} ${path.replace(/\{([^}]+)\}/g, ':$1')}`),
    );
    expect(documented.length).toBeGreaterThan(10);
    expect(documented.filter((route) => !inMatrix.has(route))).toEqual([]);
    const claimed = ROUTES.filter((r) => r.listed === 'openapi').map(routeKey);
    expect(claimed.filter((route) => !documented.includes(route))).toEqual([]);
    const byHand = ROUTES.filter((r) => r.listed !== 'openapi').map(routeKey);
    expect(byHand.filter((route) => documented.includes(route))).toEqual([]);
  });

  it('every route of a controller excluded from the document (pages, assets) has rows', () => {
    const excluded = excludedFromDocument();
    expect(excluded).toEqual(expect.arrayContaining(['GET /login', 'GET /assets/:name']));
    expect(excluded.filter((route) => !inMatrix.has(route))).toEqual([]);
    const claimed = ROUTES.filter((r) => r.listed === 'excluded controller').map(routeKey);
    expect(claimed.filter((route) => !excluded.includes(route))).toEqual([]);
  });
});
