import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  type TokenDraft,
  startSessionParams,
  startSessionSql,
} from '../auth/sessions/refresh-tokens.repository.js';
import { queryPrepared } from '../database/prepared.js';
import type { User } from '../users/user.entity.js';
import { toUser, USER_COLUMNS, type UserRow } from '../users/user-row.js';

export interface Landing {
  identity: { email: string; firstName?: string; lastName?: string };
  /** Whether an unknown email becomes a new `sso` user (`JWT_SSO_AUTO_CREATE_USERS`). */
  create: boolean;
  /** The token's one-time id, spent by this landing; undefined for a partner that sends none. */
  claim?: { issuer: string; jti: string; expiresAt: Date };
  session: TokenDraft;
}

export type LandingOutcome =
  | { kind: 'signed_in'; user: User; created: boolean }
  | { kind: 'replayed' }
  | { kind: 'inactive' }
  | { kind: 'unknown' };

type LandingRow = Partial<UserRow> & {
  eligible: boolean;
  claimed: boolean;
  known: boolean;
  created: boolean;
};

/**
 * An SSO landing's writes in one statement: spend the jti, find or create the user (names refreshed,
 * `last_login_at` set), start the session. As one transaction of three statements it cost five round trips,
 * and those cost more CPU, in Latchkey and in PostgreSQL, than the rest of the landing (bench: the SSO
 * row). Being one statement it is also one commit: a landing that fails (an inactive or unknown user)
 * leaves its token unspent, and concurrent first landings of one email make one user (`ON CONFLICT`).
 */
@Injectable()
export class SsoLandingRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async land({ identity, create, claim, session }: Landing): Promise<LandingOutcome> {
    const changedNames = `(users.first_name IS DISTINCT FROM COALESCE($2, users.first_name)
                           OR users.last_name IS DISTINCT FROM COALESCE($3, users.last_name))`;
    const names = `first_name = COALESCE($2, users.first_name),
                   last_name = COALESCE($3, users.last_name),
                   updated_at = CASE WHEN ${changedNames} THEN now() ELSE users.updated_at END,
                   last_login_at = now()`;
    // Whether this email may sign in at all, judged before anything is written: active, or (with `create`)
    // not there yet. The jti is spent only then.
    const eligible = create
      ? `NOT EXISTS (SELECT FROM users WHERE email = $1 AND NOT is_active)`
      : `EXISTS (SELECT FROM users WHERE email = $1 AND is_active)`;
    const claimed = `($5::text IS NULL OR EXISTS (SELECT FROM claim))`;
    const signIn = create
      ? `INSERT INTO users (email, username, first_name, last_name, source, last_login_at)
         SELECT $1, $1, COALESCE($2, ''), COALESCE($3, ''), 'sso', now() FROM gate WHERE ok AND ${claimed}
         ON CONFLICT (email) DO UPDATE SET ${names} WHERE users.is_active
         RETURNING ${USER_COLUMNS}, (xmax = 0) AS created`
      : `UPDATE users SET ${names}
          WHERE email = $1 AND is_active AND ${claimed} AND EXISTS (SELECT FROM gate WHERE ok)
         RETURNING ${USER_COLUMNS}, false AS created`;
    const rows = await queryPrepared<LandingRow>(
      this.db,
      `WITH gate AS (SELECT ${eligible} AS ok),
       claim AS (
         INSERT INTO sso_replay (issuer, jti, expires_at)
         SELECT $4, $5, $6 FROM gate WHERE ok AND $5::text IS NOT NULL
         ON CONFLICT (issuer, jti) DO NOTHING RETURNING 1),
       signed_in AS (${signIn}),
       started AS (${startSessionSql('signed_in.id', 'signed_in', 7)})
       SELECT gate.ok AS eligible, EXISTS (SELECT FROM claim) AS claimed,
              EXISTS (SELECT FROM users WHERE email = $1) AS known, signed_in.*
         FROM gate LEFT JOIN signed_in ON true`,
      [
        identity.email,
        identity.firstName ?? null,
        identity.lastName ?? null,
        claim?.issuer ?? null,
        claim?.jti ?? null,
        claim?.expiresAt ?? null,
        ...startSessionParams(session, 'sso'),
      ],
    );
    const row = rows[0];
    if (row.id !== undefined && row.id !== null) {
      return { kind: 'signed_in', user: toUser(row as UserRow), created: row.created };
    }
    if (!row.eligible) return { kind: row.known ? 'inactive' : 'unknown' };
    if (claim && !row.claimed) return { kind: 'replayed' };
    // Deactivated between the gate and the write (the same instant): the token is spent, nobody signed in.
    return { kind: 'inactive' };
  }

  /** Spent jtis are kept until their token expires; after that the token is refused for its expiry anyway. */
  async deleteExpiredClaims(): Promise<void> {
    await this.db.query(`DELETE FROM sso_replay WHERE expires_at < now()`);
  }
}
