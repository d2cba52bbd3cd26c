import fc from 'fast-check';
import { redirectTarget } from './sso-redirect.js';

const PUBLIC = 'https://latchkey.example';

describe('redirectTarget', () => {
  it('drops the token (and only it) from the landing URL', () => {
    expect(redirectTarget('/docs/page?x=1&token=abc&y=2', 'token', undefined, PUBLIC)).toBe(
      '/docs/page?x=1&y=2',
    );
    expect(redirectTarget('/?token=abc', 'token', undefined, PUBLIC)).toBe('/');
    expect(redirectTarget('/?jwt=abc&token=keep', 'jwt', undefined, PUBLIC)).toBe('/?token=keep');
  });

  it('prefers a safe next, else the fallback', () => {
    expect(redirectTarget('/sso/login?token=a&next=/users', 'token', '/users', PUBLIC, '/')).toBe('/users');
    expect(redirectTarget('/sso/login?token=a&next=//evil', 'token', '//evil', PUBLIC, '/')).toBe('/');
  });

  // request.url is the request target byte for byte (Fastify does not normalise it); WHATWG URL parsing
  // then removes dot segments (`.`, `%2e`, `..`), turns `\` into `/` and drops tabs and newlines.
  it.each([
    '/.//evil.example/?token=a',
    '/.//evil.example?token=a',
    '/%2e//evil.example/?token=a',
    '/.%2E//evil.example/?token=a',
    '/a/..//evil.example/?token=a',
    '/a/%2e%2e//evil.example/?token=a',
    '/%2e%2e//evil.example/?token=a',
    '/.///evil.example/?token=a',
    '/.\\/evil.example/?token=a',
    '/.\\\\evil.example/?token=a',
    '/..\\/evil.example/?token=a',
    '/.\t//evil.example/?token=a',
    '/.\n//evil.example/?token=a',
    'http://latchkey.example//evil.example/?token=a',
    'http://evil.example/.//evil.example/?token=a',
  ])('a landing on %j lands on / rather than another host', (requestUrl) => {
    expect(redirectTarget(requestUrl, 'token', undefined, PUBLIC)).toBe('/');
  });

  it.each([
    ['//evil.example/?token=a', '/'],
    ['/\\evil.example/?token=a', '/'],
    ['/%2f/evil.example/?token=a', '/%2f/evil.example/'],
    ['/.%5c/evil.example/?token=a', '/.%5c/evil.example/'],
    ['/a/./b/../c?x=1&token=a', '/a/c?x=1'],
  ])('keeps the local path of %j: %j', (requestUrl, expected) => {
    expect(redirectTarget(requestUrl, 'token', undefined, PUBLIC)).toBe(expected);
  });
});

describe('redirectTarget, for any landing URL', () => {
  // What every answer must be: a path on this origin that no browser reads as another host.
  const stays = (requestUrl: string): boolean => {
    let path: string;
    try {
      path = redirectTarget(requestUrl, 'token', undefined, PUBLIC);
    } catch {
      return true; // not a URL at all: Fastify would not have routed it here
    }
    return /^\/(?![/\\])/.test(path) && new URL(path, PUBLIC).origin === PUBLIC;
  };

  it('never answers anything but a local path', () => {
    const pieces = fc.constantFrom(
      '/',
      '\\',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\t',
      'evil.example',
      'a',
    );
    fc.assert(
      fc.property(
        fc.array(pieces, { minLength: 1, maxLength: 10 }).map((p) => `/${p.join('')}?token=a`),
        stays,
      ),
      { numRuns: 5000 },
    );
  });
});
