import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** A partner token's one-time id: (iss, jti), kept until the token could no longer be accepted anyway. */
export interface SpentClaim {
  issuer: string;
  jti: string;
  keepUntil: Date;
}

/** Owns `sso_replay`: the partner tokens already used, so that each is accepted once across instances. */
@Injectable()
export class ReplayRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records the claim in the landing's transaction; false when it was recorded before. A concurrent landing
   * with the same claim waits on the unique key until this transaction ends, so exactly one of them spends it.
   */
  async spend(tx: EntityManager, claim: SpentClaim): Promise<boolean> {
    const rows: unknown[] = await tx.query(
      `INSERT INTO sso_replay (issuer, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (issuer, jti) DO NOTHING RETURNING 1`,
      [claim.issuer, claim.jti, claim.keepUntil],
    );
    return rows.length === 1;
  }

  async deleteExpired(): Promise<void> {
    await this.db.query(`DELETE FROM sso_replay WHERE expires_at < now()`);
  }
}
