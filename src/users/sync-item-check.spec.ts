import fc from 'fast-check';
import { validateObject } from '../common/validation.js';
import { SyncUserDto } from './dto/sync-user.dto.js';
import { plainlyValidItem } from './sync-item-check.js';

// The shortcut may only ever say "valid" where the full validation says so too, with the same values.
describe('plainlyValidItem agrees with SyncUserDto', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.string({ minLength: 140, maxLength: 160 }),
    fc.string({ minLength: 250, maxLength: 330 }),
    fc.constantFrom(
      '',
      ' ',
      'a\u0000b',
      'tab\there',
      'é'.repeat(600),
      'ada@example.com',
      'password1',
      'lone \ud800 surrogate',
      '\udc00',
      '\uFDFA'.repeat(20),
    ),
  );
  // Any code point, lone surrogate halves included (unit 'binary' leaves those out).
  const anyUnit = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
    fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  );
  const junk = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), text);
  const often = <T>(likely: fc.Arbitrary<T>) =>
    fc.oneof({ weight: 4, arbitrary: likely }, { weight: 1, arbitrary: junk });
  const item = fc.record(
    {
      email: often(fc.oneof(text, fc.emailAddress())),
      username: often(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: anyUnit, maxLength: 8 }))),
      first_name: often(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: anyUnit, maxLength: 8 }))),
      last_name: often(fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: anyUnit, maxLength: 8 }))),
      is_active: often(fc.boolean()),
      password: often(fc.string({ minLength: 6, maxLength: 30 })),
      is_admin: fc.boolean(),
    },
    { requiredKeys: ['email'] },
  );

  it('on generated items', () => {
    let accepted = 0;
    fc.assert(
      fc.property(item, (value) => {
        const quick = plainlyValidItem(value);
        if (quick === undefined) return;
        accepted++;
        const full = validateObject(SyncUserDto, value);
        expect(full.problems).toEqual([]);
        for (const key of [
          'email',
          'username',
          'first_name',
          'last_name',
          'is_active',
          'password',
        ] as const) {
          expect(quick[key]).toEqual(full.value[key] ?? undefined);
        }
      }),
      { numRuns: 3000 },
    );
    // the property was exercised, not vacuously true
    expect(accepted).toBeGreaterThan(50);
  });

  it('takes the plain, well-formed case', () => {
    expect(plainlyValidItem({ email: 'ada@example.com', first_name: 'Ada', is_active: true })).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      is_active: true,
    });
    expect(plainlyValidItem({ email: 'ada@example.com', is_admin: true })).toBeUndefined();
    expect(plainlyValidItem(Object.create({ inherited: 1 }) as object)).toBeUndefined();
  });
});
