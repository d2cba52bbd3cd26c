import { ValidationError } from '../common/errors.js';
import { MAX_BULK_ITEMS, parseSyncBody } from './sync-input.js';

function problems(body: unknown): { index?: number; field: string; reason: string }[] {
  try {
    parseSyncBody(body);
  } catch (error) {
    if (error instanceof ValidationError) return error.problems ?? [];
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('parseSyncBody', () => {
  it('reads one object as a single upsert with a normalised email', () => {
    const input = parseSyncBody({ email: ' Ada@Example.COM ', first_name: ' Ada ', is_active: false });
    expect(input).toEqual({
      bulk: false,
      items: [
        {
          email: 'ada@example.com',
          username: undefined,
          firstName: 'Ada',
          lastName: undefined,
          isActive: false,
          password: undefined,
        },
      ],
    });
  });

  it('treats null as an absent field', () => {
    expect(parseSyncBody({ email: 'a@example.com', first_name: null }).items[0].firstName).toBeUndefined();
  });

  it('names unknown fields with the index of the item', () => {
    expect(
      problems([{ email: 'a@example.com' }, { email: 'b@example.com', is_admin: true, id: 'x' }]),
    ).toEqual([
      { index: 1, field: 'is_admin', reason: 'unknown field' },
      { index: 1, field: 'id', reason: 'unknown field' },
    ]);
  });

  it('collects every bad item before refusing', () => {
    const found = problems([
      { email: 'nope' },
      { email: 'ok@example.com' },
      'string',
      { email: 'c@example.com', first_name: 7 },
    ]);
    expect(found.map((p) => [p.index, p.field])).toEqual([
      [0, 'email'],
      [2, ''],
      [3, 'first_name'],
    ]);
  });

  it('refuses duplicate emails after normalisation', () => {
    expect(problems([{ email: 'Ada@example.com' }, { email: 'ada@EXAMPLE.com ' }])).toEqual([
      { index: 1, field: 'email', reason: 'duplicate of item 0 (emails compare normalised)' },
    ]);
  });

  it('refuses one username for two emails', () => {
    expect(
      problems([
        { email: 'a@example.com', username: 'x' },
        { email: 'b@example.com', username: 'X' },
      ]),
    ).toEqual([{ index: 1, field: 'username', reason: 'already used by item 0' }]);
  });

  it('bounds the size of a bulk request', () => {
    expect(problems([])).toEqual([{ field: '', reason: `must hold 1 to ${MAX_BULK_ITEMS} users` }]);
    const tooMany = Array.from({ length: MAX_BULK_ITEMS + 1 }, (_, i) => ({ email: `u${i}@example.com` }));
    expect(problems(tooMany)).toHaveLength(1);
  });

  it('checks password length in characters and bytes', () => {
    expect(problems({ email: 'a@example.com', password: 'short' })[0]).toMatchObject({ field: 'password' });
    expect(problems({ email: 'a@example.com', password: 'é'.repeat(513) })[0]).toMatchObject({
      field: 'password',
      reason: 'must be at most 1024 bytes',
    });
    expect(
      parseSyncBody({ email: 'a@example.com', password: 'x'.repeat(1024) }).items[0].password,
    ).toHaveLength(1024);
  });
});
