import type { EntityManager } from 'typeorm';

/**
 * The rows a raw statement returned. TypeORM answers UPDATE and DELETE with `[rows, rowCount]` and every
 * other statement with the rows alone; rows are objects, never arrays, which tells the two apart.
 */
export async function queryRows<T>(
  manager: EntityManager,
  text: string,
  params: unknown[] = [],
): Promise<T[]> {
  const result: unknown = await manager.query(text, params);
  if (
    Array.isArray(result) &&
    result.length === 2 &&
    Array.isArray(result[0]) &&
    typeof result[1] === 'number'
  ) {
    return result[0] as T[];
  }
  return result as T[];
}
