import { hasConstructorKey, nestingExceeds } from './json-body.js';

describe('nestingExceeds', () => {
  it('counts objects and arrays alike', () => {
    expect(nestingExceeds('[[{"a":[1]}]]', 4)).toBe(false);
    expect(nestingExceeds('[[{"a":[1]}]]', 3)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const deepInString = JSON.stringify({ a: '[[[[[[[[{{{{', b: 'x\\"[[[[[[' });
    expect(nestingExceeds(deepInString, 1)).toBe(false);
  });

  it('handles flat bulk bodies and the pathological case', () => {
    expect(nestingExceeds(JSON.stringify([{ email: 'a@b.c' }, { email: 'd@e.f' }]), 2)).toBe(false);
    expect(nestingExceeds('['.repeat(100_000), 32)).toBe(true);
  });
});

describe('hasConstructorKey', () => {
  it.each([
    '{"constructor":"x"}',
    '{"email":"a@b.co","x":{"constructor":1}}',
    '[{"email":"a@b.co"},{"x":[{"constructor":null}]}]',
    '{"a":{"b":{"c":{"constru\\u0063tor":"escaped"}}}}',
  ])('finds it in %s', (text) => {
    expect(hasConstructorKey(JSON.parse(text))).toBe(true);
  });

  it.each([
    '{"email":"a@b.co","first_name":"constructor"}',
    '[{"email":"a@b.co"},{"email":"c@d.co","x":{"prototype":1}}]',
    '"constructor"',
    'null',
    '[1,[2,[3]]]',
  ])('finds none in %s', (text) => {
    expect(hasConstructorKey(JSON.parse(text))).toBe(false);
  });
});
