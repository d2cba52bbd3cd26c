import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, IsNull, MoreThan, Not, type Repository } from 'typeorm';
import { preparedRows } from '../../database/prepared-rows.js';
import { queryRows } from '../../database/query-rows.js';
import type { SignInMethod, TokenSubject } from '../tokens/access-tokens.js';
import { RefreshToken } from './refresh-token.entity.js';
import { type RevokedReason, Session } from './session.entity.js';

/** A refresh token about to be written (a new session's first, or a successor). */
export interface TokenDraft {
  id: string;
  accessJti: string;
  issuedAt: Date;
  expiresAt: Date;
}

export interface NewSession {
  id: string;
  userId: string;
  method: SignInMethod;
  userAgent: string;
  /** The session's absolute end (JWT_SESSION_MAX_AGE). */
  expiresAt: Date;
  token: TokenDraft;
}

/** A session that continues, with the refresh token to hand out and the user it belongs to now. */
export interface ContinuedSession {
  sessionId: string;
  method: SignInMethod;
  subject: TokenSubject;
  token: TokenDraft;
}

export type RotationOutcome =
  /** `rotated`: the token was spent and `token` is its new successor; `repeated`: spent moments ago (the
   * grace window), and `token` is the successor it got then. */
  | { kind: 'rotated' | 'repeated'; session: ContinuedSession }
  /** Spent before the grace window: presumed stolen, and the session is now revoked. */
  | { kind: 'reused'; sessionId: string }
  | { kind: 'expired' }
  /** No such token, or its session was revoked, has reached its end, or its user is inactive. */
  | { kind: 'ended' };

export interface SessionStatus {
  userId: string;
  /** Not revoked and its user active; `expiresAt` still has to be checked against the clock. */
  active: boolean;
  isAdmin: boolean;
  expiresAt: Date;
}

interface LockedSessionRow {
  id: string;
  sign_in_method: SignInMethod;
  expires_at: Date;
  user_id: string;
  email: string;
  username: string;
  is_admin: boolean;
}

interface TokenRow {
  id: string;
  access_jti: string;
  issued_at: Date;
  expires_at: Date;
  spent_at: Date | null;
  successor_id: string | null;
  in_grace: boolean;
  expired: boolean;
}

/**
 * Owns `sessions` and their `refresh_tokens` (one aggregate: a token never exists without its session).
 * Every change to a session's tokens first takes the session row's lock, and every revocation is an UPDATE
 * of that row, so a revocation and a rotation of one session are serialised by PostgreSQL: whichever comes
 * second sees what the first committed.
 */
