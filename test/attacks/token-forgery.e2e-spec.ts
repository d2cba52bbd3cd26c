import { createServer, type Server } from 'node:http';
import { createPublicKey, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { b64, decodePart, nowSeconds, signAsymmetric, signHmac } from '../support/jwt.js';
import {
  freePort,
  startServer,
  TEST_JWT_SECRET,
  WRITE_TOKEN,
  type HttpResult,
  type TestServer,
} from '../support/server.js';

/**
 * The jwt_tool playbook and RFC 8725, against every entry point that takes a token: our access tokens as a
 * Bearer header, as the access-token cookie (API and pages), and partner SSO tokens as `?token=` on a page
 * and on /sso/login. One corpus per kind of token; each forgery must be refused everywhere, with nothing
 * written and nothing fetched.
 */

const SSO_SECRET = 'partner-secret-for-the-forgery-suite-0123456789';
const PASSWORD = 'forgery suite password';

const ours = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const oursRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const oursEd = generateKeyPairSync('ed25519');
const partner = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const partnerRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = (key: KeyObject): string =>
  key.export({ type: key.type === 'private' ? 'pkcs8' : 'spki', format: 'pem' }).toString();

// hs: HS256 for our tokens and the partner's. es: ES256 for both (the partner's public key as PEM).
let hs: TestServer;
let es: TestServer;
let rs: TestServer; // RS256 for our tokens
let ed: TestServer; // EdDSA for our tokens
let viaPassport: TestServer; // HS256, verified by passport-jwt (JWT_VERIFIER=passport)
let mixed: TestServer; // partner tokens HS256 or RS256: both a shared secret and a public key configured
// Anything that follows a jku/x5u URL in a token would knock here.
let trap: Server;
let trapUrl: string;
const trapped: string[] = [];

beforeAll(async () => {
  const trapPort = await freePort();
  trapUrl = `http://127.0.0.1:${trapPort}`;
  trap = createServer((req, res) => {
    trapped.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise<void>((resolve) => trap.listen(trapPort, '127.0.0.1', resolve));
  [hs, es, rs, ed, viaPassport, mixed] = await Promise.all([
    startServer({ JWT_SSO_SECRET: SSO_SECRET, JWT_SSO_AUTO_CREATE_USERS: 'true' }),
    startServer({
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: pem(ours.privateKey),
      JWT_SSO_ALGORITHM: 'ES256',
      JWT_SSO_PUBLIC_KEY: pem(partner.publicKey),
      JWT_SSO_AUTO_CREATE_USERS: 'true',
    }),
    startServer({ JWT_ALGORITHM: 'RS256', JWT_PRIVATE_KEY: pem(oursRsa.privateKey) }),
    startServer({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY: pem(oursEd.privateKey) }),
    startServer({ JWT_VERIFIER: 'passport' }),
    startServer({
      JWT_SSO_SECRET: SSO_SECRET,
      JWT_SSO_ALGORITHM: 'HS256,RS256',
      JWT_SSO_PUBLIC_KEY: pem(partnerRsa.publicKey),
      JWT_SSO_AUTO_CREATE_USERS: 'true',
    }),
  ]);
});

afterAll(async () => {
  await Promise.all([hs, es, rs, ed, viaPassport, mixed].map((server) => server?.stop()));
  trap?.close();
});

afterAll(() => {
  // No token of this file made Latchkey fetch anything: jku, x5u and jwk are never followed.
  expect(trapped).toEqual([]);
});

/** A genuine access token of a fresh user on this server, and its parts. */
async function genuine(server: TestServer): Promise<{ token: string; header: any; claims: any }> {
  const email = `victim-${randomUUID().slice(0, 8)}@forgery.example`;
  const created = await server.request('POST', '/api/users', {
    apiToken: WRITE_TOKEN,
    body: { email, password: PASSWORD },
  });
  expect(created.status).toBe(201);
  const login = await server.request('POST', '/token', { body: { username: email, password: PASSWORD } });
  expect(login.status).toBe(200);
  const token: string = login.body.access_token;
  return { token, header: decodePart(token, 0), claims: decodePart(token, 1) };
}

/**
 * The signature with one bit of its first byte flipped. Not a changed last character: the last base64url
 * character of a 32-byte signature also carries two padding bits, so 'A'↔'B' can decode to the same bytes.
 */
function flipSignatureBit(segment: string): string {
  const bytes = Buffer.from(segment, 'base64url');
  bytes[0] ^= 0x01;
  return bytes.toString('base64url');
}

// ---------------------------------------------------------------------------------------------
// Our access tokens

type Forge = (g: { token: string; header: any; claims: any }) => string;

/** Forgeries of an HS256 access token; the attacker knows everything but the secret (and sometimes even it). */
const hsForgeries: [string, Forge][] = [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): [string, Forge] => [
    `alg ${alg}, empty signature`,
    (g) => `${b64({ ...g.header, alg })}.${b64(g.claims)}.`,
  ]),
  [
    'alg none keeping the genuine signature',
    (g) => `${b64({ ...g.header, alg: 'none' })}.${g.token.split('.').slice(1).join('.')}`,
  ],
  ['signature stripped', (g) => g.token.split('.').slice(0, 2).join('.')],
  ['signature emptied', (g) => `${g.token.split('.').slice(0, 2).join('.')}.`],
  [
    'signature altered',
    (g) => {
      const [h, p, s] = g.token.split('.');
      return `${h}.${p}.${flipSignatureBit(s)}`;
    },
  ],
  [
    'claims altered under the genuine signature',
    (g) => {
      const [h, , s] = g.token.split('.');
      return `${h}.${b64({ ...g.claims, is_admin: true })}.${s}`;
    },
  ],
  [
    'HS384 with the right secret',
    (g) => signHmac({ ...g.header, alg: 'HS384' }, g.claims, TEST_JWT_SECRET, 'sha384'),
  ],
  [
    'HS512 with the right secret',
    (g) => signHmac({ ...g.header, alg: 'HS512' }, g.claims, TEST_JWT_SECRET, 'sha512'),
  ],
  [
    'RS256 header over an HMAC signature',
    (g) => signHmac({ ...g.header, alg: 'RS256' }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'ES256 with a zero signature',
    (g) => `${b64({ ...g.header, alg: 'ES256' })}.${b64(g.claims)}.${Buffer.alloc(64).toString('base64url')}`,
  ],
  ...[
    '../../../../../../dev/null',
    "x' UNION SELECT 'key' --",
    '$(touch /tmp/latchkey-pwned)',
    '| id',
    '/proc/self/environ',
  ].flatMap((kid): [string, Forge][] => [
    [
      `kid ${JSON.stringify(kid)}, signed with an empty key`,
      (g) => signHmac({ ...g.header, kid }, g.claims, ''),
    ],
    [`kid ${JSON.stringify(kid)}, signed with 'key'`, (g) => signHmac({ ...g.header, kid }, g.claims, 'key')],
    [
      `kid ${JSON.stringify(kid)}, even with the right secret`,
      (g) => signHmac({ ...g.header, kid }, g.claims, TEST_JWT_SECRET),
    ],
  ]),
  [
    'jku to another server (right secret)',
    (g) => signHmac({ ...g.header, jku: `${trapUrl}/jwks.json` }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'x5u to another server (right secret)',
    (g) => signHmac({ ...g.header, x5u: `${trapUrl}/cert.pem` }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'an embedded jwk (right secret)',
    (g) => signHmac({ ...g.header, jwk: { kty: 'oct', k: b64('key') } }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'an unknown crit extension (right secret)',
    (g) => signHmac({ ...g.header, crit: ['exp2'], exp2: 1 }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'b64:false (right secret)',
    (g) => signHmac({ ...g.header, b64: false, crit: ['b64'] }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'exp as a string (right secret)',
    (g) => signHmac(g.header, { ...g.claims, exp: String(g.claims.exp) }, TEST_JWT_SECRET),
  ],
  ['exp 1e308 (right secret)', (g) => signHmac(g.header, { ...g.claims, exp: 1e308 }, TEST_JWT_SECRET)],
  [
    'exp beyond any integer (right secret)',
    (g) =>
      signHmac(
        g.header,
        JSON.stringify(g.claims).replace(/"exp":\d+/, '"exp":99999999999999999999999'),
        TEST_JWT_SECRET,
      ),
  ],
  [
    'exp a year away (right secret)',
    (g) => signHmac(g.header, { ...g.claims, exp: nowSeconds() + 365 * 86400 }, TEST_JWT_SECRET),
  ],
  ['exp null (right secret)', (g) => signHmac(g.header, { ...g.claims, exp: null }, TEST_JWT_SECRET)],
  [
    'iat an hour ahead (right secret)',
    (g) =>
      signHmac(
        g.header,
        { ...g.claims, iat: nowSeconds() + 3600, exp: nowSeconds() + 3600 + 900 },
        TEST_JWT_SECRET,
      ),
  ],
  [
    'nbf an hour ahead (right secret)',
    (g) => signHmac(g.header, { ...g.claims, nbf: nowSeconds() + 3600 }, TEST_JWT_SECRET),
  ],
  ...['sub', 'iss', 'email', 'username', 'jti'].map((claim): [string, Forge] => [
    `${claim} as an array (right secret)`,
    (g) => signHmac(g.header, { ...g.claims, [claim]: [g.claims[claim]] }, TEST_JWT_SECRET),
  ]),
  [
    'typ as an array (right secret)',
    (g) => signHmac({ ...g.header, typ: [g.header.typ] }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'alg as an array (right secret)',
    (g) => signHmac({ ...g.header, alg: ['HS256'] }, g.claims, TEST_JWT_SECRET),
  ],
  [
    'an audience of another service (right secret)',
    (g) => signHmac(g.header, { ...g.claims, aud: 'https://other.example' }, TEST_JWT_SECRET),
  ],
  [
    'over 8 KiB (right secret)',
    (g) => signHmac(g.header, { ...g.claims, pad: 'x'.repeat(9000) }, TEST_JWT_SECRET),
  ],
];

/** Forgeries of an asymmetric access token (ES256, RS256, EdDSA): key confusion and signature tricks. */
function asymmetricForgeries(
  keys: { privateKey: KeyObject; publicKey: KeyObject },
  another: () => KeyObject,
  signatureBytes: number,
): [string, Forge][] {
  const hs256 = (g: Parameters<Forge>[0], secret: string | Buffer): string =>
    signHmac({ ...g.header, alg: 'HS256' }, g.claims, secret);
  return [
    ['HS256 keyed with our public key (PEM)', (g) => hs256(g, pem(keys.publicKey))],
    [
      'HS256 keyed with our public key (PEM, no final newline)',
      (g) => hs256(g, pem(keys.publicKey).trimEnd()),
    ],
    [
      'HS256 keyed with our public key (JWK JSON)',
      (g) => hs256(g, JSON.stringify(keys.publicKey.export({ format: 'jwk' }))),
    ],
    [
      'HS256 keyed with our public key (DER)',
      (g) => hs256(g, keys.publicKey.export({ type: 'spki', format: 'der' })),
    ],
    ['HS256 keyed with JWT_SECRET (still in the environment)', (g) => hs256(g, TEST_JWT_SECRET)],
    [
      'an all-zero signature',
      (g) => `${b64(g.header)}.${b64(g.claims)}.${Buffer.alloc(signatureBytes).toString('base64url')}`,
    ],
    [
      'a signature of the wrong length',
      (g) => {
        const [h, p, sig] = g.token.split('.');
        return `${h}.${p}.${sig}AAAA`;
      },
    ],
    ['signed by another key under our kid', (g) => signAsymmetric(g.header, g.claims, another())],
    [
      'signed by our key under another kid',
      (g) => signAsymmetric({ ...g.header, kid: 'other' }, g.claims, keys.privateKey),
    ],
    [
      'our key, with a jwk header of the attacker',
      (g) =>
        signAsymmetric(
          { ...g.header, jwk: partner.publicKey.export({ format: 'jwk' }) },
          g.claims,
          keys.privateKey,
        ),
    ],
    [
      'another key, with its own jwk embedded',
      (g) => {
        const key = another();
        return signAsymmetric(
          { ...g.header, jwk: createPublicKey(key).export({ format: 'jwk' }) },
          g.claims,
          key,
        );
      },
    ],
    ['alg none', (g) => `${b64({ ...g.header, alg: 'none' })}.${b64(g.claims)}.`],
    [
      'our key, iat an hour ahead',
      (g) =>
        signAsymmetric(
          g.header,
          { ...g.claims, iat: nowSeconds() + 3600, exp: nowSeconds() + 4500 },
          keys.privateKey,
        ),
    ],
    [
      'our key, exp a day away',
      (g) => signAsymmetric(g.header, { ...g.claims, exp: nowSeconds() + 86400 }, keys.privateKey),
    ],
  ];
}

describe.each([
  ['HS256', () => hs, hsForgeries],
  ['HS256 through passport-jwt', () => viaPassport, hsForgeries],
  [
    'ES256',
    () => es,
    asymmetricForgeries(ours, () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 64),
  ],
  [
    'RS256',
    () => rs,
    asymmetricForgeries(oursRsa, () => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, 256),
  ],
  ['EdDSA', () => ed, asymmetricForgeries(oursEd, () => generateKeyPairSync('ed25519').privateKey, 64)],
] as const)('forged %s access tokens', (_alg, server, forgeries) => {
  let g: { token: string; header: any; claims: any };

  beforeAll(async () => {
    g = await genuine(server());
  });

  it('control: the genuine token opens every entry point', async () => {
    expect(
      (await server().request('GET', '/protected', { headers: { authorization: `Bearer ${g.token}` } }))
        .status,
    ).toBe(200);
    expect(
      (await server().request('GET', '/protected', { headers: { cookie: `access_token=${g.token}` } }))
        .status,
    ).toBe(200);
    expect(
      (await server().request('GET', '/', { headers: { cookie: `access_token=${g.token}` } })).status,
    ).toBe(200);
  });

  it.each(forgeries)('%s: 401 as Bearer and as cookie, and no page opens', async (_name, forge) => {
    const token = forge(g);
    const started = Date.now();
    expectRefused(
      await server().request('GET', '/protected', { headers: { authorization: `Bearer ${token}` } }),
    );
    expectRefused(await server().request('GET', '/api/me', { headers: { cookie: `access_token=${token}` } }));
    const page = await server().request('GET', '/', { headers: { cookie: `access_token=${token}` } });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/login');
    // refused without any slow work: no database round trip is needed to say no
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

function expectRefused(res: HttpResult): void {
  expect(res.status).toBe(401);
  expect(['invalid_token', 'token_expired']).toContain(res.body?.code);
  expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
  expect(res.text).not.toMatch(/at .*\(|node_modules|TokenError|FAST_JWT/);
}

// ---------------------------------------------------------------------------------------------
// Partner SSO tokens on ?token= and /sso/login

type ForgeSso = (claims: Record<string, unknown>) => string;

const partnerClaims = (email: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  email,
  iat: nowSeconds(),
  exp: nowSeconds() + 300,
  jti: randomUUID(),
  ...extra,
});

const hsHeader = { alg: 'HS256', typ: 'JWT' };
const ssoHs = (claims: Record<string, unknown>, header: object = hsHeader): string =>
  signHmac(header, claims, SSO_SECRET);

const hsSsoForgeries: [string, ForgeSso][] = [
  ...['none', 'None', 'NONE', 'nOnE'].map((alg): [string, ForgeSso] => [
    `alg ${alg}`,
    (c) => `${b64({ alg, typ: 'JWT' })}.${b64(c)}.`,
  ]),
  ['signature stripped', (c) => ssoHs(c).split('.').slice(0, 2).join('.')],
  [
    'signature altered',
    (c) => {
      const [h, p, s] = ssoHs(c).split('.');
      return `${h}.${p}.${flipSignatureBit(s)}`;
    },
  ],
  ['signed with another secret', (c) => signHmac(hsHeader, c, 'not-the-partner-secret-0123456789')],
  [
    'HS512 with the right secret (only HS256 is allowed)',
    (c) => signHmac({ alg: 'HS512', typ: 'JWT' }, c, SSO_SECRET, 'sha512'),
  ],
  [
    'kid traversal, signed with an empty key',
    (c) => signHmac({ ...hsHeader, kid: '../../../../dev/null' }, c, ''),
  ],
  ["kid SQL, signed with 'key'", (c) => signHmac({ ...hsHeader, kid: "x' UNION SELECT 'key' --" }, c, 'key')],
  [
    'jku to another server, signed with its key',
    (c) => signHmac({ ...hsHeader, jku: `${trapUrl}/jwks.json` }, c, 'key'),
  ],
  [
    'x5u to another server, signed with its key',
    (c) => signHmac({ ...hsHeader, x5u: `${trapUrl}/x.pem` }, c, 'key'),
  ],
  [
    'an embedded jwk, signed with it',
    (c) => signHmac({ ...hsHeader, jwk: { kty: 'oct', k: b64('key') } }, c, 'key'),
  ],
  ['an unknown crit extension (right secret)', (c) => ssoHs(c, { ...hsHeader, crit: ['exp2'], exp2: 1 })],
  ['b64:false (right secret)', (c) => ssoHs(c, { ...hsHeader, b64: false, crit: ['b64'] })],
  ['exp as a string (right secret)', (c) => ssoHs({ ...c, exp: String(c.exp) })],
  ['exp 1e308 (right secret)', (c) => ssoHs({ ...c, exp: 1e308 })],
  ['exp a year away (right secret)', (c) => ssoHs({ ...c, exp: nowSeconds() + 365 * 86400 })],
  ['no exp (right secret)', (c) => ssoHs({ ...c, exp: undefined })],
  [
    'iat an hour ahead (right secret)',
    (c) => ssoHs({ ...c, iat: nowSeconds() + 3600, exp: nowSeconds() + 3900 }),
  ],
  ['nbf an hour ahead (right secret)', (c) => ssoHs({ ...c, nbf: nowSeconds() + 3600 })],
  ['email as an array (right secret)', (c) => ssoHs({ ...c, email: [c.email] })],
  ['iss as an array (right secret)', (c) => ssoHs({ ...c, iss: ['https://partner.example'] })],
  ['jti as an array (right secret)', (c) => ssoHs({ ...c, jti: [c.jti] })],
  ['sub as an array (right secret)', (c) => ssoHs({ ...c, sub: ['partner-user-1'] })],
  ['aud as an object (right secret)', (c) => ssoHs({ ...c, aud: { a: 1 } })],
  ['jti as an object (right secret)', (c) => ssoHs({ ...c, jti: { id: c.jti } })],
  ['exp as an array (right secret)', (c) => ssoHs({ ...c, exp: [c.exp] })],
  [
    'kid shell string, signed with an empty key',
    (c) => signHmac({ ...hsHeader, kid: '$(touch /tmp/latchkey-pwned)' }, c, ''),
  ],
  ['email_verified false (right secret)', (c) => ssoHs({ ...c, email_verified: false })],
  ['over 8 KiB (right secret)', (c) => ssoHs({ ...c, pad: 'x'.repeat(9000) })],
];

const esHeader = { alg: 'ES256', typ: 'JWT' };
const esSsoForgeries: [string, ForgeSso][] = [
  ['HS256 keyed with the partner public key (PEM)', (c) => signHmac(hsHeader, c, pem(partner.publicKey))],
  [
    'HS256 keyed with the partner public key (JWK JSON)',
    (c) => signHmac(hsHeader, c, JSON.stringify(partner.publicKey.export({ format: 'jwk' }))),
  ],
  ['ES256 with r = s = 0', (c) => `${b64(esHeader)}.${b64(c)}.${Buffer.alloc(64).toString('base64url')}`],
  [
    'ES256 signed by another key',
    (c) => signAsymmetric(esHeader, c, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey),
  ],
  [
    'ES256 by another key with its jwk embedded',
    (c) => {
      const k = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return signAsymmetric({ ...esHeader, jwk: k.publicKey.export({ format: 'jwk' }) }, c, k.privateKey);
    },
  ],
  [
    'ES256 by another key with jku to its JWKS',
    (c) =>
      signAsymmetric(
        { ...esHeader, jku: `${trapUrl}/jwks.json` },
        c,
        generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
      ),
  ],
  [
    'our own access-token key (ES256) signing a partner token',
    (c) => signAsymmetric(esHeader, c, ours.privateKey),
  ],
  ['alg none', (c) => `${b64({ alg: 'none' })}.${b64(c)}.`],
];

// With both a shared secret and a partner key, the key must still never serve as an HMAC secret.
const mixedSsoForgeries: [string, ForgeSso][] = [
  [
    'HS256 keyed with the partner RSA public key (PEM)',
    (c) => signHmac(hsHeader, c, pem(partnerRsa.publicKey)),
  ],
  [
    'HS256 keyed with the partner RSA public key (JWK JSON)',
    (c) => signHmac(hsHeader, c, JSON.stringify(partnerRsa.publicKey.export({ format: 'jwk' }))),
  ],
  ['RS256 signed by another key', (c) => signAsymmetric({ alg: 'RS256', typ: 'JWT' }, c, oursRsa.privateKey)],
  [
    'RS384 header over an RS256 signature',
    (c) => signAsymmetric({ alg: 'RS384', typ: 'JWT' }, c, partnerRsa.privateKey),
  ],
  ['alg none', (c) => `${b64({ alg: 'none' })}.${b64(c)}.`],
];

describe.each([
  ['HS256', () => hs, hsSsoForgeries, (c: Record<string, unknown>) => ssoHs(c)],
  [
    'ES256',
    () => es,
    esSsoForgeries,
    (c: Record<string, unknown>) => signAsymmetric(esHeader, c, partner.privateKey),
  ],
  [
    'HS256 or RS256 (secret and key both configured)',
    () => mixed,
    mixedSsoForgeries,
    (c: Record<string, unknown>) => signAsymmetric({ alg: 'RS256', typ: 'JWT' }, c, partnerRsa.privateKey),
  ],
] as const)('forged %s partner tokens', (_alg, server, forgeries, sign) => {
  it('control: a genuine partner token signs in on a page and on /sso/login', async () => {
    for (const path of ['/', '/sso/login']) {
      const res = await server().request(
        'GET',
        `${path}?token=${sign(partnerClaims(`ok-${randomUUID()}@partner.example`))}`,
      );
      expect(res.status).toBe(302);
      expect(res.headers.getSetCookie().join()).toContain('access_token=');
    }
  });

  it.each(forgeries)('%s: 401 on ?token= and on /sso/login, no cookie, no user', async (_name, forge) => {
    for (const path of ['/', '/sso/login']) {
      const email = `forged-${randomUUID()}@partner.example`;
      const token = forge(partnerClaims(email));
      const res = await server().request('GET', `${path}?token=${token}`);
      expect(res.status).toBe(401);
      expect(res.body?.code).toBe('sso_token_invalid');
      expect(res.headers.getSetCookie()).toEqual([]);
      expect(res.text).not.toMatch(/at .*\(|node_modules|TokenError|FAST_JWT/);
      const { rows } = await server().db.query('SELECT count(*)::int AS n FROM users WHERE email = $1', [
        email,
      ]);
      expect(rows[0].n).toBe(0);
    }
  });
});

describe('SSO: one token, one sign-in', () => {
  it('the shared secret still works beside the key on the mixed server (control)', async () => {
    expect(
      (await mixed.request('GET', `/?token=${ssoHs(partnerClaims(`mix-${randomUUID()}@partner.example`))}`))
        .status,
    ).toBe(302);
  });

  it.each([
    ['/?token=', '/?token='],
    ['/sso/login?token=', '/sso/login?token='],
    ['/?token=', '/sso/login?token='],
    ['/sso/login?token=', '/reports?token='],
  ])('used on %s, replayed on %s: 401, no cookie', async (first, second) => {
    const token = ssoHs(partnerClaims(`once-${randomUUID()}@partner.example`));
    expect((await hs.request('GET', `${first}${token}`)).status).toBe(302);
    const again = await hs.request('GET', `${second}${token}`);
    expect(again.status).toBe(401);
    expect(again.body.code).toBe('sso_token_replayed');
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it.each([
    ['a fourth segment', (token: string) => `${token}.x`],
    ['trailing whitespace', (token: string) => `${token}%20`],
    ['leading whitespace', (token: string) => `%20${token}`],
    ['a trailing dot', (token: string) => `${token}.`],
  ])('a used token with %s is no new token', async (_what, respell) => {
    const token = ssoHs(partnerClaims(`garbage-${randomUUID()}@partner.example`));
    expect((await hs.request('GET', `/?token=${token}`)).status).toBe(302);
    const res = await hs.request('GET', `/?token=${respell(token)}`);
    expect(res.status).toBe(401);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it.each(['/', '/sso/login'])('privilege claims grant nothing on %s', async (path) => {
    const email = `privileged-${randomUUID()}@partner.example`;
    const claims = partnerClaims(email, {
      is_admin: true,
      admin: true,
      role: 'admin',
      roles: ['admin'],
      groups: ['admins'],
      scope: 'users:write',
      scp: ['users:write'],
      permissions: ['*'],
    });
    const res = await hs.request('GET', `${path}?token=${ssoHs(claims)}`);
    expect(res.status).toBe(302);
    const access = (res.headers.getSetCookie().find((l) => l.startsWith('access_token=')) ?? '')
      .split(';')[0]
      .slice(13);
    expect(decodePart(access, 1).is_admin).toBe(false);
    const { rows } = await hs.db.query('SELECT is_admin FROM users WHERE email = $1', [email]);
    expect(rows).toEqual([{ is_admin: false }]);
    const write = await hs.request('POST', '/api/users', {
      headers: { authorization: `Bearer ${access}` },
      body: { email: `by-${randomUUID()}@x.example` },
    });
    expect(write.status).toBe(403);
  });
});

describe('SSO replay', () => {
  it('a used token stays used however its signature is re-spelled', async () => {
    const token = ssoHs(partnerClaims(`replay-${randomUUID()}@partner.example`));
    expect((await hs.request('GET', `/?token=${token}`)).status).toBe(302);
    const [h, p, s] = token.split('.');
    // An HMAC-SHA256 signature is 43 base64url characters; the last one carries 2 spare bits that decoders
    // ignore, so these spell the very same signature differently.
    const last = s.at(-1) ?? 'A';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const base = alphabet.indexOf(last) & ~3;
    const respellings = [1, 2, 3]
      .map((bits) => `${h}.${p}.${s.slice(0, -1)}${alphabet[base | bits]}`)
      .filter((t) => t !== token);
    for (const variant of [...respellings, `${token}=`, `${h}.${p}.${s}==`, `${h}=.${p}.${s}`]) {
      const res = await hs.request('GET', `/?token=${encodeURIComponent(variant)}`);
      expect(res.status).toBe(401);
      expect(['sso_token_replayed', 'sso_token_invalid']).toContain(res.body?.code);
      expect(res.headers.getSetCookie()).toEqual([]);
    }
  });
});
