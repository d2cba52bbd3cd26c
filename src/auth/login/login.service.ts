import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DomainError } from '../../common/errors.js';
import { normaliseIdentifier } from '../../users/normalise.js';
import { DummyHash } from '../passwords/dummy-hash.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { SessionsService, type TokenPair } from '../sessions/sessions.service.js';
import { LoginRepository } from './login.repository.js';

/** Failed attempts allowed per account identifier, and per client address, in one window. */
export const ACCOUNT_ATTEMPTS = 5;
export const ADDRESS_ATTEMPTS = 50;
export const THROTTLE_WINDOW_SECONDS = 15 * 60;

const BAD_CREDENTIALS = 'Bad username or password';

/**
 * Password login. Unknown user, wrong password and inactive user fail alike, with the same body and
 * the same work (an unknown user is verified against a dummy hash), so neither the answer nor its
 * timing tells which accounts exist.
 */
@Injectable()
export class LoginService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(LoginService.name);
  private cleanup?: NodeJS.Timeout;

  constructor(
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsService,
    private readonly logins: LoginRepository,
    private readonly dummyHash: DummyHash,
  ) {}

  onModuleInit(): void {
    // Counters are keyed by whatever was typed, so old windows must go or the table grows without bound.
    this.cleanup = setInterval(() => {
      this.logins.deleteStale(THROTTLE_WINDOW_SECONDS).catch((error: unknown) => {
        this.logger.warn(`Login-throttle cleanup failed: ${(error as Error).message}`);
      });
    }, THROTTLE_WINDOW_SECONDS * 1000);
    this.cleanup.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  /** A new session's token pair for the right password of an active account. */
  async login(identifier: string, password: string, clientAddress: string): Promise<TokenPair> {
    const typed = normaliseIdentifier(identifier);
    // Keyed by what was typed, whether or not such an account exists: the limit reveals nothing.
    const accountKey = `account:${typed}`;
    const addressKey = `address:${clientAddress}`;
    const { counts, account } = await this.logins.attempt(
      [accountKey, addressKey],
      typed,
      THROTTLE_WINDOW_SECONDS,
    );
    const over = counts.filter(
      (c) => c.failures > (c.key === accountKey ? ACCOUNT_ATTEMPTS : ADDRESS_ATTEMPTS),
    );
    if (over.length > 0) {
      const retryAfter = Math.max(...over.map((c) => c.resetsIn));
      this.logger.warn({ msg: 'Login throttled', limit: over.map((c) => c.key.split(':')[0]).join(',') });
      throw new DomainError('rate_limited', 'Too many login attempts; try again later', undefined, {
        'Retry-After': String(retryAfter),
      });
    }
    const stored = account?.passwordHash ?? (await this.dummyHash.value());
    const matches = await this.hasher.verify(stored, password);
    if (!account || !account.passwordHash || !matches || !account.user.isActive) {
      throw new DomainError('invalid_credentials', BAD_CREDENTIALS);
    }
    const { user } = account;
    const draft = this.sessions.draft();
    if (!(await this.logins.succeed(accountKey, addressKey, user.id, draft))) {
      throw new DomainError('invalid_credentials', BAD_CREDENTIALS);
    }
    return this.sessions.open(user, 'password', draft);
  }
}
