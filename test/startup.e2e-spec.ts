import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { childrenOf, isAlive, waitUntilGone } from './support/own-postgres.js';
import { MAIN, startServer, testDataDir, type TestServer, WRITE_TOKEN } from './support/server.js';

/**
 * How Latchkey starts (contract §1): `npm start`'s path with the embedded PostgreSQL under DATA_DIR,
 * a clean stop, a restart on the same data, the generated development secrets, and configuration
 * errors that stop start-up with a message naming the setting.
 */

/** A DATA_DIR the embedded PostgreSQL can use: as root it runs as the `postgres` user, which must enter it. */
function embeddedDataDir(): string {
  const dir = testDataDir();
  chmodSync(dir, 0o755);
  return dir;
}

/** The postmaster's pid and its children's (Linux /proc), to check that none is left after a stop. */
function postgresProcesses(dataDir: string): number[] {
  const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  return [postmaster, ...(existsSync('/proc') ? childrenOf(postmaster) : [])];
}

function readSecrets(dataDir: string): Record<string, string> {
  return JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as Record<string, string>;
}

describe('npm start with the embedded PostgreSQL', () => {
  const dataDir = embeddedDataDir();
  // No JWT_SECRET: a development start generates one and keeps it in DATA_DIR.
  const env = { DATA_DIR: dataDir, JWT_SECRET: '' };
  let userId: string;
  let jwtSecret: string;

  it('starts its own database under DATA_DIR/pg, serves, and stops cleanly on SIGINT', async () => {
    const t: TestServer = await startServer(env, { embedded: true });
    let stopped = false;
    try {
      expect(t.databaseUrl).toBe('');
      const health = await t.request('GET', '/health');
      expect(health.status).toBe(200);
      expect(health.body).toEqual({ status: 'ok' });
      expect(existsSync(join(dataDir, 'pg', 'PG_VERSION'))).toBe(true);

      // prints the URL and, on first start, how to sign in
      const output = t.logs.join('\n');
      expect(output).toContain(t.baseUrl);
      expect(output).toContain('admin:create');

      const created = await t.request('POST', '/api/users', {
        apiToken: WRITE_TOKEN,
        body: { email: 'persist@example.com', first_name: 'Still', last_name: 'Here' },
      });
      expect(created.status).toBe(201);
      userId = created.body.id;

      const pids = postgresProcesses(dataDir);
      // the postmaster and its background workers
      expect(pids.length).toBeGreaterThan(existsSync('/proc') ? 1 : 0);
      expect(pids.every(isAlive)).toBe(true);

      const code = await t.stop('SIGINT');
      stopped = true;
      expect(code).toBe(0);
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
      expect(await waitUntilGone(pids)).toEqual([]);
    } finally {
      if (!stopped) await t.stop();
    }
  });

  it('keeps the generated development secrets in DATA_DIR/secrets.json, mode 0600', () => {
    const file = join(dataDir, 'secrets.json');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const secrets = readSecrets(dataDir);
    expect(typeof secrets.JWT_SECRET).toBe('string');
    expect(secrets.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    jwtSecret = secrets.JWT_SECRET;
  });

  it('restarts on the same DATA_DIR: same data, same secrets, clean stop again', async () => {
    expect(userId).toBeDefined();
    const t = await startServer(env, { embedded: true });
    let stopped = false;
    try {
      const res = await t.request('GET', `/api/users/${userId}`, { apiToken: WRITE_TOKEN });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: userId, email: 'persist@example.com', first_name: 'Still' });
      const list = await t.request('GET', '/api/users', { apiToken: WRITE_TOKEN });
      expect(list.body.count).toBe(1);

      expect(readSecrets(dataDir).JWT_SECRET).toBe(jwtSecret);
      expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);

      const pids = postgresProcesses(dataDir);
      const code = await t.stop('SIGTERM');
      stopped = true;
      expect(code).toBe(0);
      expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);
      expect(await waitUntilGone(pids)).toEqual([]);
    } finally {
      if (!stopped) await t.stop();
    }
  });
});

