import { safeNext } from '../common/safe-next.js';

/**
 * Where a successful SSO login sends the browser: `next` when it is a path on this service, else the
 * fallback when given, else the URL it came to with the token parameter removed (other parameters kept). Anything that could leave
 * the site — absolute URLs, `//host`, `/\host`, `javascript:`, control characters — is ignored.
 */
export function redirectTarget(
  requestUrl: string,
  tokenParam: string,
  next: string | undefined,
  publicUrl: string,
  fallback?: string,
): string {
  const safe = next === undefined ? undefined : safeNext(next, publicUrl);
  if (safe) return safe;
  if (fallback !== undefined) return fallback;
  const url = new URL(requestUrl, 'http://internal.invalid');
  url.searchParams.delete(tokenParam);
  url.searchParams.delete('next');
  return `${url.pathname}${url.search}`;
}
