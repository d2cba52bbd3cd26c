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
