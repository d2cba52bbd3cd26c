import { STATUS_CODES } from 'node:http';

/** Every error code the API can answer with, and its HTTP status. The README lists the same table. */
export const ERROR_STATUS = {
  invalid_json: 400,
  validation_failed: 400,
  invalid_credentials: 401,
  invalid_token: 401,
  token_expired: 401,
  refresh_token_reused: 401,
  sso_token_invalid: 401,
  sso_token_replayed: 401,
  csrf_failed: 403,
  forbidden: 403,
  user_inactive: 403,
  sso_user_unknown: 403,
  not_found: 404,
  conflict: 409,
  session_conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  database_unavailable: 503,
  shutting_down: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** One problem with one field of one item; `index` is set for items of a bulk request. */
export interface FieldProblem {
  index?: number;
  field: string;
  reason: string;
}

export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  errors?: FieldProblem[];
  request_id?: string;
}

/**
 * A failure the caller can act on. Services throw these; the one exception filter turns them
 * into the contract's JSON shape, so nothing below the controllers knows about HTTP.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly problems?: FieldProblem[],
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
    this.name = 'DomainError';
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export class ValidationError extends DomainError {
  constructor(problems: FieldProblem[], message = describeProblems(problems)) {
    super('validation_failed', message, problems);
  }
}

export function errorBody(code: ErrorCode, message: string, problems?: FieldProblem[]): ErrorBody {
  const statusCode = ERROR_STATUS[code];
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Error',
    code,
    message,
    ...(problems && problems.length > 0 ? { errors: problems } : {}),
  };
}

function describeProblems(problems: FieldProblem[]): string {
  const shown = problems.slice(0, 5).map((p) => {
    const where = p.index === undefined ? p.field : `[${p.index}].${p.field}`;
    return `${where}: ${p.reason}`;
  });
  const more = problems.length > shown.length ? ` (and ${problems.length - shown.length} more)` : '';
  return `Invalid input: ${shown.join('; ')}${more}`;
}
