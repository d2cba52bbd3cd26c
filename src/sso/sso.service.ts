import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SessionsService, type SignedIn } from '../auth/sessions/sessions.service.js';
import { DomainError } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { rethrowUniqueViolation } from '../users/unique-violation.js';
import { UsersRepository } from '../users/users.repository.js';
import { ReplayRepository } from './replay.repository.js';
import { mapSsoClaims, type SsoIdentity } from './sso-claims.js';
import { SsoTokenRejected, SsoTokenVerifier } from './sso-token-verifier.js';

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
/**
 * How far behind the database's clock an instance's clock may run. Invariant: a spent jti's row outlives
 * every instance's acceptance of its token. An instance accepts a token until ITS clock passes exp + leeway;
 * the row is deleted once the DATABASE's clock passes its expires_at (ReplayRepository). An instance whose
 * clock is d behind would still accept the token d after exp + leeway: had its row gone, that would be a
 * replay. Keeping the row this much longer holds the invariant for any d up to it (NTP keeps servers well
 * within it; RFC 7519 §4.1.4 leaves the skew to the implementer).
 */
const REPLAY_CLOCK_MARGIN_SECONDS = 5 * 60;

/** A partner token whose signature and claims passed, not yet used: nothing is written until `signIn`. */
export interface CheckedSsoToken {
  identity: SsoIdentity;
  issuer: string;
  jti?: string;
  exp: number;
}

/** Partner-token login: verify, accept each jti once, find or create the user, start our session. */
@Injectable()
export class SsoService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('SSO');
  private cleanup?: NodeJS.Timeout;

  constructor(
    private readonly verifier: SsoTokenVerifier,
    private readonly replays: ReplayRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.cleanup = setInterval(() => {
      this.replays.deleteExpired().catch((error: unknown) => {
        this.logger.warn(`SSO replay-store cleanup failed: ${(error as Error).message}`);
      });
    }, CLEANUP_INTERVAL_MS);
    this.cleanup.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  /** Verifies a partner token and reads who it names, with no side effect (the jti is not spent yet). */
  async check(token: string): Promise<CheckedSsoToken> {
    if (!this.verifier.enabled) {
      throw new DomainError('sso_token_invalid', 'Single sign-on is not configured on this server');
    }
    this.logger.log('JWT token detected in URL, attempting auto-login');
    const verified = await this.verifier.verify(token).catch((error: unknown) => {
      if (!(error instanceof SsoTokenRejected)) throw error;
      this.logger.warn({
        msg: `SSO token refused: ${error.check}`,
        check: error.check,
        reason: error.message,
      });
      throw new DomainError('sso_token_invalid', 'The sign-in link is invalid or has expired');
    });
    const identity = mapSsoClaims(verified.payload, this.config.sso);
    if (typeof identity === 'string') {
      this.logger.warn({ msg: 'SSO token refused: claims', check: 'claims', reason: identity });
      throw new DomainError('sso_token_invalid', 'The sign-in link does not name a usable account');
    }
    this.logger.log(`JWT token verified for email: ${identity.email}`);
    return { identity, issuer: verified.issuer, jti: verified.jti, exp: verified.exp };
  }

  /**
   * Spends the token (once per jti, across instances), finds or creates the user and starts our session, in
   * one transaction: a landing refused for any reason (a replay, an inactive or unknown user, an admin)
   * leaves nothing written, its jti unspent included.
   */
  async signIn(checked: CheckedSsoToken, userAgent?: string): Promise<SignedIn> {
    const { identity } = checked;
    const { leeway, autoCreateUsers, allowAdmins } = this.config.sso;
    let created = false;
    const signedIn = await this.sessions
      .signIn('sso', userAgent, async (tx) => {
        if (checked.jti !== undefined) {
          const keepUntil = new Date((checked.exp + leeway + REPLAY_CLOCK_MARGIN_SECONDS) * 1000);
          if (!(await this.replays.spend(tx, { issuer: checked.issuer, jti: checked.jti, keepUntil }))) {
            this.logger.warn({ msg: 'SSO token refused: replay', check: 'replay', email: identity.email });
            throw new DomainError('sso_token_replayed', 'This sign-in link was already used');
          }
        }
        const landed = await this.users.signInFromSso(tx, identity, { create: autoCreateUsers, allowAdmins });
        switch (landed.kind) {
          case 'inactive':
            throw new DomainError('user_inactive', 'This account is deactivated');
          case 'unknown':
            throw new DomainError(
              'sso_user_unknown',
              'No account for this user, and automatic creation is off',
            );
          case 'admin':
            this.logger.warn({ msg: 'SSO token refused: administrator account', check: 'admin' });
            throw new DomainError(
              'forbidden',
              'Administrators sign in with their password, not through a partner',
            );
          case 'signed_in':
            created = landed.created;
            return landed.user;
        }
      })
      .catch(rethrowUniqueViolation);
    if (created) this.logger.log(`Created user from SSO: ${identity.email}`);
    this.logger.log(`User auto-logged in: ${identity.email}`);
    return signedIn;
  }
}
