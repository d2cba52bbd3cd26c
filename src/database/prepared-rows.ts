import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { EntityManager } from 'typeorm';

const names = new Map<string, string>();

/**
 * Runs `text` as a named prepared statement on the transaction's own connection, so that each connection
 * parses and plans it once instead of on every call: TypeORM sends every statement unnamed. For the SSO
 * landing's statements, whose planning cost more than their execution (bench: the SSO row). The
 * connection comes from the query runner's public `connect()`, which answers the driver's client.
 */
export async function preparedRows<R extends pg.QueryResultRow>(
  tx: EntityManager,
  text: string,
  values: unknown[],
): Promise<R[]> {
  if (!tx.queryRunner) throw new Error('preparedRows needs a transaction');
  let name = names.get(text);
  if (name === undefined) {
    // pg refuses one name for two texts on a connection: the name is the text's own digest.
    name = `lk_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  const client = (await tx.queryRunner.connect()) as pg.PoolClient;
  return (await client.query<R>({ name, text, values })).rows;
}
