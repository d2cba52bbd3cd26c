import { isEmail } from 'class-validator';
import fc from 'fast-check';
import {
  EMAIL_OPTIONS,
  emailProblem,
  escapeLike,
  normaliseEmail,
  normaliseUsername,
  plainEmail,
  usernameProblem,
} from './normalise.js';

describe('normaliseEmail', () => {
  it.each([
    ['  Ada@Example.COM ', 'ada@example.com'],
    ['ＡＤＡ@ｅｘａｍｐｌｅ.ｃｏｍ', 'ada@example.com'], // full-width forms fold under NFKC
    ['ada+tag@example.com', 'ada+tag@example.com'], // tags are kept
    ['a.d.a@example.com', 'a.d.a@example.com'], // dots are kept
    ['\u00c5sa@example.com', '\u00e5sa@example.com'], // composed
    ['A\u030asa@example.com', '\u00e5sa@example.com'], // decomposed Å composes to the same letter
  ])('%j → %j', (raw, expected) => {
    expect(normaliseEmail(raw)).toBe(expected);
  });
});

describe('emailProblem', () => {
  it('accepts ordinary and international addresses', () => {
    expect(emailProblem('ada@example.com')).toBeUndefined();
    expect(emailProblem('åsa@example.com')).toBeUndefined();
  });

  it.each([
    ['', 'must not be empty'],
    ['not-an-email', 'must be an email address'],
    ['ada@', 'must be an email address'],
    ['ada\u0000@example.com', 'must not contain control characters'],
    ['ada\r\n@example.com', 'must not contain control characters'],
    [`${'a'.repeat(250)}@example.com`, 'must be at most 254 characters once normalised (NFKC)'],
    ['jo\ud800@example.com', 'must be well-formed Unicode (it has a lone surrogate)'],
  ])('refuses %j', (email, reason) => {
    expect(emailProblem(email)).toBe(reason);
  });

  it('judges what normalising made of the address: 90 × U+FB03 (ﬃ) is 270 letters', () => {
    const raw = `${'\uFB03'.repeat(90)}@example.com`;
    expect(raw.length).toBeLessThan(254);
    expect(emailProblem(normaliseEmail(raw))).toBe('must be at most 254 characters once normalised (NFKC)');
  });
});

describe('usernameProblem (on the normalised username, what the CHECK on users.username sees)', () => {
  it.each([
    ['ada', undefined],
    ['ａｄａ', undefined], // full-width folds to 3 letters
    ['😀'.repeat(254), undefined], // 254 characters, though 508 UTF-16 units: PostgreSQL counts characters
    ['u'.repeat(254), undefined],
    ['\uFDFA'.repeat(20), 'must be at most 254 characters once normalised (NFKC)'], // 20 raw, 360 stored
    ['u'.repeat(255), 'must be at most 254 characters once normalised (NFKC)'],
    ['😀'.repeat(255), 'must be at most 254 characters once normalised (NFKC)'],
    ['   ', 'must not be empty'],
    ['\u3000\u00a0', 'must not be empty'], // ideographic and no-break spaces fold to spaces, then trim
    ['a\u0000', 'must not contain control characters'],
    ['ab\udc00', 'must be well-formed Unicode (it has a lone surrogate)'],
  ])('%j → %j', (raw, problem) => {
    expect(usernameProblem(normaliseUsername(raw))).toBe(problem);
  });
});

describe('escapeLike', () => {
  it('makes % _ and \\ match themselves', () => {
    expect(escapeLike('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });
});

// The shortcut may only say "an email" where isEmail says so too.
describe('plainEmail implies isEmail', () => {
  const alphabet = fc.constantFrom(...'aZ09.-_+@"!é ~[]'.split(''), 'xn--', '.com', '@a.io');
  const messy = fc.array(alphabet, { maxLength: 30 }).map((parts) => parts.join(''));
  const shaped = fc
    .tuple(
      fc.stringMatching(/^[a-z0-9._+-]{0,70}$/),
      fc.array(fc.stringMatching(/^[a-z0-9-]{0,66}$/), { minLength: 1, maxLength: 4 }),
    )
    .map(([local, labels]) => `${local}@${labels.join('.')}`);

  it('on generated addresses', () => {
    let plain = 0;
    fc.assert(
      fc.property(fc.oneof(fc.emailAddress(), messy, shaped), (email) => {
        if (!plainEmail(email)) return;
        plain++;
        expect(isEmail(email, EMAIL_OPTIONS)).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    // Not vacuous: a good share of the runs took the shortcut.
    expect(plain).toBeGreaterThan(2_000);
  });

  it.each([
    ['employee42@corp.example', true],
    ['a.b+tag@sub.example.co', true],
    ['a..b@example.com', false],
    ['.a@example.com', false],
    ['a@-example.com', false],
    ['a@example-.com', false],
    ['a@example.c', false],
    ['a@example.123', false],
    ['a@exa_mple.com', false],
    ['åsa@example.com', false], // valid, but for isEmail to say
    [`${'a'.repeat(65)}@example.com`, false],
    [`a@${'b'.repeat(64)}.com`, false],
  ])('%j → %j', (email, expected) => {
    expect(plainEmail(email)).toBe(expected);
    if (expected) expect(isEmail(email, EMAIL_OPTIONS)).toBe(true);
  });
});
