import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { preparedRows } from '../database/prepared-rows.js';
import { SsoReplay } from './sso-replay.entity.js';

/** A partner token's one-time id: (iss, jti), kept until the token could no longer be accepted anyway. */
export interface SpentClaim {
  issuer: string;
  jti: string;
  keepUntil: Date;
}

/** One key per claim: the issuer's length first, so that no (issuer, jti) pair can spell another's. */
export function claimKey(claim: { issuer: string; jti: string }): string {
  return `${claim.issuer.length}:${claim.issuer}${claim.jti}`;
}

/** Owns `sso_replay`: the partner tokens already used, so that each is accepted once across instances. */
@Injectable()
export class ReplayRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Records the claims in the landings' transaction; the keys (`claimKey`) of those recorded now, the others
   * having been recorded before. A concurrent landing with the same claim waits on the unique key until this
   * transaction ends, so exactly one of them spends it.
   */
  async spend(tx: EntityManager, claims: readonly SpentClaim[]): Promise<Set<string>> {
    if (claims.length === 0) return new Set();
    const rows = await preparedRows<{ issuer: string; jti: string }>(
      tx,
      `INSERT INTO sso_replay (issuer, jti, expires_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[])
       ON CONFLICT (issuer, jti) DO NOTHING RETURNING issuer, jti`,
      [claims.map((c) => c.issuer), claims.map((c) => c.jti), claims.map((c) => c.keepUntil)],
    );
    return new Set(rows.map(claimKey));
  }

  /** Takes back claims this transaction spent for landings it then refused: their tokens stay unspent. */
  async release(tx: EntityManager, claims: readonly SpentClaim[]): Promise<void> {
    if (claims.length === 0) return;
    await tx.query(
      `DELETE FROM sso_replay r USING unnest($1::text[], $2::text[]) AS c(issuer, jti)
        WHERE r.issuer = c.issuer AND r.jti = c.jti`,
      [claims.map((c) => c.issuer), claims.map((c) => c.jti)],
    );
  }

  async deleteExpired(): Promise<void> {
    await this.db
      .getRepository(SsoReplay)
      .createQueryBuilder()
      .delete()
      .where('expires_at < now()')
      .execute();
  }
}
