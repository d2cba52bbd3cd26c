import { validateObject } from '../../common/validation.js';
import { LoginDto } from './login.dto.js';

const problemsOf = (body: unknown) => validateObject(LoginDto, body).problems.map((p) => p.field);

describe('LoginDto', () => {
  it.each([
    [{ email: 'a@b.co', username: { x: 1 }, password: 'x' }],
    [{ email: 'a@b.co', username: ['a'], password: 'x' }],
    [{ email: 'a@b.co', username: 42, password: 'x' }],
    [{ email: 'a@b.co', username: true, password: 'x' }],
    [{ username: null, email: null, password: 'x' }],
    [{ password: 'x' }],
  ])('validates the username whenever it is there, or when there is no email: %j', (body) => {
    expect(problemsOf(body)).toEqual(['username']);
  });

  it.each([
    ['a username NFKC expands past 254', { username: '\uFDFA'.repeat(20), password: 'x' }, 'username'],
    ['an email NFKC expands past 254', { email: `${'\uFDFA'.repeat(15)}@x.co`, password: 'x' }, 'email'],
    ['a blank username', { username: '\u3000 ', password: 'x' }, 'username'],
    ['a lone surrogate', { username: 'a\ud800', password: 'x' }, 'username'],
  ])('refuses %s', (_kind, body, field) => {
    expect(problemsOf(body)).toEqual([field]);
  });

  it.each([
    [{ username: ' ada ', password: 'x' }, { username: 'ada' }],
    [{ email: 'ada@example.com', password: 'x' }, { email: 'ada@example.com' }],
    [{ email: 'ada@example.com', username: null, password: 'x' }, { email: 'ada@example.com' }],
    [{ email: 'x@example.com', username: 'ada', password: 'x' }, { username: 'ada' }],
    [{ username: 'ＡＤＡ', password: 'x' }, { username: 'ＡＤＡ' }],
  ])('accepts %j', (body, fields) => {
    const { value, problems } = validateObject(LoginDto, body);
    expect(problems).toEqual([]);
    expect(value).toMatchObject(fields);
  });
});
