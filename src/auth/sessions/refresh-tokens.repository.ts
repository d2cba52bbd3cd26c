import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SignInMethod } from '../tokens/access-tokens.js';

export interface NewRefreshToken {
  id: string;
  familyId: string;
  userId: string;
  accessJti: string;
  issuedAt: Date;
  expiresAt: Date;
  signInMethod: SignInMethod;
}

export interface RefreshTokenRow extends NewRefreshToken {
  spentAt: Date | null;
  successorId: string | null;
  revokedAt: Date | null;
}

// What a new token row is written with (a new session's and a successor's alike).
const INSERT_COLUMNS = 'id, family_id, user_id, access_jti, issued_at, expires_at, sign_in_method';
const COLUMNS = `${INSERT_COLUMNS}, spent_at, successor_id, revoked_at`;

/**
 * A refresh token's own fields, drafted before the statement that writes it: a successor takes its family,
 * user and sign-in method from the spent token; a new session's come from the sign-in statement.
 */
export type TokenDraft = Omit<NewRefreshToken, 'familyId' | 'userId' | 'signInMethod'>;

/** SQL expressions for a new session's row, each read from the sign-in statement's own rows. */
export interface SessionRowSql {
  id: string;
  userId: string;
  accessJti: string;
  issuedAt: string;
  expiresAt: string;
  method: string;
}

/**
 * The INSERT that starts sessions (new families), for a sign-in statement that finds its users in the
 * same round trip (login, SSO landings): one session per row of `from` (none: no session).
 */
export function startSessionsSql(row: SessionRowSql, from: string): string {
  return `INSERT INTO refresh_tokens (${INSERT_COLUMNS})
          SELECT ${row.id}, ${row.id}, ${row.userId}, ${row.accessJti}, ${row.issuedAt}, ${row.expiresAt},
                 ${row.method}
            FROM ${from}`;
}

/** `startSessionsSql` for one session whose fields are `$first`…`$first+4` (`startSessionParams`). */
export function startSessionSql(userId: string, from: string, first: number): string {
  const [id, jti, issuedAt, expiresAt, method] = [0, 1, 2, 3, 4].map((i) => `$${first + i}`);
  return startSessionsSql(
    {
      id: `${id}::uuid`,
      userId,
      accessJti: `${jti}::uuid`,
      issuedAt: `${issuedAt}::timestamptz`,
      expiresAt: `${expiresAt}::timestamptz`,
      method: `${method}::text`,
    },
    from,
  );
}

export function startSessionParams(draft: TokenDraft, method: SignInMethod): unknown[] {
  return [draft.id, draft.accessJti, draft.issuedAt, draft.expiresAt, method];
}

export type RotationOutcome =
  { kind: 'rotated'; spent: RefreshTokenRow } | { kind: 'not_rotated'; current: RefreshTokenRow | undefined };

interface Row {
  id: string;
  family_id: string;
  user_id: string;
  access_jti: string;
  issued_at: Date;
  expires_at: Date;
  spent_at: Date | null;
  successor_id: string | null;
  revoked_at: Date | null;
  sign_in_method: SignInMethod;
}

@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Spends `id` and records its successor in one transaction. The conditional UPDATE takes the row
   * lock, so of two concurrent refreshes of one token exactly one rotates; the other waits, finds the
   * token spent, and is answered from the row (the grace window) instead of minting a second successor.
   */
  async rotate(id: string, successor: TokenDraft): Promise<RotationOutcome> {
    return this.db.transaction(async (tx) => {
      const [spent]: [Row[], number] = await tx.query(
        `UPDATE refresh_tokens SET spent_at = now(), successor_id = $2
          WHERE id = $1 AND spent_at IS NULL AND revoked_at IS NULL AND expires_at > now()
          RETURNING ${COLUMNS}`,
        [id, successor.id],
      );
      if (spent.length === 0) {
        const rows: Row[] = await tx.query(`SELECT ${COLUMNS} FROM refresh_tokens WHERE id = $1`, [id]);
        return { kind: 'not_rotated', current: rows[0] && toToken(rows[0]) };
      }
      await tx.query(`INSERT INTO refresh_tokens (${INSERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
        successor.id,
        spent[0].family_id,
        spent[0].user_id,
        successor.accessJti,
        successor.issuedAt,
        successor.expiresAt,
        spent[0].sign_in_method,
      ]);
      return { kind: 'rotated', spent: toToken(spent[0]) };
    });
  }

  async findById(id: string): Promise<RefreshTokenRow | undefined> {
    const rows: Row[] = await this.db.query(`SELECT ${COLUMNS} FROM refresh_tokens WHERE id = $1`, [id]);
    return rows[0] && toToken(rows[0]);
  }

  async revokeFamily(familyId: string): Promise<void> {
    await this.db.query(
      `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`,
      [familyId],
    );
  }

  /** Rows past their expiry serve no purpose, not even reuse detection; removed in the background. */
  async deleteExpired(): Promise<number> {
    const [, count]: [unknown[], number] = await this.db.query(
      `DELETE FROM refresh_tokens WHERE expires_at < now() - interval '1 day'`,
    );
    return count;
  }
}

function toToken(row: Row): RefreshTokenRow {
  return {
    id: row.id,
    familyId: row.family_id,
    userId: row.user_id,
    accessJti: row.access_jti,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    spentAt: row.spent_at,
    successorId: row.successor_id,
    revokedAt: row.revoked_at,
    signInMethod: row.sign_in_method,
  };
}
