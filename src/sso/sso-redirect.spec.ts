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
});
