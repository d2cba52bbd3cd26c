import { HttpException } from '@nestjs/common';
import { pgError } from '../database/pg-error.js';
import { DomainError, type ErrorBody, type ErrorCode, errorBody } from './errors.js';

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers?: Readonly<Record<string, string>>;
  /** Unexpected failures are logged with their stack; expected ones are not. */
  unexpected: boolean;
  /** Logged as a warning (never with a stack, never sent): what an operator should still hear of. */
  warning?: Readonly<Record<string, string>>;
}

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: 'validation_failed',
  401: 'invalid_token',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'database_unavailable',
};

// Fastify's own request errors (body parsing, limits) arrive before any Nest handler runs.
const FASTIFY_CODES: Record<string, { code: ErrorCode; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', message: 'Request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'Request body is empty' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'payload_too_large', message: 'Request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'Send the body as application/json',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'validation_failed',
    message: 'Content-Length does not match the body',
  },
  // The router's own refusals (see frameworkErrors in app.factory.ts); Fastify's messages echo the URL.
  FST_ERR_BAD_URL: { code: 'validation_failed', message: 'The path is not validly percent-encoded' },
  // Fastify answers 414; the contract's answer to a malformed request is a 400.
  FST_ERR_MAX_PARAM_LENGTH: { code: 'validation_failed', message: 'A path segment is too long' },
};

// Errors from `pg` and PostgreSQL that mean "the database is not there right now", not "your input is bad".
const UNAVAILABLE_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
];
// TypeORM releases a query runner as soon as its connection emits 'error' (PostgreSQL went away between
// two statements of a transaction); the next statement or the COMMIT then fails with one of these, not
// with the connection's own error.
const UNAVAILABLE_ERROR_NAMES = new Set([
  'QueryRunnerAlreadyReleasedError',
  'QueryRunnerProviderAlreadyReleasedError',
]);

// Class 22 (data exception): a value PostgreSQL cannot store or compare — NUL in text, a malformed number or
// date, a string over a column's length. Input that slipped past validation, never the server's fault.
const DATA_EXCEPTIONS = new Set(['22001', '22003', '22007', '22008', '22021', '22P02', '22P05']);

// Class 23 (integrity constraint violation): the schema refused a write. Validation should have stopped the
// input first, but a value that slips through is still the request's fault, not the server's. The answer
// says only which kind of rule it broke: the constraint, its SQL and the value stay out of it.
const CONSTRAINT_VIOLATIONS: Record<string, { code: ErrorCode; message: string }> = {
  '23502': { code: 'validation_failed', message: 'A required value is missing' },
  '23514': { code: 'validation_failed', message: 'A value in the request is not allowed' },
  '23505': { code: 'conflict', message: 'This conflicts with an existing record' },
  '23503': { code: 'conflict', message: 'This refers to a record that does not exist' },
};
// The rest of the class (restrict 23001, exclusion 23P01, the bare 23000) is a conflict with stored data.
const OTHER_CONSTRAINT_VIOLATION = { code: 'conflict', message: 'This conflicts with stored data' } as const;

export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_SYSTEM_CODES.has(code)) return true;
    // Class 08 (connection exception), 57P01–57P03 (shutdown, cannot connect now), 53300 (too many connections).
    if (/^08|^57P0[1-3]$|^53300$/.test(code)) return true;
  }
  if (UNAVAILABLE_ERROR_NAMES.has(error.name)) return true;
  if (UNAVAILABLE_MESSAGES.some((m) => error.message.includes(m))) return true;
  const cause = (error as { cause?: unknown }).cause;
  return cause !== undefined && cause !== error && isDatabaseUnavailable(cause);
}

export function mapError(error: unknown): MappedError {
  // Nest wraps what Fastify's hooks and parsers throw in an HttpException, the original as `cause`.
  const domainError = [error, error instanceof HttpException ? error.cause : undefined].find(
    (candidate) => candidate instanceof DomainError,
  );
  if (domainError) {
    return expected(
      errorBody(domainError.code, domainError.message, domainError.problems),
      domainError.headers,
    );
  }
  const fastifyError = fastifyErrorOf(error);
  if (fastifyError) return expected(errorBody(fastifyError.code, fastifyError.message));
  if (error instanceof HttpException) {
    const code = HTTP_STATUS_CODES[error.getStatus()];
    if (code) return expected(errorBody(code, httpExceptionMessage(error)));
  }
  const { code, constraint } = pgError(error);
  if (code !== undefined && DATA_EXCEPTIONS.has(code)) {
    return expected(errorBody('validation_failed', 'A value in the request cannot be stored or searched'));
  }
  if (code !== undefined && /^23[0-9A-Z]{3}$/.test(code)) {
    const violation = CONSTRAINT_VIOLATIONS[code] ?? OTHER_CONSTRAINT_VIOLATION;
    return {
      ...expected(errorBody(violation.code, violation.message)),
      // A gap in validation (or a race the service did not name) that should be closed: said, not shown.
      warning: {
        msg: 'A database constraint refused the request',
        sqlstate: code,
        constraint: constraint ?? '',
      },
    };
  }
  if (isDatabaseUnavailable(error)) {
    const body = errorBody('database_unavailable', 'The database is unavailable; try again shortly');
    return expected(body, { 'Retry-After': '5' });
  }
  const body = errorBody('internal_error', 'Internal server error');
  return { status: body.statusCode, body, unexpected: true };
}

/** Nest hands Fastify's request errors to the filter wrapped in an HttpException, the original as `cause`. */
function fastifyErrorOf(error: unknown): { code: ErrorCode; message: string } | undefined {
  for (const candidate of [error, error instanceof HttpException ? error.cause : undefined]) {
    const code = (candidate as { code?: unknown } | null | undefined)?.code;
    if (typeof code === 'string' && code in FASTIFY_CODES) return FASTIFY_CODES[code];
  }
  return undefined;
}

function expected(body: ErrorBody, headers?: Readonly<Record<string, string>>): MappedError {
  return { status: body.statusCode, body, headers, unexpected: false };
}

function httpExceptionMessage(error: HttpException): string {
  const response = error.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.map(String).join('; ');
  return typeof message === 'string' ? message : error.message;
}
