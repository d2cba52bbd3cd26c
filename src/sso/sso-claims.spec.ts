import { loadConfig } from '../config/load-config.js';
import { mapSsoClaims } from './sso-claims.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = loadConfig({ DATA_DIR: mkdtempSync(join(tmpdir(), 'lk-')), JWT_SECRET: 'x'.repeat(40) }).sso;

describe('mapSsoClaims', () => {
  it('reads email and names through the configured claims, normalising the email', () => {
    expect(
      mapSsoClaims({ email: ' Ada@Example.COM ', first_name: ' Ada ', last_name: 'Lovelace' }, base),
    ).toEqual({
      email: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
    });
    const custom = {
      ...base,
      emailClaim: 'mail',
      firstNameClaim: 'given_name',
      lastNameClaim: 'family_name',
    };
    expect(
      mapSsoClaims({ mail: 'g@example.com', given_name: 'Grace', family_name: 'Hopper' }, custom),
    ).toEqual({
      email: 'g@example.com',
      firstName: 'Grace',
      lastName: 'Hopper',
    });
  });

  it('grants nothing for privilege-looking claims', () => {
    const identity = mapSsoClaims(
      { email: 'a@example.com', is_admin: true, role: 'admin', groups: ['admins'] },
      base,
    );
    expect(identity).toEqual({ email: 'a@example.com', firstName: undefined, lastName: undefined });
  });

  it.each([
    [{}, 'the email claim is missing'],
    [{ email: 42 }, 'the email claim is missing'],
    [{ email: 'not-an-email' }, 'the email claim must be an email address'],
    [{ email: 'a@example.com', email_verified: false }, 'the email is not verified'],
  ])('refuses %j', (payload, reason) => {
    expect(mapSsoClaims(payload, base)).toBe(reason);
  });

  describe('with JWT_SSO_REQUIRE_EMAIL_VERIFIED', () => {
    const required = { ...base, requireEmailVerified: true };

    it.each([[{}], [{ email_verified: 'true' }], [{ email_verified: 1 }], [{ email_verified: null }]])(
      'refuses %j',
      (extra) => {
        expect(mapSsoClaims({ email: 'a@example.com', ...extra }, required)).toBe(
          'the email is not verified',
        );
      },
    );

    it('accepts email_verified: true (and without the setting, a token that says nothing)', () => {
      expect(mapSsoClaims({ email: 'a@example.com', email_verified: true }, required)).toMatchObject({
        email: 'a@example.com',
      });
      expect(mapSsoClaims({ email: 'a@example.com' }, base)).toMatchObject({ email: 'a@example.com' });
    });
  });

  it('drops unusable names instead of failing the login', () => {
    expect(
      mapSsoClaims({ email: 'a@example.com', first_name: 'A\u0000B', last_name: 'x'.repeat(500) }, base),
    ).toEqual({
      email: 'a@example.com',
      firstName: undefined,
      lastName: 'x'.repeat(150),
    });
  });

  it('drops a name with a lone surrogate, and cuts a long one between characters, never inside one', () => {
    const identity = mapSsoClaims(
      { email: 'a@example.com', first_name: 'A\ud800', last_name: `${'x'.repeat(149)}${'😀'.repeat(3)}` },
      base,
    );
    expect(identity).toEqual({
      email: 'a@example.com',
      firstName: undefined,
      lastName: `${'x'.repeat(149)}😀`,
    });
  });
});
