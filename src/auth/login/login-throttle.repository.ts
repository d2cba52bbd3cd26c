import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, In } from 'typeorm';
import { queryRows } from '../../database/query-rows.js';
import { LoginThrottle } from './login-throttle.entity.js';

export interface ThrottleCount {
  failures: number;
  /** Seconds until the key's window closes. */
  resetsIn: number;
}

/** Owns `login_throttle`: failed-login counters shared by every instance, one row per key and window. */
@Injectable()
export class LoginThrottleRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Counts one more attempt against each key, before the password is checked (counting first means parallel
   * guesses cannot slip past a limit); a window that has passed starts over.
   */
  async count(keys: readonly string[], windowSeconds: number): Promise<Map<string, ThrottleCount>> {
    const rows = await queryRows<{ key: string; failures: number; resets_in: number }>(
      this.db.manager,
      `INSERT INTO login_throttle AS t (key, window_start, failures)
       SELECT k, now(), 1 FROM unnest($1::text[]) k
       ON CONFLICT (key) DO UPDATE SET
         failures     = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN 1 ELSE t.failures + 1 END,
         window_start = CASE WHEN t.window_start < now() - make_interval(secs => $2) THEN now() ELSE t.window_start END
       RETURNING key, failures,
         ceil(extract(epoch FROM window_start + make_interval(secs => $2) - now()))::int AS resets_in`,
      [keys, windowSeconds],
    );
    return new Map(rows.map((r) => [r.key, { failures: r.failures, resetsIn: Math.max(1, r.resets_in) }]));
  }

  /** After a right password: `cleared` keys start over, and this attempt is taken back from `takenBack`. */
  async forgive(tx: EntityManager, cleared: readonly string[], takenBack: readonly string[]): Promise<void> {
    const counters = tx.getRepository(LoginThrottle);
    await counters.delete({ key: In([...cleared]) });
    await counters.update({ key: In([...takenBack]) }, { failures: () => 'greatest(failures - 1, 0)' });
  }

  async deleteStale(windowSeconds: number): Promise<void> {
    await this.db
      .getRepository(LoginThrottle)
      .createQueryBuilder()
      .delete()
      .where('window_start < now() - make_interval(secs => :windowSeconds)', { windowSeconds })
      .execute();
  }
}
