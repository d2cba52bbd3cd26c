import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { AccessTokens, invalid, type SignInMethod, type TokenSubject } from '../tokens/access-tokens.js';
import { SigningKeys } from '../tokens/signing-keys.js';
import { refreshTokenId, refreshTokenValue } from './refresh-token-value.js';
import { SessionChanges } from './session-changes.js';
import type { Session } from './session.entity.js';
import { type ContinuedSession, SessionsRepository, type TokenDraft } from './sessions.repository.js';

/** A session's credentials as they leave the service: the HTTP layer makes them JSON or cookies. */
export interface SignedIn {
  accessToken: string;
  /** Seconds. */
  expiresIn: number;
  refreshToken: string;
  userId: string;
  sessionId: string;
}

/** Who is signing in, established by the caller inside the sign-in transaction (password, SSO, …). */
export type Authenticate = (tx: EntityManager) => Promise<TokenSubject>;

const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;
const MAX_USER_AGENT = 512;

/**
 * Sessions are refresh-token families (RFC 9700 §4.14): every sign-in starts one, every refresh spends a
 * token and mints its successor, and a spent token presented again after the grace window means it was
 * stolen, so the whole session is revoked. Every way of signing in ends in `signIn`, one transaction that
 * checks the person (the caller's part) and writes the session.
 */
@Injectable()
export class SessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionsService.name);
  private cleanup?: NodeJS.Timeout;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly sessions: SessionsRepository,
    private readonly accessTokens: AccessTokens,
    private readonly keys: SigningKeys,
    private readonly changes: SessionChanges,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.cleanup = setInterval(() => {
      this.sessions.deleteExpired().catch((error: unknown) => {
        this.logger.warn(`Session cleanup failed: ${(error as Error).message}`);
      });
    }, CLEANUP_INTERVAL_MS);
    this.cleanup.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  /**
   * Signs a person in: `authenticate` finds and checks them with `tx` (throwing rolls everything back),
   * then the new session is written in the same transaction, so nothing the check saw can change before
   * the session exists (a deactivation or password change after it revokes the session, see the
   * migration SessionsTable).
   */
  async signIn(
    method: SignInMethod,
    userAgent: string | undefined,
    authenticate: Authenticate,
  ): Promise<SignedIn> {
    const [outcome] = await this.signInMany(method, [userAgent], async (tx) => [await authenticate(tx)]);
    if (outcome instanceof DomainError) throw outcome;
    return outcome;
  }

  /** When and how a live session began (for OIDC's auth_time and amr); undefined once it has ended. */
  async describe(sessionId: string): Promise<{ startedAt: Date; method: SignInMethod } | undefined> {
    const session = await this.sessions.find(sessionId);
    if (!session || session.revokedAt || session.expiresAt <= new Date()) return undefined;
    return { startedAt: session.createdAt, method: session.signInMethod };
  }

  /**
   * `signIn` for several people at once, in one transaction (SSO landings that arrive together): one user
   * agent per person, and `authenticate` answers each one's subject, or the error that refuses them (the
   * others still sign in). Throwing rolls everything back.
   */
  async signInMany(
    method: SignInMethod,
    userAgents: readonly (string | undefined)[],
    authenticate: (tx: EntityManager) => Promise<(TokenSubject | DomainError)[]>,
  ): Promise<(SignedIn | DomainError)[]> {
    return this.db.transaction(async (tx) => {
      const subjects = await authenticate(tx);
      const now = epochNow();
      const started = subjects.map((subject, i) =>
        subject instanceof DomainError
          ? subject
          : {
              subject,
              session: {
                id: randomUUID(),
                userId: subject.id,
                method,
                userAgent: (userAgents[i] ?? '').slice(0, MAX_USER_AGENT),
                expiresAt: new Date((now + this.config.jwt.sessionMaxAge) * 1000),
                token: this.draft(now),
              },
            },
      );
      await this.sessions.start(
        tx,
        started.flatMap((s) => (s instanceof DomainError ? [] : [s.session])),
      );
      return started.map((s) =>
        s instanceof DomainError
          ? s
          : this.credentials({ sessionId: s.session.id, method, subject: s.subject, token: s.session.token }),
      );
    });
  }

  async refresh(value: string): Promise<SignedIn> {
    const id = refreshTokenId(this.keys.refreshKey, value);
    if (!id) throw invalid('Invalid refresh token');
    const outcome = await this.sessions.rotate(
      id,
      this.draft(epochNow()),
      this.config.jwt.refreshReuseWindow,
    );
    switch (outcome.kind) {
      case 'rotated':
      case 'repeated':
        return this.credentials(outcome.session);
      case 'expired':
        throw invalid('The refresh token expired');
      case 'ended':
        throw invalid('Invalid refresh token');
      case 'reused':
        this.changes.ended([outcome.sessionId]);
        this.logger.warn({
          msg: 'Refresh token reused after rotation; session revoked',
          session: outcome.sessionId,
        });
        throw new DomainError(
          'refresh_token_reused',
          'This refresh token was already used; sign in again',
          undefined,
          {
            'WWW-Authenticate': 'Bearer realm="latchkey", error="invalid_token"',
          },
        );
    }
  }

  /** Logout: the presented token's session ends, access tokens included. Unknown tokens are ignored. */
  async end(value: string | undefined): Promise<void> {
    const id = value === undefined ? undefined : refreshTokenId(this.keys.refreshKey, value);
    if (!id) return;
    const ended = await this.sessions.revokeByToken(id, 'logout');
    if (ended) this.changes.ended([ended]);
  }

  list(userId: string): Promise<Session[]> {
    return this.sessions.listActive(userId);
  }

  /** Ends one of the user's own sessions. */
  async endOne(userId: string, sessionId: string): Promise<void> {
    if (!(await this.endIfActive(userId, sessionId))) {
      throw new DomainError('not_found', 'No active session of yours with this id');
    }
  }

  /** Ends the session if it is the user's and still active; whether it was. */
  async endIfActive(userId: string, sessionId: string): Promise<boolean> {
    const ended = await this.sessions.revoke(sessionId, userId, 'ended');
    if (ended) this.changes.ended([sessionId]);
    return ended;
  }

  /** Ends every session of the user but `current`; how many ended. */
  async endOthers(userId: string, current: string): Promise<number> {
    const ended = await this.sessions.revokeAllOf(userId, current, 'ended');
    this.changes.ended(ended);
    return ended.length;
  }

  private credentials(session: ContinuedSession): SignedIn {
    const { token, subject } = session;
    const access = this.accessTokens.issue(subject, session.method, session.sessionId, {
      jti: token.accessJti,
      iat: Math.floor(token.issuedAt.getTime() / 1000),
    });
    return {
      accessToken: access.token,
      expiresIn: this.accessTokens.ttl,
      refreshToken: refreshTokenValue(this.keys.refreshKey, token.id),
      userId: subject.id,
      sessionId: session.sessionId,
    };
  }

  private draft(now: number): TokenDraft {
    return {
      id: randomUUID(),
      accessJti: randomUUID(),
      issuedAt: new Date(now * 1000),
      expiresAt: new Date((now + this.config.jwt.refreshTtl) * 1000),
    };
  }
}

function epochNow(): number {
  return Math.floor(Date.now() / 1000);
}
