/**
 * `next` (after a sign-in) when it is a path on this service, else undefined. Anything that could leave the
 * site — absolute URLs, `//host`, `/\host`, `javascript:`, control characters — is refused.
 */
export function safeNext(next: string, publicUrl: string): string | undefined {
  // Browsers treat backslashes as slashes and drop tabs/newlines inside URLs; refuse rather than guess.
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (!next.startsWith('/') || next.startsWith('//') || /[\\\u0000-\u001f\u007f]/.test(next))
    return undefined;
  const base = new URL(publicUrl);
  let resolved: URL;
  try {
    resolved = new URL(next, base);
  } catch {
    return undefined;
  }
  if (resolved.origin !== base.origin) return undefined;
  // Dot segments can fold a path into `//host` (`/..//evil` resolves to `//evil`), which a browser would
  // read as another site: judge the result, not only the input.
  const path = `${resolved.pathname}${resolved.search}${resolved.hash}`;
  return path.startsWith('//') ? undefined : path;
}
