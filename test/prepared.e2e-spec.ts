import pg from 'pg';
import type { DataSource } from 'typeorm';
import { queryPrepared } from '../src/database/prepared.js';
import { createTestDatabase } from './support/test-db.js';

// The helper behind the login and SSO statements, on a real PostgreSQL. One connection, so that
// pg_prepared_statements (which lists the current session's) shows what the earlier calls left.
describe('queryPrepared', () => {
  let pool: pg.Pool;
  let db: DataSource;

  beforeAll(async () => {
    pool = new pg.Pool({ connectionString: await createTestDatabase(), max: 1 });
    // The one thing the helper reads from TypeORM's DataSource: the driver's pg pool.
    db = { driver: { master: pool } } as unknown as DataSource;
  });

  afterAll(async () => {
    await pool.end();
  });

  const prepared = async () =>
    (await pool.query<{ statement: string }>('SELECT statement FROM pg_prepared_statements')).rows.map(
      (r) => r.statement,
    );

  it('prepares a statement once per connection and runs it with each call’s values', async () => {
    const text = 'SELECT $1::int + 1 AS n';
    expect(await queryPrepared<{ n: number }>(db, text, [1])).toEqual([{ n: 2 }]);
    expect(await queryPrepared<{ n: number }>(db, text, [41])).toEqual([{ n: 42 }]);
    expect((await prepared()).filter((s) => s === text)).toHaveLength(1);
  });

  it('gives two texts two statements, and a failed call leaves the connection usable', async () => {
    await pool.query('CREATE TABLE IF NOT EXISTS once (k text PRIMARY KEY)');
    const insert = 'INSERT INTO once (k) VALUES ($1) RETURNING k';
    expect(await queryPrepared(db, insert, ['a'])).toEqual([{ k: 'a' }]);
    await expect(queryPrepared(db, insert, ['a'])).rejects.toMatchObject({
      code: '23505',
      constraint: 'once_pkey',
    });
    expect(await queryPrepared(db, insert, ['b'])).toEqual([{ k: 'b' }]);
    expect(await prepared()).toEqual(expect.arrayContaining([insert, 'SELECT $1::int + 1 AS n']));
    expect((await pool.query('SELECT count(*)::int AS n FROM once')).rows[0].n).toBe(2);
  });
});
