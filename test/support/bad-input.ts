import type { TestServer } from './server.js';

// A stack in a JSON log line: Nest prints it as an escaped string with `\n    at …` frames.
const STACK_IN_LOG = /Unhandled error|\\n\s+at |^\s+at /;

export { expectCleanError } from './errors.js';

/**
 * What a request may have written: every user row (hashed, so any change shows) and the row counts of
 * the other tables a request writes to.
 */
export async function writes(t: TestServer): Promise<string> {
  const { rows } = await t.db.query(
    `SELECT (SELECT md5(string_agg(u::text, '|' ORDER BY id)) FROM users u) AS users,
            (SELECT count(*) FROM users) AS user_rows,
            (SELECT count(*) FROM api_tokens) AS api_tokens,
            (SELECT count(*) FROM refresh_tokens) AS refresh_tokens,
            (SELECT count(*) FROM login_throttle) AS login_throttle`,
  );
  return JSON.stringify(rows[0]);
}

/** Log lines from `from` on that carry a stack (or the filter's "Unhandled error"). */
export function stacksInLog(t: TestServer, from: number): string[] {
  return t.logs.slice(from).filter((line) => STACK_IN_LOG.test(line));
}

/** Lets the server's last log lines arrive through the pipe before they are looked at. */
export function logsSettled(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 100));
}

/**
 * Percent-encodes every UTF-8 byte that is not unreserved (RFC 3986 §2.3). Unlike encodeURIComponent it
 * never throws: a lone surrogate goes out as the bytes of U+FFFD, as a browser would send it.
 */
export function encodeSegment(value: string): string {
  return Array.from(Buffer.from(value, 'utf8'), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');
}
