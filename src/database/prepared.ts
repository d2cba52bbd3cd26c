import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

const names = new Map<string, string>();

/**
 * Runs `text` as a named prepared statement on TypeORM's pool, so each connection parses and plans it once
 * instead of on every call (TypeORM's `query` sends every statement unnamed). For the hot statements that
 * are long CTEs: an SSO landing, a password login.
 */
export async function queryPrepared<R extends pg.QueryResultRow>(
  db: DataSource,
  text: string,
  values: unknown[],
): Promise<R[]> {
  let name = names.get(text);
  if (name === undefined) {
    // pg refuses one name for two texts on a connection: the name is the text's own digest.
    name = `lk_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  const pool = (db.driver as unknown as { master: pg.Pool }).master;
  const client = await pool.connect();
  try {
    return (await client.query<R>({ name, text, values })).rows;
  } finally {
    // A connection that broke is not queryable any more, and the pool drops it on release.
    client.release();
  }
}
