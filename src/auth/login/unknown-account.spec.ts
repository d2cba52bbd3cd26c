import { DomainError } from '../../common/errors.js';
import { DummyHash } from '../passwords/dummy-hash.js';
import type { PasswordHasher } from '../passwords/password-hasher.js';
import type { SessionsService } from '../sessions/sessions.service.js';
import type { UsersRepository } from '../../users/users.repository.js';
import type { LoginThrottleRepository } from './login-throttle.repository.js';
import { LoginService } from './login.service.js';

/**
 * An unknown account's login is verified against a hash made by the hasher with today's parameters:
 * here a hasher whose parameters are not the ones of any fixed string, so a login that used a fixed
 * dummy would verify against something else.
 */
class RecordingHasher {
  readonly hashed: string[] = [];
  readonly verified: string[] = [];
  failNextHash = false;

  hash(password: string): Promise<string> {
    if (this.failNextHash) {
      this.failNextHash = false;
      return Promise.reject(new Error('hashing thread died'));
    }
    this.hashed.push(password);
    return Promise.resolve(`$argon2id$v=19$m=65536,t=4,p=2$salt${this.hashed.length}$digest`);
  }

  verify(passwordHash: string): Promise<boolean> {
    this.verified.push(passwordHash);
    return Promise.resolve(false);
  }
}

const noAccount = { findForLogin: () => Promise.resolve(undefined) } as unknown as UsersRepository;
const firstAttempts = {
  count: (keys: string[]) =>
    Promise.resolve(new Map(keys.map((key) => [key, { failures: 1, resetsIn: 900 }]))),
} as unknown as LoginThrottleRepository;

function service(hasher: RecordingHasher, dummy: DummyHash): LoginService {
  return new LoginService(
    hasher as unknown as PasswordHasher,
    {} as SessionsService,
    noAccount,
    firstAttempts,
    dummy,
  );
}

async function failedLogin(login: LoginService, name: string): Promise<string | undefined> {
  const attempt = { identifier: name, password: 'a guess', clientAddress: '192.0.2.1' };
  const error: unknown = await login.login(attempt).catch((e: unknown) => e);
  return error instanceof DomainError ? error.code : String(error);
}

describe('the unknown-account path', () => {
  it('verifies against a hash the hasher made (today’s ARGON2_PARAMS), made once', async () => {
    const hasher = new RecordingHasher();
    const dummy = new DummyHash(hasher as unknown as PasswordHasher);
    const login = service(hasher, dummy);
    expect(await failedLogin(login, 'ghost@example.com')).toBe('invalid_credentials');
    expect(await failedLogin(login, 'phantom@example.com')).toBe('invalid_credentials');
    expect(hasher.verified).toEqual([
      '$argon2id$v=19$m=65536,t=4,p=2$salt1$digest',
      '$argon2id$v=19$m=65536,t=4,p=2$salt1$digest',
    ]);
    expect(hasher.hashed).toHaveLength(1);
    // a random throw-away password, not a constant
    expect(hasher.hashed[0]).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await new DummyHash(hasher as unknown as PasswordHasher).value()).not.toBe(await dummy.value());
  });

  it('is started at boot without being awaited, and made again after a failed attempt', async () => {
    const hasher = new RecordingHasher();
    hasher.failNextHash = true;
    const dummy = new DummyHash(hasher as unknown as PasswordHasher);
    expect(dummy.onApplicationBootstrap()).toBeUndefined();
    await new Promise((r) => setImmediate(r));
    expect(await failedLogin(service(hasher, dummy), 'ghost@example.com')).toBe('invalid_credentials');
    expect(hasher.verified).toEqual(['$argon2id$v=19$m=65536,t=4,p=2$salt1$digest']);
  });
});
