import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

export interface ThrottleCount {
  key: string;
  failures: number;
  /** Seconds until the key's window closes. */
  resetsIn: number;
}

@Injectable()
export class LoginThrottleRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Counts one more attempt against each key, before the password is checked, in one statement: a
   * window that has passed starts over. Counting first means parallel guesses cannot slip past the limit.
   */
  async countAttempt(keys: string[], windowSeconds: number): Promise<ThrottleCount[]> {
    const rows: { key: string; failures: number; resets_in: number }[] = await this.db.query(
      `INSERT INTO login_throttle AS t (key, window_start, failures)
       SELECT k, now(), 1 FROM unnest($1::text[]) k
       ON CONFLICT (key) DO UPDATE SET
         failures     = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
         window_start = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN now() ELSE t.window_start END
       RETURNING key, failures,
         ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS resets_in`,
      [keys, windowSeconds],
    );
    return rows.map((r) => ({ key: r.key, failures: r.failures, resetsIn: Math.max(1, r.resets_in) }));
  }

  /** A successful login clears the account's count and takes its attempt back from the address's. */
  async forgive(accountKey: string, addressKey: string): Promise<void> {
    await this.db.query(
      `WITH gone AS (DELETE FROM login_throttle WHERE key = $1)
       UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $2`,
      [accountKey, addressKey],
    );
  }

  async deleteStale(windowSeconds: number): Promise<void> {
    await this.db.query(`DELETE FROM login_throttle WHERE window_start < now() - make_interval(secs => $1)`, [
      windowSeconds,
    ]);
  }
}
