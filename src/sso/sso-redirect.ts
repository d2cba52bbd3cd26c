import { safeNext } from '../common/safe-next.js';

/**
 * Where a successful SSO login sends the browser: `next` when it is a path on this service, else the
 * fallback when given, else the URL it came to with the token parameter removed (other parameters kept), or
 * `/` when that URL would leave the site. Anything that could leave the site — absolute URLs, `//host`,
 * `/\host`, `javascript:`, control characters — is ignored.
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
  // The path is the client's own, not ours: dot segments and backslashes fold `/.//evil.example/` or
  // `/.\/evil.example/` into `//evil.example/`, which a browser reads as another host (RFC 3986 §4.2,
  // network-path reference). Judged by the same rule as `next`; anything unsafe lands on the home page.
  return safeNext(`${url.pathname}${url.search}`, publicUrl) ?? '/';
}
