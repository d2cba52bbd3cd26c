import 'reflect-metadata';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { API_TOKEN_SCOPES, type ApiTokenScope } from './api-tokens/api-token.entity.js';
import { ApiTokensRepository } from './api-tokens/api-tokens.repository.js';
import { ApiTokensService } from './api-tokens/api-tokens.service.js';
import { HashingPool } from './auth/passwords/hashing-pool.js';
import { PasswordHasher } from './auth/passwords/password-hasher.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { openDatabase } from './database/database-url.js';
import { runMigrations } from './database/migrate.js';
import { isRedirectUri } from './oidc/dto/redirect-uri.validator.js';
import { OIDC_SCOPES } from './oidc/oidc-scopes.js';
import type { OidcClientType } from './oidc/oidc-client.entity.js';
import { OidcClientsRepository } from './oidc/oidc-clients.repository.js';
import { OidcClientsService } from './oidc/oidc-clients.service.js';
import { OidcPayloadsRepository } from './oidc/oidc-payloads.repository.js';
import { UserChanges } from './users/user-changes.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';

const USAGE = `Usage: npm run cli -- <command> [options]

  token:create --name NAME --scopes users:read,users:write   prints a new API token (shown only once)
  token:list                                                  lists active API tokens (never their values)
  token:revoke ID                                             revokes an API token at once
  admin:create --email EMAIL                                  creates or updates an admin; the password
                                                              is read from standard input
  client:create --name NAME --redirect-uris URI[,URI…]        registers an OIDC client: prints its id and,
      [--type confidential|public] [--first-party]            for a confidential one, its secret (shown
      [--post-logout-redirect-uris URI,…] [--scopes S,…]      only once)
  client:list                                                 lists the OIDC clients (never secrets)
  client:revoke ID                                            removes an OIDC client; its tokens stop working

Uses DATABASE_URL, or the embedded database under DATA_DIR (the running server's, if there is one).`;

interface Services {
  tokens: ApiTokensService;
  users: UsersService;
  clients: OidcClientsService;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      email: { type: 'string' },
      type: { type: 'string' },
      'redirect-uris': { type: 'string' },
      'post-logout-redirect-uris': { type: 'string' },
      'first-party': { type: 'boolean' },
    },
  });
  const [command, ...rest] = positionals;
  switch (command) {
    case 'token:create': {
      const name = values.name?.trim();
      const scopes = parseScopes(values.scopes);
      if (!name || !scopes) return usage('token:create needs --name and --scopes (users:read, users:write)');
      return withServices(async ({ tokens }) => {
        const { token, value } = await tokens.create(name, scopes, null);
        process.stderr.write(
          `Created API token "${token.name}" (${token.scopes.join(', ')}), id ${token.id}.\n`,
        );
        process.stderr.write('Copy it now: it is not shown again.\n');
        process.stdout.write(`${value}\n`);
      });
    }
    case 'token:list':
      return withServices(async ({ tokens }) => {
        for (const t of await tokens.list()) {
          const used = t.lastUsedAt ? t.lastUsedAt.toISOString() : 'never';
          process.stdout.write(
            `${t.id}  ${t.prefix}…  ${t.name}  [${t.scopes.join(',')}]  last used ${used}\n`,
          );
        }
      });
    case 'token:revoke': {
      const [id] = rest;
      if (!id) return usage('token:revoke needs the id of the token');
      return withServices(async ({ tokens }) => {
        await tokens.revoke(id);
        process.stdout.write(`Revoked ${id}\n`);
      });
    }
    case 'admin:create': {
      const email = values.email;
      if (!email) return usage('admin:create needs --email');
      const password = await readPassword();
      return withServices(async ({ users }) => {
        await users.ensureAdmin(email, password);
        process.stdout.write(`Admin ${email} is ready\n`);
      });
    }
    case 'client:create': {
      const name = values.name?.trim();
      const type = (values.type ?? 'confidential') as OidcClientType;
      const redirectUris = uriList(values['redirect-uris']);
      const postLogoutRedirectUris = uriList(values['post-logout-redirect-uris'] ?? '');
      const scopes = values.scopes === undefined ? undefined : oidcScopes(values.scopes);
      if (!name || name.length > 200) return usage('client:create needs --name (1 to 200 characters)');
      if (type !== 'confidential' && type !== 'public') return usage('--type is confidential or public');
      if (!redirectUris || redirectUris.length === 0) {
        return usage(
          'client:create needs --redirect-uris: https URLs (http only on localhost), no fragments',
        );
      }
      if (!postLogoutRedirectUris) return usage('--post-logout-redirect-uris: https URLs, no fragments');
      if (scopes === null) return usage(`--scopes: some of ${OIDC_SCOPES.join(', ')}, openid among them`);
      return withServices(async ({ clients }) => {
        const { client, secret } = await clients.create({
          name,
          type,
          redirectUris,
          postLogoutRedirectUris,
          firstParty: values['first-party'] ?? false,
          scopes,
        });
        process.stderr.write(`Registered ${client.type} client "${client.name}".\n`);
        process.stdout.write(`client_id ${client.clientId}\n`);
        if (secret !== undefined) {
          process.stderr.write('Copy the secret now: it is not shown again.\n');
          process.stdout.write(`client_secret ${secret}\n`);
        }
      });
    }
    case 'client:list':
      return withServices(async ({ clients }) => {
        for (const c of await clients.list()) {
          const party = c.firstParty ? 'first-party' : 'third-party';
          process.stdout.write(
            `${c.clientId}  ${c.type}  ${party}  ${c.name}  ${c.redirectUris.join(' ')}\n`,
          );
        }
      });
    case 'client:revoke': {
      const [id] = rest;
      if (!id) return usage('client:revoke needs the client id');
      return withServices(async ({ clients }) => {
        await clients.delete(id);
        process.stdout.write(`Removed ${id}\n`);
      });
    }
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      return usage(command ? `Unknown command ${command}` : undefined);
  }
}

