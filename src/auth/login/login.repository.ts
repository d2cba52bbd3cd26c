import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryPrepared } from '../../database/prepared.js';
import type { User } from '../../users/user.entity.js';
import { toUser, USER_COLUMNS, type UserRow } from '../../users/user-row.js';
import {
  type TokenDraft,
  startSessionParams,
  startSessionSql,
} from '../sessions/refresh-tokens.repository.js';

export interface ThrottleCount {
  key: string;
  failures: number;
  /** Seconds until the key's window closes. */
  resetsIn: number;
}

export interface LoginAttempt {
  counts: ThrottleCount[];
  /** The account the identifier names, with its stored hash; undefined when there is none. */
  account?: { user: User; passwordHash: string | null };
}

type AttemptRow = Partial<UserRow> & {
  counts: { key: string; failures: number; resets_in: number }[];
  password_hash: string | null;
};

/**
 * A password login's SQL: one statement before the hash check and one after a match. It was five (count,
 * look up, forgive, record the login, start the session), and those round trips cost Latchkey and
 * PostgreSQL more CPU than everything else a login does besides argon2 (bench: the login row).
 */
@Injectable()
export class LoginRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Counts one more attempt against each key, before the password is checked (a window that has passed
   * starts over; counting first means parallel guesses cannot slip past the limit), and reads the account
   * `identifier` names: by email first, else by username.
   */
  async attempt(keys: string[], identifier: string, windowSeconds: number): Promise<LoginAttempt> {
    const [row] = await queryPrepared<AttemptRow>(
      this.db,
      `WITH counted AS (
         INSERT INTO login_throttle AS t (key, window_start, failures)
         SELECT k, now(), 1 FROM unnest($1::text[]) k
         ON CONFLICT (key) DO UPDATE SET
           failures     = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
           window_start = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN now() ELSE t.window_start END
         RETURNING key, failures,
           ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS resets_in)
       SELECT (SELECT json_agg(counted) FROM counted) AS counts, account.*
         FROM (VALUES (1)) AS one (x)
         LEFT JOIN LATERAL (
           SELECT ${USER_COLUMNS}, password_hash FROM users WHERE email = $3 OR username = $3
            ORDER BY (email = $3) DESC LIMIT 1) account ON true`,
      [keys, windowSeconds, identifier],
    );
    const counts = row.counts.map((c) => ({
      key: c.key,
      failures: c.failures,
      resetsIn: Math.max(1, c.resets_in),
    }));
    if (row.id === undefined || row.id === null) return { counts };
    return { counts, account: { user: toUser(row as UserRow), passwordHash: row.password_hash } };
  }

  /**
   * After a match: the account's count is cleared and the address's attempt taken back, the login recorded,
   * and the session (`draft`) written. False, with nothing written, when the user was deactivated since
   * `attempt` read it.
   */
  async succeed(accountKey: string, addressKey: string, userId: string, draft: TokenDraft): Promise<boolean> {
    const rows = await queryPrepared(
      this.db,
      `WITH signed_in AS (
         UPDATE users SET last_login_at = now() WHERE id = $3 AND is_active RETURNING id),
       forgiven AS (
         DELETE FROM login_throttle WHERE key = $1 AND EXISTS (SELECT FROM signed_in)),
       taken_back AS (
         UPDATE login_throttle SET failures = greatest(failures - 1, 0)
          WHERE key = $2 AND EXISTS (SELECT FROM signed_in))
       ${startSessionSql('signed_in.id', 'signed_in', 4)}
       RETURNING 1`,
      [accountKey, addressKey, userId, ...startSessionParams(draft, 'password')],
    );
    return rows.length === 1;
  }

  async deleteStale(windowSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM login_throttle WHERE window_start < now() - make_interval(secs => $1)`, [
      windowSeconds,
    ]);
  }
}
