import { safeNext } from './safe-next.js';

const PUBLIC = 'https://latchkey.example';

describe('safeNext', () => {
  it.each(['/', '/users?page=2', '/a/b#c', '/%2F%2Fstill-a-path'])('keeps the local path %j', (next) => {
    expect(safeNext(next, PUBLIC)).toBe(next);
  });

  it.each([
    'https://evil.example/',
    '//evil.example',
    '/\\evil.example',
    '\\\\evil.example',
    'javascript:alert(1)',
    ' /leading-space',
    '/\tx',
    '/x\ny',
    'relative/path',
    '',
  ])('ignores %j', (next) => {
    expect(safeNext(next, PUBLIC)).toBeUndefined();
  });
});
