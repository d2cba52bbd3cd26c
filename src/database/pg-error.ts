/** The PostgreSQL error fields we branch on, whether TypeORM wrapped the driver's error or not. */
export function pgError(error: unknown): { code?: string; constraint?: string } {
  if (typeof error !== 'object' || error === null) return {};
  const driverError = (error as { driverError?: unknown }).driverError;
  const source = (typeof driverError === 'object' && driverError !== null ? driverError : error) as {
    code?: unknown;
    constraint?: unknown;
  };
  return {
    code: typeof source.code === 'string' ? source.code : undefined,
    constraint: typeof source.constraint === 'string' ? source.constraint : undefined,
  };
}

/** A unique index (`constraint`) refused the write: PostgreSQL's unique_violation. */
export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const fields = pgError(error);
  return fields.code === '23505' && fields.constraint === constraint;
}
