import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SessionsService, type SignedIn } from '../auth/sessions/sessions.service.js';
import type { TokenSubject } from '../auth/tokens/access-tokens.js';
import { DomainError } from '../common/errors.js';
import { AppConfig } from '../config/app-config.js';
import { WriteBatcher } from '../database/write-batcher.js';
import { rethrowUniqueViolation } from '../users/unique-violation.js';
import { UsersRepository } from '../users/users.repository.js';
import { claimKey, ReplayRepository, type SpentClaim } from './replay.repository.js';
import { mapSsoClaims, type SsoIdentity } from './sso-claims.js';
import { SsoTokenRejected, SsoTokenVerifier } from './sso-token-verifier.js';

const CLEANUP_INTERVAL_MS = 10 * 60 * 1000;
// Two transactions in flight: a landing waiting on a row lock does not hold up all the others.
const MAX_BATCHES_IN_FLIGHT = 2;
const MAX_BATCH = 64;
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
  private readonly landings: WriteBatcher<Landing, Landed | DomainError>;

  constructor(
    private readonly verifier: SsoTokenVerifier,
    private readonly replays: ReplayRepository,
    private readonly users: UsersRepository,
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {
    this.landings = new WriteBatcher((landings) => this.landAll(landings), {
      maxInFlight: MAX_BATCHES_IN_FLIGHT,
      maxBatch: MAX_BATCH,
      // One statement may not write a user twice (ON CONFLICT DO UPDATE refuses), and two uses of one token
      // must meet in separate transactions to be told apart.
      keys: ({ checked }) => [
        checked.identity.email,
        ...(checked.jti === undefined ? [] : [claimKey({ issuer: checked.issuer, jti: checked.jti })]),
      ],
    });
  }

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
   * leaves nothing written, its jti unspent included. Landings that arrive together share that transaction
   * (`WriteBatcher`; bench: the SSO row), each answered on its own.
   */
  async signIn(checked: CheckedSsoToken, userAgent?: string): Promise<SignedIn> {
    const landed = await this.landings.submit({ checked, userAgent }).catch(rethrowUniqueViolation);
    if (landed instanceof DomainError) throw landed;
    const { email } = checked.identity;
    if (landed.created) this.logger.log(`Created user from SSO: ${email}`);
    this.logger.log(`User auto-logged in: ${email}`);
    return landed.signedIn;
  }

  private async landAll(landings: Landing[]): Promise<(Landed | DomainError)[]> {
    const { leeway, autoCreateUsers, allowAdmins } = this.config.sso;
    const created: boolean[] = [];
    const results = await this.sessions.signInMany(
      'sso',
      landings.map((l) => l.userAgent),
      async (tx): Promise<(TokenSubject | DomainError)[]> => {
        const claims = landings.map(({ checked }): SpentClaim | undefined =>
          checked.jti === undefined
            ? undefined
            : {
                issuer: checked.issuer,
                jti: checked.jti,
                keepUntil: new Date((checked.exp + leeway + REPLAY_CLOCK_MARGIN_SECONDS) * 1000),
              },
        );
        const spent = await this.replays.spend(
          tx,
          claims.filter((c) => c !== undefined),
        );
        const admitted = landings.map((_, i) => claims[i] === undefined || spent.has(claimKey(claims[i])));
        const candidates = landings.filter((_, i) => admitted[i]);
        const outcomes = await this.users.signInManyFromSso(
          tx,
          candidates.map((l) => l.checked.identity),
          { create: autoCreateUsers, allowAdmins },
        );
        const byEmail = new Map(candidates.map((l, i) => [l.checked.identity.email, outcomes[i]]));
        const answers = landings.map((landing, i): TokenSubject | DomainError => {
          const outcome = byEmail.get(landing.checked.identity.email);
          if (!admitted[i] || !outcome) {
            this.logger.warn({
              msg: 'SSO token refused: replay',
              check: 'replay',
              email: landing.checked.identity.email,
            });
            return new DomainError('sso_token_replayed', 'This sign-in link was already used');
          }
          switch (outcome.kind) {
            case 'inactive':
              return new DomainError('user_inactive', 'This account is deactivated');
            case 'unknown':
              return new DomainError(
                'sso_user_unknown',
                'No account for this user, and automatic creation is off',
              );
            case 'admin':
              this.logger.warn({ msg: 'SSO token refused: administrator account', check: 'admin' });
              return new DomainError(
                'forbidden',
                'Administrators sign in with their password, not through a partner',
              );
            case 'signed_in':
              created[i] = outcome.created;
              return outcome.user;
          }
        });
        // A refused landing's jti was spent above: taken back, so that the link stays usable (nothing written).
        await this.replays.release(
          tx,
          claims.filter(
            (claim, i): claim is SpentClaim =>
              claim !== undefined && admitted[i] && answers[i] instanceof DomainError,
          ),
        );
        return answers;
      },
    );
    return results.map((result, i) =>
      result instanceof DomainError ? result : { signedIn: result, created: created[i] === true },
    );
  }
}

interface Landing {
  checked: CheckedSsoToken;
  userAgent?: string;
}

interface Landed {
  signedIn: SignedIn;
  created: boolean;
}
