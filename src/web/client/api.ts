// The pages talk to the same JSON API as everyone else, authenticated by the session cookies. Every unsafe
// request carries the CSRF header (double submit: the value of the readable csrf_token cookie).

export interface FieldProblem {
  index?: number;
  field: string;
  reason: string;
}

interface ErrorBody {
  code?: string;
  message?: string;
  errors?: FieldProblem[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly problems: FieldProblem[] = [],
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

// `__Host-` prefixed when Latchkey runs on https (see src/auth/session-cookies.ts).
const CSRF_COOKIES = ['__Host-csrf_token', 'csrf_token'];
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function csrfToken(): string {
  const cookies = new Map(
    document.cookie.split(';').map((part): [string, string] => {
      const [name, ...value] = part.trim().split('=');
      return [name, decodeURIComponent(value.join('='))];
    }),
  );
  return CSRF_COOKIES.map((name) => cookies.get(name)).find((value) => value !== undefined) ?? '';
}

/** One request, without any session handling: the sign-in form uses it directly. */
export async function send(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (UNSAFE.has(method)) headers['x-csrf-token'] = csrfToken();
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    signal,
  });
}

export async function errorFrom(response: Response): Promise<ApiError> {
  let body: ErrorBody = {};
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  const retryAfter = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    body.code ?? 'http_error',
    body.message ?? `The server answered ${response.status}`,
    body.errors ?? [],
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

let refreshing: Promise<boolean> | undefined;

/** Rotates the session once for all callers that found the access token expired at the same moment. */
function refreshSession(): Promise<boolean> {
  refreshing ??= send('POST', '/token/refresh', {})
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = undefined;
    });
  return refreshing;
}

/**
 * A JSON API call. An expired access token is refreshed once and the call repeated; a session that cannot
 * be refreshed sends the browser to the sign-in page, coming back here afterwards.
 */
export async function api<T>(
  method: string,
  path: string,
  body?: unknown,
  signal?: AbortSignal,
): Promise<ApiAnswer<T>> {
  let response = await send(method, path, body, signal);
  if (response.status === 401) {
    if (!(await refreshSession())) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      throw await errorFrom(response);
    }
    response = await send(method, path, body, signal);
  }
  if (!response.ok) throw await errorFrom(response);
  return {
    status: response.status,
    body: (response.status === 204 ? undefined : await response.json()) as T,
  };
}

/** The message to show a person for a failed call. */
export function describe(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.problems.length > 0) return error.problems.map((p) => `${p.field}: ${p.reason}`).join('; ');
    if (error.code === 'database_unavailable')
      return 'Latchkey cannot reach its database; try again shortly.';
    return error.message;
  }
  return 'Latchkey could not be reached; check your connection and try again.';
}

export function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}