function parseScopes(raw: string | undefined): ApiTokenScope[] | undefined {
  const scopes = (raw ?? '').split(',').map((s) => s.trim());
  const valid = scopes.filter((s): s is ApiTokenScope => (API_TOKEN_SCOPES as readonly string[]).includes(s));
  return valid.length > 0 && valid.length === scopes.length ? [...new Set(valid)] : undefined;
}

/** Comma-separated redirect URIs, each as /api/clients accepts them; undefined when one is not. */
function uriList(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const uris = [
    ...new Set(
      raw
        .split(',')
        .map((u) => u.trim())
        .filter((u) => u.length > 0),
    ),
  ];
  return uris.every(isRedirectUri) && uris.length <= 20 ? uris : undefined;
}

/** Comma-separated OIDC scopes including openid; null when not. */
function oidcScopes(raw: string): string[] | null {
  const scopes = [...new Set(raw.split(',').map((s) => s.trim()))];
  const known = scopes.every((s) => (OIDC_SCOPES as readonly string[]).includes(s));
  return known && scopes.includes('openid') ? scopes : null;
}

function usage(problem?: string): number {
  if (problem) process.stderr.write(`${problem}\n\n`);
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

async function withServices(work: (services: Services) => Promise<void>): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config, { reuseRunning: true });
  try {
    await runMigrations(database.url);
    const db = new DataSource(dataSourceOptions(database.url));
    await db.initialize();
    const hashing = new HashingPool();
    try {
      await work({
        tokens: new ApiTokensService(new ApiTokensRepository(db)),
        users: new UsersService(new UsersRepository(db), new PasswordHasher(hashing), new UserChanges()),
        clients: new OidcClientsService(new OidcClientsRepository(db), new OidcPayloadsRepository(db)),
      });
      return 0;
    } finally {
      await hashing.onModuleDestroy();
      await db.destroy();
    }
  } finally {
    await database.stop();
  }
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password (at least 8 characters): ');
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    if (line.length < 8) throw new Error('The password must be at least 8 characters');
    return line;
  }
  throw new Error('No password on standard input');
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
