import fc from 'fast-check';
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
    '/..//evil.example',
    '/.//evil.example',
    '/a/../..//evil.example',
  ])('ignores %j', (next) => {
    expect(safeNext(next, PUBLIC)).toBeUndefined();
  });
});

describe('safeNext, for any input', () => {
  // The property every answer must have: a path on this origin that no browser reads as another host.
  const stays = (next: string): boolean => {
    const path = safeNext(next, PUBLIC);
    if (path === undefined) return true;
    return (
      /^\/(?![/\\])/.test(path) &&
      // eslint-disable-next-line no-control-regex -- the point is to find control characters
      !/[\u0000-\u001f\\]/.test(path) &&
      new URL(path, PUBLIC).origin === PUBLIC
    );
  };

  it('never answers anything but a local path', () => {
    const pieces = fc.constantFrom(
      '/',
      '//',
      '\\',
      '.',
      '..',
      '%2F',
      '%5C',
      ':',
      '@',
      'evil.example',
      'https:',
      '\t',
      '?',
      '#',
      'a',
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { maxLength: 12 }).map((p) => p.join('')),
        stays,
      ),
      { numRuns: 5000 },
    );
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), stays), { numRuns: 5000 });
  });
});
