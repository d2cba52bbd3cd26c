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
import { UserChanges } from './users/user-changes.js';
import { UsersRepository } from './users/users.repository.js';
import { UsersService } from './users/users.service.js';

const USAGE = `Usage: npm run cli -- <command> [options]

  token:create --name NAME --scopes users:read,users:write   prints a new API token (shown only once)
  token:list                                                  lists active API tokens (never their values)
  token:revoke ID                                             revokes an API token at once
  admin:create --email EMAIL                                  creates or updates an admin; the password
                                                              is read from standard input

Uses DATABASE_URL, or the embedded database under DATA_DIR (the running server's, if there is one).`;

interface Services {
  tokens: ApiTokensService;
  users: UsersService;
}

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, email: { type: 'string' } },
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
    default:
      return usage(command ? `Unknown command ${command}` : undefined);
  }
}

function parseScopes(raw: string | undefined): ApiTokenScope[] | undefined {
  const scopes = (raw ?? '').split(',').map((s) => s.trim());
  const valid = scopes.filter((s): s is ApiTokenScope => (API_TOKEN_SCOPES as readonly string[]).includes(s));
  return valid.length > 0 && valid.length === scopes.length ? [...new Set(valid)] : undefined;
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
