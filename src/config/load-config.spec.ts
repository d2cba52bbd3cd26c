import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './load-config.js';

const SECRET = 'a-development-secret-of-at-least-32-chars';

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'latchkey-config-'));
}

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: SECRET });
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      publicUrl: 'http://localhost:3000',
      sessionCookieSameSite: 'lax',
      corsAllowedOrigins: [],
      frameAncestors: [],
      jwt: {
        algorithm: 'HS256',
        accessTtl: 900,
        refreshTtl: 2_592_000,
        refreshReuseWindow: 10,
        issuer: 'http://localhost:3000',
      },
      sso: {
        tokenParam: 'token',
        emailClaim: 'email',
        autoCreateUsers: false,
        maxAge: 3600,
        leeway: 30,
        algorithms: ['HS256'],
      },
    });
  });

  it('names the setting of an invalid value', () => {
    expect(problemsOf({ PORT: 'abc' })).toMatch(/PORT: .*integer/);
    expect(problemsOf({ JWT_ALGORITHM: 'none' })).toMatch(/JWT_ALGORITHM/);
    expect(problemsOf({ SESSION_COOKIE_SAMESITE: 'sometimes' })).toMatch(/SESSION_COOKIE_SAMESITE/);
    expect(problemsOf({ JWT_SSO_AUTO_CREATE_USERS: 'perhaps' })).toMatch(/JWT_SSO_AUTO_CREATE_USERS/);
    expect(problemsOf({ CORS_ALLOWED_ORIGINS: 'not a url' })).toMatch(/CORS_ALLOWED_ORIGINS/);
  });

  it('refuses an unknown setting that looks like ours (a typo)', () => {
    expect(problemsOf({ JWT_SSO_SECRTE: 'x' })).toMatch(/JWT_SSO_SECRTE: unknown setting/);
  });

  it('never echoes a secret value', () => {
    const message = problemsOf({ JWT_SECRET: 'too-short-secret' });
    expect(message).toMatch(/JWT_SECRET: must be at least 32 characters/);
    expect(message).not.toContain('too-short-secret');
  });

  it('refuses production without a database URL and explicit secrets', () => {
    const message = problemsOf({ NODE_ENV: 'production', DATA_DIR: dataDir() });
    expect(message).toMatch(/DATABASE_URL: required/);
    expect(message).toMatch(/JWT_SECRET: required/);
    const asymmetric = problemsOf({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/x',
      JWT_ALGORITHM: 'ES256',
    });
    expect(asymmetric).toMatch(/JWT_PRIVATE_KEY: required/);
  });

  it('accepts production with explicit values and generates nothing', () => {
    const dir = dataDir();
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/x',
      JWT_SECRET: SECRET,
      DATA_DIR: dir,
    });
    expect(config.jwt.secret).toBe(SECRET);
    expect(() => statSync(join(dir, 'secrets.json'))).toThrow();
  });

  it('generates development secrets once, keeps them private in DATA_DIR, and reuses them', () => {
    const dir = dataDir();
    const first = loadConfig({ DATA_DIR: dir });
    const second = loadConfig({ DATA_DIR: dir });
    expect(first.jwt.secret?.length).toBeGreaterThanOrEqual(32);
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(second.embeddedDbPassword).toBe(first.embeddedDbPassword);
    const file = join(dir, 'secrets.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('JWT_SECRET', first.jwt.secret);

    const asymmetric = loadConfig({ DATA_DIR: dir, JWT_ALGORITHM: 'ES256' });
    expect(asymmetric.jwt.privateKey).toContain('-----BEGIN PRIVATE KEY-----');
    expect(loadConfig({ DATA_DIR: dir, JWT_ALGORITHM: 'ES256' }).jwt.privateKey).toBe(
      asymmetric.jwt.privateKey,
    );
  });

  it('generates no JWT_SECRET for an asymmetric JWT_ALGORITHM, which needs none', () => {
    const dir = dataDir();
    const config = loadConfig({ DATA_DIR: dir, JWT_ALGORITHM: 'EdDSA' });
    expect(config.jwt.secret).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'secrets.json'), 'utf8'))).not.toHaveProperty('JWT_SECRET');
  });

  it('production with an asymmetric JWT_ALGORITHM and its key writes nothing into DATA_DIR', () => {
    const dir = dataDir();
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const config = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/x',
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: privateKey,
      DATA_DIR: dir,
    });
    expect(config.jwt).toMatchObject({ algorithm: 'ES256', privateKey });
    expect(config.jwt.secret).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('trusts no proxy unless told; true is one proxy, a number that many, a list those addresses', () => {
    const trust = (value?: string) =>
      loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: SECRET, ...(value ? { TRUST_PROXY: value } : {}) })
        .trustProxy;
    expect(trust()).toBe(false);
    expect(trust('false')).toBe(false);
    expect(trust('0')).toBe(false);
    expect(trust('true')).toBe(1);
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 127.0.0.1, ::1, fd00::/8, loopback')).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    expect(problemsOf({ TRUST_PROXY: 'everyone' })).toMatch(/TRUST_PROXY: not an address.*everyone/);
    expect(problemsOf({ TRUST_PROXY: '10.0.0.0/33' })).toMatch(/TRUST_PROXY: .*10\.0\.0\.0\/33/);
    expect(problemsOf({ TRUST_PROXY: 'all the proxies' })).toMatch(/TRUST_PROXY/);
  });

  it('refuses passport with EdDSA', () => {
    expect(problemsOf({ DATA_DIR: dataDir(), JWT_VERIFIER: 'passport', JWT_ALGORITHM: 'EdDSA' })).toMatch(
      /JWT_VERIFIER: passport .* cannot verify EdDSA/,
    );
    expect(problemsOf({ JWT_VERIFIER: 'jose' })).toMatch(/JWT_VERIFIER/);
  });

  it('lets FRAME_ANCESTORS default to CORS_ALLOWED_ORIGINS', () => {
    const config = loadConfig({
      DATA_DIR: dataDir(),
      JWT_SECRET: SECRET,
      CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    });
    expect(config.corsAllowedOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.frameAncestors).toEqual(['https://a.example', 'https://b.example']);
  });

  describe('partner SSO', () => {
    const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }).toString();
    const rsaKey = (bits: number): string =>
      pem(generateKeyPairSync('rsa', { modulusLength: bits }).publicKey);
    const ecKey = (namedCurve: string): string => pem(generateKeyPairSync('ec', { namedCurve }).publicKey);
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://db/x',
      JWT_SECRET: SECRET,
    };
    const strong = rsaKey(2048);

    it('refuses an RSA JWT_SSO_PUBLIC_KEY under 2048 bits, in any environment', () => {
      const weak = rsaKey(1024);
      const envs: Record<string, string>[] = [
        { DATA_DIR: dataDir() },
        { ...production, JWT_SSO_AUDIENCE: 'latchkey' },
      ];
      for (const env of envs) {
        const message = problemsOf({ ...env, JWT_SSO_ALGORITHM: 'RS256', JWT_SSO_PUBLIC_KEY: weak });
        expect(message).toMatch(/JWT_SSO_PUBLIC_KEY: an RSA key of 1024 bits is too weak/);
      }
      const config = loadConfig({
        DATA_DIR: dataDir(),
        JWT_SECRET: SECRET,
        JWT_SSO_ALGORITHM: 'RS256',
        JWT_SSO_PUBLIC_KEY: strong,
      });
      expect(config.sso.publicKey).toBe(strong);
    });

    it('refuses an EC JWT_SSO_PUBLIC_KEY on a curve that is not its algorithm’s', () => {
      const env = { DATA_DIR: dataDir(), JWT_SECRET: SECRET };
      // secp256k1 is ES256K (RFC 8812), not ES256
      expect(
        problemsOf({ ...env, JWT_SSO_ALGORITHM: 'ES256', JWT_SSO_PUBLIC_KEY: ecKey('secp256k1') }),
      ).toMatch(/JWT_SSO_PUBLIC_KEY: an EC key on secp256k1 fits no ES algorithm/);
      expect(
        problemsOf({ ...env, JWT_SSO_ALGORITHM: 'ES256', JWT_SSO_PUBLIC_KEY: ecKey('secp384r1') }),
      ).toMatch(/JWT_SSO_PUBLIC_KEY: this key fits none of JWT_SSO_ALGORITHM \(ES256\); it fits ES384/);
      expect(
        problemsOf({ ...env, JWT_SSO_ALGORITHM: 'RS256', JWT_SSO_PUBLIC_KEY: ecKey('prime256v1') }),
      ).toMatch(/JWT_SSO_PUBLIC_KEY: this key fits none of JWT_SSO_ALGORITHM \(RS256\)/);
      expect(
        problemsOf({
          ...env,
          JWT_SSO_ALGORITHM: 'RS256',
          JWT_SSO_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----',
        }),
      ).toMatch(/JWT_SSO_PUBLIC_KEY: not a readable PEM public key/);
      for (const [alg, curve] of [
        ['ES256', 'prime256v1'],
        ['ES384', 'secp384r1'],
        ['ES512', 'secp521r1'],
      ]) {
        const key = ecKey(curve);
        const config = loadConfig({ ...env, JWT_SSO_ALGORITHM: `RS256,${alg}`, JWT_SSO_PUBLIC_KEY: key });
        expect(config.sso.publicKey).toBe(key);
      }
    });

    it('requires an https JWT_SSO_JWKS_URL in production', () => {
      const message = problemsOf({
        ...production,
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_AUDIENCE: 'latchkey',
        JWT_SSO_JWKS_URL: 'http://partner.example/jwks.json',
      });
      expect(message).toMatch(/JWT_SSO_JWKS_URL: must be an https URL when NODE_ENV=production/);
      const https = loadConfig({
        ...production,
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_AUDIENCE: 'latchkey',
        JWT_SSO_JWKS_URL: 'https://partner.example/jwks.json',
      });
      expect(https.sso.jwksUrl).toBe('https://partner.example/jwks.json');
      // a development machine may run the partner locally
      const local = loadConfig({
        DATA_DIR: dataDir(),
        JWT_SECRET: SECRET,
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_JWKS_URL: 'http://127.0.0.1:9999/jwks.json',
      });
      expect(local.sso.jwksUrl).toBe('http://127.0.0.1:9999/jwks.json');
    });

    it('requires JWT_SSO_AUDIENCE with a partner key pair in production, unless JWT_SSO_AUDIENCE_OPTIONAL=true', () => {
      const keyPairs: Record<string, string>[] = [
        { JWT_SSO_ALGORITHM: 'RS256', JWT_SSO_PUBLIC_KEY: strong },
        { JWT_SSO_ALGORITHM: 'ES256', JWT_SSO_JWKS_URL: 'https://partner.example/jwks.json' },
      ];
      for (const keyPair of keyPairs) {
        expect(problemsOf({ ...production, ...keyPair })).toMatch(
          /JWT_SSO_AUDIENCE: required with JWT_SSO_PUBLIC_KEY or JWT_SSO_JWKS_URL when NODE_ENV=production/,
        );
        expect(loadConfig({ ...production, ...keyPair, JWT_SSO_AUDIENCE: 'latchkey' }).sso.audience).toBe(
          'latchkey',
        );
        expect(
          loadConfig({ ...production, ...keyPair, JWT_SSO_AUDIENCE_OPTIONAL: 'true' }).sso.audience,
        ).toBeUndefined();
        expect(problemsOf({ ...production, ...keyPair, JWT_SSO_AUDIENCE_OPTIONAL: 'false' })).toMatch(
          /JWT_SSO_AUDIENCE: required/,
        );
        // development keeps starting without one
        expect(loadConfig({ DATA_DIR: dataDir(), JWT_SECRET: SECRET, ...keyPair }).sso.audience).toBe(
          undefined,
        );
      }
      // a shared secret is this relying party's alone: no audience needed
      const shared = loadConfig({ ...production, JWT_SSO_SECRET: 'partner-shared-secret-0123456789' });
      expect(shared.sso.secret).toBe('partner-shared-secret-0123456789');
      expect(problemsOf({ JWT_SSO_AUDIENCE_OPTIONAL: 'perhaps' })).toMatch(/JWT_SSO_AUDIENCE_OPTIONAL/);
    });

    it('reads JWT_SSO_REQUIRE_EMAIL_VERIFIED (default false)', () => {
      const env = { DATA_DIR: dataDir(), JWT_SECRET: SECRET };
      expect(loadConfig(env).sso.requireEmailVerified).toBe(false);
      expect(loadConfig({ ...env, JWT_SSO_REQUIRE_EMAIL_VERIFIED: 'true' }).sso.requireEmailVerified).toBe(
        true,
      );
      expect(problemsOf({ ...env, JWT_SSO_REQUIRE_EMAIL_VERIFIED: 'maybe' })).toMatch(
        /JWT_SSO_REQUIRE_EMAIL_VERIFIED/,
      );
    });
  });
});
