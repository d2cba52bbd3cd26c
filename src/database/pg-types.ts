import pg from 'pg';
import { recentMemo } from '../common/recent-memo.js';

const TIMESTAMPTZ = 1184;
const parseAnyTimestamptz = pg.types.getTypeParser(TIMESTAMPTZ, 'text') as (text: string) => unknown;

// Each distinct text is read once (a bulk sync's 20,000 timestamps take a handful of values); a new Date
// is made each time all the same, so that no two rows share one mutable object.
const plainTime = recentMemo((text: string) => plainTimestamptz(text)?.getTime());

/**
 * `timestamptz` as PostgreSQL prints it (DateStyle ISO): `2026-11-25 07:23:20.123456+00`, the offset
 * perhaps with minutes and seconds. That shape is read digit by digit; anything else (infinity, BC,
 * years before 1000 or after 9999) goes to pg's own parser, which runs three regular expressions and
 * parseInt per value, three timestamps a row (bench/README.md, "Optimisations that stay").
 */
export function parseTimestamptz(text: string): unknown {
  const time = plainTime(text);
  return time === undefined ? parseAnyTimestamptz(text) : new Date(time);
}

function plainTimestamptz(t: string): Date | undefined {
  if (t.length < 22 || t.charCodeAt(0) === 48) return undefined;
  if (t[4] !== '-' || t[7] !== '-' || t[10] !== ' ' || t[13] !== ':' || t[16] !== ':') return undefined;
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  const second = digits(t, 17, 2);
  let at = 19;
  let ms = 0;
  if (t[at] === '.') {
    const start = ++at;
    while (at < t.length && isDigit(t.charCodeAt(at))) at++;
    if (at === start || at - start > 6) return undefined;
    // Milliseconds, truncated like Date does with the fraction pg's parser hands it.
    ms = digits(t.slice(start, start + 3).padEnd(3, '0'), 0, 3);
  }
  const sign = t[at] === '+' ? 1 : t[at] === '-' ? -1 : 0;
  if (sign === 0) return undefined;
  let offset = digits(t, at + 1, 2) * 3600;
  at += 3;
  if (t[at] === ':') {
    offset += digits(t, at + 1, 2) * 60;
    at += 3;
  }
  if (t[at] === ':') {
    offset += digits(t, at + 1, 2);
    at += 3;
  }
  if (at !== t.length) return undefined;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms) - sign * offset * 1000;
  return Number.isNaN(utc) ? undefined : new Date(utc);
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/** The number written by `length` decimal digits at `at`; NaN when one of them is not a digit. */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return Number.NaN;
    value = value * 10 + code - 48;
  }
  return value;
}

/** Type parsers for Latchkey's pooled connections: pg's own, with the faster `timestamptz` above. */
export const latchkeyPgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): unknown {
    if (oid === TIMESTAMPTZ && format !== 'binary') return parseTimestamptz;
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};
