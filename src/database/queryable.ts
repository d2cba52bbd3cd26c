/**
 * Where a repository sends its SQL: the data source (a statement of its own, committed at once) or a
 * transaction's entity manager, when a service makes several writes one unit — one commit, one WAL flush.
 */
export interface Queryable {
  query<T = unknown>(sql: string, parameters?: unknown[]): Promise<T>;
}
