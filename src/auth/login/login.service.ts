import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError } from '../../common/errors.js';
import { normaliseIdentifier } from '../../users/normalise.js';
import { UsersRepository } from '../../users/users.repository.js';
import { DummyHash } from '../passwords/dummy-hash.js';
import { PasswordHasher } from '../passwords/password-hasher.js';
import { SessionsService, type SignedIn } from '../sessions/sessions.service.js';
import { clientAddressKey } from './client-address.js';
import { LoginThrottleRepository, type ThrottleCount } from './login-throttle.repository.js';

/**
 * Limits per window (SECURITY.md, "Login"): failures of one account from one address lock that pair;
 * failures from one address, whatever the account, lock the address; failures of one account from many
 * addresses slow every attempt on it, and past a high mark lock out only addresses that have failed
 * themselves, so nobody can lock a person out of their account from elsewhere.
 */
export const PAIR_ATTEMPTS = 5;
export const ADDRESS_ATTEMPTS = 50;
export const ACCOUNT_SLOW_FROM = 20;
export const ACCOUNT_ATTEMPTS = 100;
export const THROTTLE_WINDOW_SECONDS = 15 * 60;
const SLOWDOWN_STEP_MS = 100;
const MAX_SLOWDOWN_MS = 3000;

const BAD_CREDENTIALS = 'Bad username or password';

export interface LoginAttempt {
  identifier: string;
  password: string;
  clientAddress: string;
  userAgent?: string;
}

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
    private readonly users: UsersRepository,
    private readonly throttle: LoginThrottleRepository,
    private readonly dummyHash: DummyHash,
  ) {}

  onModuleInit(): void {
    // Counters are keyed by whatever was typed, so old windows must go or the table grows without bound.
    this.cleanup = setInterval(() => {
      this.throttle.deleteStale(THROTTLE_WINDOW_SECONDS).catch((error: unknown) => {
        this.logger.warn(`Login-throttle cleanup failed: ${(error as Error).message}`);
      });
    }, THROTTLE_WINDOW_SECONDS * 1000);
    this.cleanup.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  /** A new session for the right password of an active account. */
  async login(attempt: LoginAttempt): Promise<SignedIn> {
    const typed = normaliseIdentifier(attempt.identifier);
    // Keyed by what was typed, whether or not such an account exists: the limit reveals nothing.
    const client = clientAddressKey(attempt.clientAddress);
    const keys = {
      pair: `pair:${client}|${typed}`,
      address: `address:${client}`,
      account: `account:${typed}`,
    };
    const counts = await this.throttle.count(
      [keys.pair, keys.address, keys.account],
      THROTTLE_WINDOW_SECONDS,
    );
    await this.enforceLimits(counts.get(keys.pair), counts.get(keys.address), counts.get(keys.account));

    const account = await this.users.findForLogin(typed);
    const stored = account?.passwordHash ?? (await this.dummyHash.value());
    const matches = await this.hasher.verify(stored, attempt.password);
    if (!account || !account.passwordHash || !matches || !account.user.isActive) {
      throw new DomainError('invalid_credentials', BAD_CREDENTIALS);
    }
    const verifiedHash = account.passwordHash;
    return this.sessions.signIn('password', attempt.userAgent, async (tx) => {
      // The hash just verified must still be the user's: a password change committed meanwhile wins.
      const user = await this.users.recordLogin(tx, account.user.id, verifiedHash);
      if (!user) throw new DomainError('invalid_credentials', BAD_CREDENTIALS);
      await this.throttle.forgive(tx, [keys.pair], [keys.address, keys.account]);
      return user;
    });
  }

  private async enforceLimits(
    pair: ThrottleCount | undefined,
    address: ThrottleCount | undefined,
    account: ThrottleCount | undefined,
  ): Promise<void> {
    const over: ThrottleCount[] = [];
    if (pair && pair.failures > PAIR_ATTEMPTS) over.push(pair);
    if (address && address.failures > ADDRESS_ATTEMPTS) over.push(address);
    // An address that has not failed on this account in the window (this attempt is its first) is never
    // locked out, whoever else behind it (a NAT, an office) mistyped their own password.
    if (account && account.failures > ACCOUNT_ATTEMPTS && (pair?.failures ?? 0) > 1) over.push(account);
    if (over.length > 0) {
      this.logger.warn({ msg: 'Login throttled' });
      throw new DomainError('rate_limited', 'Too many login attempts; try again later', undefined, {
        'Retry-After': String(Math.max(...over.map((c) => c.resetsIn))),
      });
    }
    if (account && account.failures > ACCOUNT_SLOW_FROM) {
      await sleep(Math.min(MAX_SLOWDOWN_MS, (account.failures - ACCOUNT_SLOW_FROM) * SLOWDOWN_STEP_MS));
    }
  }
}
