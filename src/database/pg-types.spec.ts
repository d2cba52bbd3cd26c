import fc from 'fast-check';
import pg from 'pg';
import { parseTimestamptz } from './pg-types.js';

const pgParser = pg.types.getTypeParser(1184, 'text') as (text: string) => unknown;

/** An instant written the way PostgreSQL prints a timestamptz in a session at `offsetSeconds`. */
function printed(epochMs: number, micros: number, offsetSeconds: number): string {
  const local = new Date(epochMs + offsetSeconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const date = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const fraction = pad(local.getUTCMilliseconds() * 1000 + micros, 6).replace(/0+$/, '');
  const size = Math.abs(offsetSeconds);
  const [h, m, s] = [Math.floor(size / 3600), Math.floor(size / 60) % 60, size % 60];
  const zone = `${offsetSeconds < 0 ? '-' : '+'}${pad(h)}${m || s ? `:${pad(m)}` : ''}${s ? `:${pad(s)}` : ''}`;
  return `${date} ${time}${fraction ? `.${fraction}` : ''}${zone}`;
}

describe('parseTimestamptz', () => {
  it("reads what PostgreSQL prints to the same instant as pg's own parser", () => {
    const instant = fc.integer({ min: Date.UTC(1000, 0, 2), max: Date.UTC(9999, 11, 30) });
    const offset = fc.oneof(
      fc.constant(0),
      fc.integer({ min: -15, max: 15 }).map((h) => h * 3600),
      fc.constantFrom(19800, 20700, -12600, 3 * 3600 + 30 * 60 + 17),
    );
    fc.assert(
      fc.property(instant, fc.integer({ min: 0, max: 999 }), offset, (ms, micros, seconds) => {
        const text = printed(ms, micros, seconds);
        const ours = parseTimestamptz(text);
        expect(ours).toBeInstanceOf(Date);
        expect((ours as Date).getTime()).toBe((pgParser(text) as Date).getTime());
        expect((ours as Date).getTime()).toBe(ms);
      }),
      { numRuns: 5_000 },
    );
  });

  it('gives every row a Date of its own, also for a text it has read before', () => {
    const text = '2026-11-25 07:23:20.123456+00';
    const first = parseTimestamptz(text) as Date;
    const second = parseTimestamptz(text) as Date;
    expect(second).not.toBe(first);
    first.setTime(0);
    expect(second.getTime()).toBe(Date.UTC(2026, 10, 25, 7, 23, 20, 123));
    expect((parseTimestamptz(text) as Date).getTime()).toBe(Date.UTC(2026, 10, 25, 7, 23, 20, 123));
  });

  it.each([
    'infinity',
    '-infinity',
    '0044-03-15 12:00:00+00 BC',
    '0099-01-01 00:00:00+00',
    '12026-01-01 00:00:00+00',
    '2026-11-25 07:23:20.1234567+00',
    '2026-11-25T07:23:20Z',
  ])("leaves %j to pg's parser", (text) => {
    expect(parseTimestamptz(text)).toEqual(pgParser(text));
  });

  it('reads the common shapes', () => {
    expect((parseTimestamptz('2026-11-25 07:23:20.123456+00') as Date).toISOString()).toBe(
      '2026-11-25T07:23:20.123Z',
    );
    expect((parseTimestamptz('2026-11-25 07:23:20+05:30') as Date).toISOString()).toBe(
      '2026-11-25T01:53:20.000Z',
    );
    expect((parseTimestamptz('2026-11-25 07:23:20.5-03') as Date).toISOString()).toBe(
      '2026-11-25T10:23:20.500Z',
    );
  });
});
