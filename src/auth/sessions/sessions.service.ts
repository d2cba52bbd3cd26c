import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { UsersService } from '../../users/users.service.js';
import { AccessTokens, invalid, type SignInMethod, type TokenSubject } from '../tokens/access-tokens.js';
import { SigningKeys } from '../tokens/signing-keys.js';
import { refreshTokenId, refreshTokenValue } from './refresh-token-value.js';
import {
  RefreshTokensRepository,
  type RefreshTokenRow,
  type TokenDraft,
} from './refresh-tokens.repository.js';

/** What `POST /token` and `POST /token/refresh` answer (contract §3). */
export interface TokenPair {
  token: string;
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  user_id: string;
}

const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Sessions are refresh-token families (RFC 9700 §4.14): a login starts one, every refresh spends a
 * token and mints its successor, and a spent token presented again after the grace window means it
 * was stolen, so the whole family is revoked.
 */
@Injectable()
export class SessionsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SessionsService.name);
  private cleanup?: NodeJS.Timeout;

  constructor(
    private readonly tokens: RefreshTokensRepository,
    private readonly accessTokens: AccessTokens,
    private readonly keys: SigningKeys,
    private readonly users: UsersService,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.cleanup = setInterval(() => {
      this.tokens.deleteExpired().catch((error: unknown) => {
        this.logger.warn(`Refresh-token cleanup failed: ${(error as Error).message}`);
      });
    }, CLEANUP_INTERVAL_MS);
    this.cleanup.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  /**
   * A session for a user about to prove who they are (password or SSO): its token's fields, drafted before
   * the sign-in statement that checks the user and writes the session row in one round trip
   * (`startSessionSql`); `open` then makes the pair.
   */
  draft(): TokenDraft {
    const iat = Math.floor(Date.now() / 1000);
    return {
      id: randomUUID(),
      accessJti: randomUUID(),
      issuedAt: new Date(iat * 1000),
      expiresAt: this.refreshExpiry(iat),
    };
  }

  /** The token pair for a refresh-token row already written (`draft`): a new session's, or a successor's. */
  open(subject: TokenSubject, method: SignInMethod, draft: TokenDraft): TokenPair {
    const { token } = this.accessTokens.issue(subject, method, {
      jti: draft.accessJti,
      iat: epoch(draft.issuedAt),
    });
    return {
      token,
      access_token: token,
      token_type: 'Bearer',
      expires_in: this.accessTokens.ttl,
      refresh_token: refreshTokenValue(this.keys.refreshKey, draft.id),
      user_id: subject.id,
    };
  }

  async refresh(value: string): Promise<TokenPair> {
    const id = refreshTokenId(this.keys.refreshKey, value);
    if (!id) throw invalid('Invalid refresh token');
    const successor = this.draft();
    const outcome = await this.tokens.rotate(id, successor);
    if (outcome.kind === 'rotated') {
      const subject = await this.activeSubject(outcome.spent);
      return this.open(subject, outcome.spent.signInMethod, successor);
    }
    return this.answerUnrotated(outcome.current);
  }

  /** Logout: the presented token's whole family stops working. Unknown tokens are ignored (idempotent). */
  async end(value: string | undefined): Promise<void> {
    const id = value === undefined ? undefined : refreshTokenId(this.keys.refreshKey, value);
    if (!id) return;
    const token = await this.tokens.findById(id);
    if (token) await this.tokens.revokeFamily(token.familyId);
  }

  /** A token that could not be rotated: gone, revoked, expired, or spent before (a race, or a thief). */
  private async answerUnrotated(token: RefreshTokenRow | undefined): Promise<TokenPair> {
    if (!token || token.revokedAt) throw invalid('Invalid refresh token');
    if (!token.spentAt || !token.successorId) throw invalid('The refresh token expired');
    const sinceSpent = Date.now() - token.spentAt.getTime();
    if (sinceSpent > this.config.jwt.refreshReuseWindow * 1000) {
      await this.tokens.revokeFamily(token.familyId);
      this.logger.warn({
        msg: 'Refresh token reused after rotation; session family revoked',
        family: token.familyId,
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
    // Within the grace window: the same successor pair again, so two tabs refreshing at once both stay in.
    const successor = await this.tokens.findById(token.successorId);
    if (!successor || successor.revokedAt) throw invalid('Invalid refresh token');
    const subject = await this.activeSubject(successor);
    return this.open(subject, successor.signInMethod, successor);
  }

  private async activeSubject(token: RefreshTokenRow): Promise<TokenSubject> {
    // Only "no such user" ends the session: a database outage here must be a 503 the client can retry
    // (within the grace window the retry gets the same successor), never a revoked family.
    const user = await this.users.get(token.userId).catch((error: unknown) => {
      if (error instanceof DomainError && error.code === 'not_found') return undefined;
      throw error;
    });
    if (!user || !user.isActive) {
      await this.tokens.revokeFamily(token.familyId);
      throw invalid('The user of this session is no longer active');
    }
    return user;
  }

  private refreshExpiry(iat: number): Date {
    return new Date((iat + this.config.jwt.refreshTtl) * 1000);
  }
}

function epoch(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
