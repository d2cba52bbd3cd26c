import { emailProblem, escapeLike, normaliseEmail } from './normalise.js';

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
    [`${'a'.repeat(250)}@example.com`, 'must be at most 254 characters'],
  ])('refuses %j', (email, reason) => {
    expect(emailProblem(email)).toBe(reason);
  });
});

describe('escapeLike', () => {
  it('makes % _ and \\ match themselves', () => {
    expect(escapeLike('50%_a\\b')).toBe('50\\%\\_a\\\\b');
  });
});
