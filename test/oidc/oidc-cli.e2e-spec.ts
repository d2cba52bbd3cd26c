import * as client from 'openid-client';
import { runCli, startServer, TEST_JWT_SECRET, testDataDir, type TestServer } from '../support/server.js';

let t: TestServer;

beforeAll(async () => {
  t = await startServer();
}, 60_000);

afterAll(async () => {
  await t?.stop();
});

function cli(args: string[]) {
  return runCli(args, { DATABASE_URL: t.databaseUrl, JWT_SECRET: TEST_JWT_SECRET, DATA_DIR: testDataDir() });
}

function tokenRequest(clientId: string, secret: string) {
  return t.request('POST', '/oidc/token', {
    raw: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
  });
}

describe('npm run cli -- client:*', () => {
  it('creates a confidential client whose printed secret works, lists it, and revokes it', async () => {
    const created = await cli([
      'client:create',
      '--name',
      'Reporting',
      '--redirect-uris',
      'https://reports.example/cb,http://localhost:3001/cb',
    ]);
    expect(created.code).toBe(0);
    const clientId = /^client_id (\S+)$/m.exec(created.stdout)?.[1];
    const secret = /^client_secret (\S+)$/m.exec(created.stdout)?.[1];
    expect(clientId).toEqual(expect.any(String));
    expect(secret).toEqual(expect.any(String));
    expect(created.stderr).toContain('not shown again');

    const config = await client.discovery(
      new URL(t.baseUrl),
      clientId!,
      { client_secret: secret },
      client.ClientSecretBasic(secret),
      { execute: [client.allowInsecureRequests] },
    );
    expect((await client.clientCredentialsGrant(config)).access_token).toEqual(expect.any(String));

    const listed = await cli(['client:list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain(`${clientId}  confidential  third-party  Reporting`);
    expect(listed.stdout).not.toContain(secret!);

    const revoked = await cli(['client:revoke', clientId!]);
    expect(revoked.code).toBe(0);
    const after = await tokenRequest(clientId!, secret!);
    expect({ status: after.status, error: after.body?.error }).toEqual({
      status: 401,
      error: 'invalid_client',
    });
  });

  it('a public client gets no secret', async () => {
    const created = await cli([
      'client:create',
      '--name',
      'SPA',
      '--type',
      'public',
      '--redirect-uris',
      'https://spa.example/',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^client_id \S+\n$/);
  });

  it.each([
    [['client:create', '--redirect-uris', 'https://a.example/cb'], '--name'],
    [['client:create', '--name', 'x', '--redirect-uris', 'http://evil.example/cb'], '--redirect-uris'],
    [['client:create', '--name', 'x', '--redirect-uris', 'https://a.example/cb#frag'], '--redirect-uris'],
    [
      ['client:create', '--name', 'x', '--redirect-uris', 'https://a.example/cb', '--type', 'weird'],
      '--type',
    ],
    [
      ['client:create', '--name', 'x', '--redirect-uris', 'https://a.example/cb', '--scopes', 'email'],
      '--scopes',
    ],
    [['client:revoke'], 'client id'],
  ])('refuses %j with a usage line naming %s, and writes nothing', async (args, named) => {
    const { rows: before } = await t.db.query('SELECT count(*)::int AS n FROM oidc_clients');
    const res = await cli(args);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain(named);
    const { rows: after } = await t.db.query('SELECT count(*)::int AS n FROM oidc_clients');
    expect(after[0].n).toBe(before[0].n);
  });

  it('revoking an unknown client fails with a message, not a stack', async () => {
    const res = await cli(['client:revoke', 'no-such-client']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('No such client');
    expect(res.stderr).not.toMatch(/^\s+at /m);
  });
});
