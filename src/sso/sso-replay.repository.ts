import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../database/queryable.js';

@Injectable()
export class SsoReplayRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** True the first time (issuer, jti) is seen by any instance; false for a replay. */
  async claim(issuer: string, jti: string, expiresAt: Date, q: Queryable = this.db): Promise<boolean> {
    const rows: unknown[] = await q.query(
      `INSERT INTO sso_replay (issuer, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, jti) DO NOTHING RETURNING 1`,
      [issuer, jti, expiresAt],
    );
    return rows.length === 1;
  }

  async deleteExpired(): Promise<void> {
    await this.db.query(`DELETE FROM sso_replay WHERE expires_at < now()`);
  }
}
