import fc from 'fast-check';
import { bearer, newPerson, PASSWORD, type Person } from '../support/actors.js';
import { expectCleanError, logsSettled, stacksInLog } from '../support/bad-input.js';
import { jsonObject, pathSegment, queryString } from '../support/hostile-input.js';
import { type HttpResult, startServer, type TestServer } from '../support/server.js';
import { cookieLogin } from '../support/session.js';

/**
 * Generated input (fast-check) on the OpenID Provider's endpoints and Latchkey's own OIDC routes: never a
 * 5xx, never a stack in the log; OAuth endpoints answer RFC 6749 §5.2 JSON errors, Latchkey's routes the
 * contract's error shape with nothing written.
 */
const REDIRECT = 'https://rp.example/cb';

let t: TestServer;
let admin: Person;
let app: { client_id: string; client_secret: string };

beforeAll(async () => {
  t = await startServer();
  admin = await newPerson(t, { admin: true });
  const created = await t.request('POST', '/api/clients', {
    headers: bearer(admin.accessToken),
    body: { name: 'Fuzzed', type: 'confidential', redirect_uris: [REDIRECT] },
  });
  app = created.body;
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

async function clientRows(): Promise<string> {
  const { rows } = await t.db.query(
    `SELECT md5(string_agg(c::text, '|' ORDER BY client_id)) AS h FROM oidc_clients c`,
  );
  return String(rows[0].h);
}

function below500(what: string, res: HttpResult): void {
  if (res.status >= 500)
    throw new Error(`${res.status} for ${what.slice(0, 300)}: ${res.text.slice(0, 300)}`);
}

/** An OAuth error (RFC 6749 §5.2): JSON with an `error` code, no stack or SQL. */
function oauthError(res: HttpResult): void {
  if (res.status < 400) return;
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(typeof res.body?.error).toBe('string');
  expect(res.text).not.toMatch(/\bat [\w.<>$]+ \(|node_modules|SELECT |INSERT |QueryFailedError/);
}

async function noStacks(from: number): Promise<void> {
  await logsSettled();
  expect(stacksInLog(t, from)).toEqual([]);
}

/** A form body is a query string. */
const form = queryString;

describe('the provider endpoints', () => {
  const basic = () => `Basic ${Buffer.from(`${app.client_id}:${app.client_secret}`).toString('base64')}`;

  it.each([
    [
      '/oidc/token',
      ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'client_id'],
    ],
    ['/oidc/introspect', ['token', 'token_type_hint', 'client_id']],
    ['/oidc/revoke', ['token', 'token_type_hint', 'client_id']],
  ])('POST %s: generated form bodies, with and without client credentials', async (path, params) => {
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(form(params), fc.boolean(), async (body, authenticated) => {
        const res = await t.request('POST', path, {
          raw: body,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(authenticated ? { authorization: basic() } : {}),
          },
        });
        below500(`${path} ${body}`, res);
        oauthError(res);
      }),
      { numRuns: 60 },
    );
    await noStacks(from);
  });

  it('GET /oidc/authorize: generated query strings around a registered client', async () => {
    const from = t.logs.length;
    const known = `client_id=${app.client_id}&redirect_uri=${encodeURIComponent(REDIRECT)}&`;
    const params = [
      'response_type',
      'scope',
      'state',
      'nonce',
      'prompt',
      'max_age',
      'code_challenge',
      'code_challenge_method',
      'login_hint',
      'client_id',
      'redirect_uri',
      'request',
      'response_mode',
    ];
    await fc.assert(
      fc.asyncProperty(fc.boolean(), queryString(params), async (withClient, query) => {
        const res = await t.request('GET', `/oidc/authorize?${withClient ? known : ''}${query}`);
        below500(`authorize ${query}`, res);
        const location = res.headers.get('location');
        // A redirect goes to the registered URI or to our own sign-in step, never elsewhere.
        if (location)
          expect(location.startsWith(REDIRECT) || location.startsWith('/interaction/')).toBe(true);
      }),
      { numRuns: 120 },
    );
    await noStacks(from);
  });

  it('GET /oidc/userinfo: generated bearer tokens are 401 with a challenge', async () => {
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), async (token) => {
        const value = token.replace(/[^\x21-\x7e]/g, '') || 'x';
        const res = await t.request('GET', '/oidc/userinfo', {
          headers: { authorization: `Bearer ${value}` },
        });
        below500('userinfo', res);
        expect(res.status).toBe(401);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      }),
      { numRuns: 60 },
    );
    await noStacks(from);
  });

  it('GET /interaction/:uid and /oidc/authorize/:uid: generated segments', async () => {
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(
        pathSegment,
        fc.constantFrom('/interaction/', '/oidc/authorize/'),
        async (segment, prefix) => {
          const res = await t.request('GET', `${prefix}${segment}`);
          below500(`${prefix}${segment}`, res);
        },
      ),
      { numRuns: 60 },
    );
    await noStacks(from);
  });
});

describe("Latchkey's own OIDC routes", () => {
  it.each(['POST /api/clients', 'PATCH /api/clients/:id'])('%s: generated JSON bodies', async (name) => {
    const [method, template] = name.split(' ');
    const path = template.replace(':id', app.client_id);
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(jsonObject, async (raw) => {
        const before = await clientRows();
        const res = await t.request(method, path, {
          raw,
          headers: { ...bearer(admin.accessToken), 'content-type': 'application/json' },
        });
        below500(`${name} ${raw}`, res);
        if (res.status >= 400) {
          expectCleanError(res);
          expect(await clientRows()).toBe(before);
        }
      }),
      { numRuns: 80 },
    );
    await noStacks(from);
  });

  it('POST /interaction/:uid/consent: generated bodies and segments, with the CSRF header', async () => {
    const person = await newPerson(t);
    const jar = await cookieLogin(t, person.email, PASSWORD);
    const cookie = `access_token=${jar.access_token}; csrf_token=${jar.csrf_token}`;
    const from = t.logs.length;
    await fc.assert(
      fc.asyncProperty(pathSegment, jsonObject, async (segment, raw) => {
        const res = await t.request('POST', `/interaction/${segment}/consent`, {
          raw,
          headers: { cookie, 'x-csrf-token': jar.csrf_token, 'content-type': 'application/json' },
        });
        below500(`consent ${segment} ${raw}`, res);
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      { numRuns: 60 },
    );
    const { rows } = await t.db.query(`SELECT count(*)::int AS n FROM oidc_consents`);
    expect(rows[0].n).toBe(0);
    await noStacks(from);
  });
});