describe('configuration errors stop start-up with a message naming the setting', () => {
  /** Runs `node dist/src/main.js` with only these settings, in an empty folder (no .env). */
  function start(settings: Record<string, string>): { code: number | null; stderr: string; dataDir: string } {
    const dataDir = testDataDir();
    const result = spawnSync(process.execPath, [MAIN], {
      cwd: dataDir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, PORT: '0', ...settings },
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: result.status, stderr: result.stderr, dataDir };
  }

  function expectRefused(result: { code: number | null; stderr: string; dataDir: string }): void {
    expect(result.code).toBe(1);
    // it stopped before starting a database or generating a secret: nothing at all in DATA_DIR
    expect(readdirSync(result.dataDir)).toEqual([]);
    // a message, not a stack trace
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }

  it('PORT=abc', () => {
    const result = start({ PORT: 'abc' });
    expectRefused(result);
    expect(result.stderr).toContain('PORT');
  });

  it('NODE_ENV=production without DATABASE_URL and JWT_SECRET', () => {
    const result = start({ NODE_ENV: 'production' });
    expectRefused(result);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).toContain('JWT_SECRET');
    // no secret was generated for production
    expect(existsSync(join(result.dataDir, 'secrets.json'))).toBe(false);
  });

  it('JWT_SECRET too short, without echoing its value', () => {
    for (const secret of ['short', 'tooShort-Secret-42']) {
      const result = start({ JWT_SECRET: secret });
      expectRefused(result);
      expect(result.stderr).toContain('JWT_SECRET');
      expect(result.stderr).not.toContain(secret);
    }
  });

  it('an invalid DATABASE_URL, without echoing its password', () => {
    const result = start({ DATABASE_URL: 'mysql://user:hunter2-secret@db/x' });
    expectRefused(result);
    expect(result.stderr).toContain('DATABASE_URL');
    expect(result.stderr).not.toContain('hunter2-secret');
  });

  it('an unknown setting JWT_SSO_SECRTE=x', () => {
    const result = start({ JWT_SSO_SECRTE: 'x' });
    expectRefused(result);
    expect(result.stderr).toContain('JWT_SSO_SECRTE');
  });

  describe('partner keys', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://latchkey@db.invalid/latchkey',
      JWT_SECRET: 'a-production-secret-of-at-least-32-chars',
    };
    const spki = { type: 'spki', format: 'pem' } as const;

    it('an RSA JWT_SSO_PUBLIC_KEY under 2048 bits', () => {
      const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export(spki).toString();
      const result = start({ JWT_SSO_ALGORITHM: 'RS256', JWT_SSO_PUBLIC_KEY: weak });
      expectRefused(result);
      expect(result.stderr).toMatch(/JWT_SSO_PUBLIC_KEY: an RSA key of 1024 bits is too weak/);
    });

    it('NODE_ENV=production with an http JWT_SSO_JWKS_URL', () => {
      const result = start({
        ...production,
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_AUDIENCE: 'latchkey',
        JWT_SSO_JWKS_URL: 'http://partner.example/.well-known/jwks.json',
      });
      expectRefused(result);
      expect(result.stderr).toMatch(/JWT_SSO_JWKS_URL: must be an https URL/);
    });

    it('NODE_ENV=production with a partner key pair and no JWT_SSO_AUDIENCE', () => {
      const result = start({
        ...production,
        JWT_SSO_ALGORITHM: 'ES256',
        JWT_SSO_JWKS_URL: 'https://partner.example/.well-known/jwks.json',
      });
      expectRefused(result);
      expect(result.stderr).toMatch(/JWT_SSO_AUDIENCE: required with .*JWT_SSO_AUDIENCE_OPTIONAL=true/);
    });
  });
});

describe('NODE_ENV=production with an asymmetric JWT_ALGORITHM', () => {
  it('starts with JWT_PRIVATE_KEY and no JWT_SECRET, and writes nothing into DATA_DIR', async () => {
    const dataDir = testDataDir();
    const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const t = await startServer({
      NODE_ENV: 'production',
      DATA_DIR: dataDir,
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY: privateKey,
      JWT_SECRET: '',
      OIDC_PRIVATE_KEY: '',
    });
    try {
      const jwks = await t.request('GET', '/.well-known/jwks.json');
      expect(jwks.status).toBe(200);
      expect(jwks.body.keys).toEqual([expect.objectContaining({ alg: 'ES256', kty: 'EC' })]);
      // No ID-token key in production: no OpenID Provider, and nothing generated for one.
      expect((await t.request('GET', '/.well-known/openid-configuration')).status).toBe(404);
      // the refresh-token key comes from the private key: a login and a refresh work without any secret
      const email = 'prod@startup.example';
      const password = 'a production password';
      const created = await t.request('POST', '/api/users', {
        apiToken: WRITE_TOKEN,
        body: { email, password },
      });
      expect(created.status).toBe(201);
      const login = await t.request('POST', '/token', { body: { username: email, password } });
      expect(login.status).toBe(200);
      const refreshed = await t.request('POST', '/token/refresh', {
        body: { refresh_token: login.body.refresh_token },
      });
      expect(refreshed.status).toBe(200);
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      await t.stop();
    }
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