@Injectable()
export class SessionsRepository {
  private readonly sessions: Repository<Session>;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.sessions = db.getRepository(Session);
  }

  /** Writes new sessions and their first refresh tokens, in the caller's sign-in transaction. */
  async start(tx: EntityManager, sessions: readonly NewSession[]): Promise<void> {
    if (sessions.length === 0) return;
    const column = <V>(value: (session: NewSession) => V): V[] => sessions.map(value);
    await preparedRows(
      tx,
      `WITH s AS (
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::timestamptz[],
                              $6::uuid[], $7::uuid[], $8::timestamptz[], $9::timestamptz[])
           AS s(id, user_id, method, user_agent, expires_at, token_id, access_jti, issued_at, token_expires_at)),
       started AS (
         INSERT INTO sessions (id, user_id, sign_in_method, user_agent, expires_at)
         SELECT id, user_id, method, user_agent, expires_at FROM s)
       INSERT INTO refresh_tokens (id, session_id, access_jti, issued_at, expires_at)
       SELECT token_id, id, access_jti, issued_at, token_expires_at FROM s`,
      [
        column((s) => s.id),
        column((s) => s.userId),
        column((s) => s.method),
        column((s) => s.userAgent),
        column((s) => s.expiresAt),
        column((s) => s.token.id),
        column((s) => s.token.accessJti),
        column((s) => s.token.issuedAt),
        column((s) => earlier(s.token.expiresAt, s.expiresAt)),
      ],
    );
  }

  /**
   * Spends refresh token `tokenId` and writes `successor`, or says why not, in one transaction that holds
   * the session row's lock from its first statement: a concurrent logout, reuse detection or user change
   * waits for it and then revokes the session with the successor in it (RFC 9700 §4.14.2).
   */
  rotate(tokenId: string, successor: TokenDraft, reuseWindowSeconds: number): Promise<RotationOutcome> {
    return this.db.transaction(async (tx): Promise<RotationOutcome> => {
      const [session] = await queryRows<LockedSessionRow>(
        tx,
        `UPDATE sessions s SET last_used_at = now()
           FROM users u
          WHERE s.id = (SELECT session_id FROM refresh_tokens WHERE id = $1)
            AND u.id = s.user_id AND u.is_active AND s.revoked_at IS NULL AND s.expires_at > now()
        RETURNING s.id, s.sign_in_method, s.expires_at, u.id AS user_id, u.email, u.username, u.is_admin`,
        [tokenId],
      );
      if (!session) return { kind: 'ended' };
      const [token] = await queryRows<TokenRow>(
        tx,
        `SELECT id, access_jti, issued_at, expires_at, spent_at, successor_id,
                spent_at > now() - make_interval(secs => $2) AS in_grace, expires_at <= now() AS expired
           FROM refresh_tokens WHERE id = $1`,
        [tokenId, reuseWindowSeconds],
      );
      if (token.expired) return { kind: 'expired' };
      const continued = (draft: TokenDraft): ContinuedSession => ({
        sessionId: session.id,
        method: session.sign_in_method,
        subject: {
          id: session.user_id,
          email: session.email,
          username: session.username,
          isAdmin: session.is_admin,
        },
        token: draft,
      });
      if (token.spent_at === null) {
        const next = { ...successor, expiresAt: earlier(successor.expiresAt, session.expires_at) };
        await tx.query(
          `WITH spent AS (
             UPDATE refresh_tokens SET spent_at = now(), successor_id = $2 WHERE id = $1 RETURNING session_id)
           INSERT INTO refresh_tokens (id, session_id, access_jti, issued_at, expires_at)
           SELECT $2, session_id, $3, $4, $5 FROM spent`,
          [tokenId, next.id, next.accessJti, next.issuedAt, next.expiresAt],
        );
        return { kind: 'rotated', session: continued(next) };
      }
      if (token.in_grace && token.successor_id !== null) {
        const [given] = await queryRows<TokenRow>(
          tx,
          `SELECT id, access_jti, issued_at, expires_at FROM refresh_tokens WHERE id = $1`,
          [token.successor_id],
        );
        if (given) return { kind: 'repeated', session: continued(toDraft(given)) };
      }
      await this.revokeLocked(tx, session.id, 'reuse');
      return { kind: 'reused', sessionId: session.id };
    });
  }

  /** Revokes the session of refresh token `tokenId`; its id, or undefined when there was none to revoke. */
  async revokeByToken(tokenId: string, reason: RevokedReason): Promise<string | undefined> {
    const [row] = await queryRows<{ id: string }>(
      this.db.manager,
      `UPDATE sessions SET revoked_at = now(), revoked_reason = $2
        WHERE id = (SELECT session_id FROM refresh_tokens WHERE id = $1) AND revoked_at IS NULL
       RETURNING id`,
      [tokenId, reason],
    );
    return row?.id;
  }

  /** Revokes one session of `userId`; false when it is not theirs or has ended already. */
  async revoke(sessionId: string, userId: string, reason: RevokedReason): Promise<boolean> {
    const { affected } = await this.sessions.update(
      { id: sessionId, userId, revokedAt: IsNull() },
      { revokedAt: () => 'now()', revokedReason: reason },
    );
    return affected === 1;
  }

  /** Revokes every session of `userId` but `except`; the ids revoked. */
  async revokeAllOf(userId: string, except: string | undefined, reason: RevokedReason): Promise<string[]> {
    const result = await this.sessions
      .createQueryBuilder()
      .update()
      .set({ revokedAt: () => 'now()', revokedReason: reason })
      .where({ userId, revokedAt: IsNull(), ...(except ? { id: Not(except) } : {}) })
      .returning('id')
      .execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }

  find(sessionId: string): Promise<Session | null> {
    return this.sessions.findOneBy({ id: sessionId });
  }

  /** The user's sessions that can still be continued, most recently used first. */
  listActive(userId: string): Promise<Session[]> {
    return this.sessions.find({
      where: { userId, revokedAt: IsNull(), expiresAt: MoreThan(new Date()) },
      order: { lastUsedAt: 'DESC', id: 'ASC' },
    });
  }

  /** What an access token of session `sessionId` may do now; undefined when there is no such session. */
  async statusOf(sessionId: string): Promise<SessionStatus | undefined> {
    const [row] = await queryRows<{ user_id: string; active: boolean; is_admin: boolean; expires_at: Date }>(
      this.db.manager,
      `SELECT s.user_id, s.revoked_at IS NULL AND u.is_active AS active, u.is_admin, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`,
      [sessionId],
    );
    return (
      row && { userId: row.user_id, active: row.active, isAdmin: row.is_admin, expiresAt: row.expires_at }
    );
  }

  /**
   * Sessions past their end, and tokens past their expiry, serve no purpose, not even reuse detection
   * (an expired token is refused for its expiry); removed in the background.
   */
  async deleteExpired(): Promise<void> {
    for (const entity of [RefreshToken, Session]) {
      await this.db
        .getRepository(entity)
        .createQueryBuilder()
        .delete()
        .where(`expires_at < now() - interval '1 day'`)
        .execute();
    }
  }

  private async revokeLocked(tx: EntityManager, sessionId: string, reason: RevokedReason): Promise<void> {
    await tx.query(`UPDATE sessions SET revoked_at = now(), revoked_reason = $2 WHERE id = $1`, [
      sessionId,
      reason,
    ]);
  }
}

function toDraft(row: Pick<TokenRow, 'id' | 'access_jti' | 'issued_at' | 'expires_at'>): TokenDraft {
  return { id: row.id, accessJti: row.access_jti, issuedAt: row.issued_at, expiresAt: row.expires_at };
}

function earlier(a: Date, b: Date): Date {
  return a.getTime() <= b.getTime() ? a : b;
}
