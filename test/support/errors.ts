import { STATUS_CODES } from 'node:http';
import type { HttpResult } from './server.js';

/** The keys an error body may have (contract §7); `request_id` only comes with a 500. */
const ERROR_KEYS = ['statusCode', 'error', 'code', 'message', 'errors', 'request_id'];

// What must never reach a client: a stack frame, SQL, a driver's or library's error name or message, a hash.
const LEAK =
  /\bat (async )?[\w$.<>[\] ]*\(?[^\s()]*:\d+:\d+\)?|\bat [\w.<>$]+ \(|node:internal|node_modules|\/dist\/|\.[jt]s:\d+|QueryFailedError|SELECT |INSERT |UPDATE |syntax error|TypeError|RangeError|class-validator|secure-json-parse|violates|constraint|\$argon2/;

/** Nothing of the server's insides in an answer's text. */
export function expectNoLeaks(text: string): void {
  expect(text).not.toMatch(LEAK);
  expect(text).not.toMatch(/stack/i);
}

/** The contract's error body (§7) with this status and code, as JSON, leaking nothing; returns the body. */
export function expectError(res: HttpResult, status: number, code: string) {
  expect({ status: res.status, code: res.body?.code }).toEqual({ status, code });
  expectErrorShape(res);
  return res.body;
}

/** A 4xx in the contract's error shape, whatever its code. */
export function expectCleanError(res: HttpResult, status?: number): void {
  if (status !== undefined) expect(res.status).toBe(status);
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expectErrorShape(res);
}

function expectErrorShape(res: HttpResult): void {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const body = res.body;
  expect(body).toEqual(
    expect.objectContaining({
      statusCode: res.status,
      error: STATUS_CODES[res.status],
      code: expect.any(String),
      message: expect.stringMatching(/./),
    }),
  );
  for (const key of Object.keys(body)) expect(ERROR_KEYS).toContain(key);
  if (body.errors !== undefined) {
    expect(Array.isArray(body.errors)).toBe(true);
    for (const e of body.errors) {
      expect(typeof e.field).toBe('string');
      expect(typeof e.reason).toBe('string');
    }
  }
  expectNoLeaks(res.text);
}
