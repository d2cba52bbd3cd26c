import { randomBytes } from 'node:crypto';
import pg from 'pg';

function adminUrl(): string {
  const url = process.env.LATCHKEY_TEST_DB_ADMIN_URL;
  if (!url) throw new Error('Run the tests with `npm test`: it starts the throw-away PostgreSQL they need');
  return url;
}

/** A fresh, empty database in the run's throw-away cluster; the server migrates it when it starts. */
export async function createTestDatabase(): Promise<string> {
  const name = `lk_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
