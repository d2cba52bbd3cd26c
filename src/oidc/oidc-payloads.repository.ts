import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows.js';

/** The models whose rows name a grant: they live only while the grant (and its Latchkey session) does. */
const OF_A_GRANT = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken']);

/**
 * "The grant `grantId` (an SQL expression) is alive": the Latchkey session it was given in is neither revoked
 * nor past its absolute end, and the grant has not expired.
 */
function liveGrant(grantId: string): string {
  return `EXISTS (
    SELECT 1 FROM oidc_payloads g JOIN sessions s ON s.id = g.session_id
     WHERE g.model = 'Grant' AND g.id = ${grantId} AND s.revoked_at IS NULL AND s.expires_at > now()
       AND (g.expires_at IS NULL OR g.expires_at > now()))`;
}

export interface StoredPayload {
  payload: Record<string, unknown>;
  consumed: boolean;
}

/** Owns `oidc_payloads`: what the OpenID Provider stores, through its adapter (oidc-adapter.ts). */
@Injectable()
export class OidcPayloadsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresIn?: number,
  ): Promise<void> {
    await this.db.query(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, uid, expires_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::int IS NULL THEN NULL ELSE now() + make_interval(secs => $6::int) END)
       ON CONFLICT (model, id) DO UPDATE
         SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
             expires_at = EXCLUDED.expires_at`,
      [model, id, payload, stringOrNull(payload.grantId), stringOrNull(payload.uid), expiresIn ?? null],
    );
  }

  /** A stored payload, unless it has expired, or it belongs to a grant that has ended. */
  async find(model: string, id: string): Promise<StoredPayload | undefined> {
    const alive = OF_A_GRANT.has(model)
      ? `AND p.grant_id IS NOT NULL AND ${liveGrant('p.grant_id')}`
      : model === 'Grant'
        ? `AND ${liveGrant('p.id')}`
        : '';
    const [row] = await queryRows<{ payload: Record<string, unknown>; consumed: boolean }>(
      this.db.manager,
      `SELECT p.payload, p.consumed_at IS NOT NULL AS consumed FROM oidc_payloads p
        WHERE p.model = $1 AND p.id = $2 AND (p.expires_at IS NULL OR p.expires_at > now()) ${alive}`,
      [model, id],
    );
    return row;
  }

  async findByUid(model: string, uid: string): Promise<StoredPayload | undefined> {
    const [row] = await queryRows<{ payload: Record<string, unknown>; consumed: boolean }>(
      this.db.manager,
      `SELECT p.payload, p.consumed_at IS NOT NULL AS consumed FROM oidc_payloads p
        WHERE p.model = $1 AND p.uid = $2 AND (p.expires_at IS NULL OR p.expires_at > now())`,
      [model, uid],
    );
    return row;
  }

  /**
   * Marks a code or refresh token used, once: of concurrent uses exactly one gets the row (the row lock
   * decides). The others are a reuse, as a later one would be: the token's grant and everything issued from
   * it end, and `reused` is thrown (the provider answers invalid_grant).
   */
  async consume(model: string, id: string, reused: () => Error): Promise<void> {
    const consumed = await queryRows<{ grant_id: string | null }>(
      this.db.manager,
      `UPDATE oidc_payloads SET consumed_at = now() WHERE model = $1 AND id = $2 AND consumed_at IS NULL
       RETURNING grant_id`,
      [model, id],
    );
    if (consumed.length > 0) return;
    const [row] = await queryRows<{ grant_id: string | null }>(
      this.db.manager,
      `SELECT grant_id FROM oidc_payloads WHERE model = $1 AND id = $2`,
      [model, id],
    );
    if (row?.grant_id) await this.endGrant(row.grant_id);
    throw reused();
  }

  /** A grant and everything issued from it. */
  async endGrant(grantId: string): Promise<void> {
    await this.db.query(`DELETE FROM oidc_payloads WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [
      grantId,
    ]);
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.db.query(`DELETE FROM oidc_payloads WHERE model = $1 AND id = $2`, [model, id]);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.query(`DELETE FROM oidc_payloads WHERE model = $1 AND grant_id = $2`, [model, grantId]);
  }

  /**
   * Ties a grant to the Latchkey session it was given in; false when that session has ended meanwhile (the
   * grant is then removed, so nothing can be issued from it).
   */
  async bindGrant(grantId: string, sessionId: string): Promise<boolean> {
    const [row] = await queryRows<{ bound: boolean }>(
      this.db.manager,
      `WITH live AS (SELECT id FROM sessions WHERE id = $2 AND revoked_at IS NULL AND expires_at > now() FOR SHARE),
            bound AS (UPDATE oidc_payloads SET session_id = (SELECT id FROM live)
                       WHERE model = 'Grant' AND id = $1 AND EXISTS (SELECT 1 FROM live) RETURNING 1)
       SELECT EXISTS (SELECT 1 FROM bound) AS bound`,
      [grantId, sessionId],
    );
    if (!row.bound) await this.destroy('Grant', grantId);
    return row.bound;
  }

  /** The Latchkey session a grant was given in. */
  async grantSession(grantId: string): Promise<string | undefined> {
    const [row] = await queryRows<{ session_id: string | null }>(
      this.db.manager,
      `SELECT session_id FROM oidc_payloads WHERE model = 'Grant' AND id = $1`,
      [grantId],
    );
    return row?.session_id ?? undefined;
  }

  /**
   * Removes the client's grants (only the person's, given `accountId`) and everything issued from them: the
   * client was changed or removed, or the person took its access back (then in the caller's transaction).
   */
  async revokeGrants(
    of: { clientId: string; accountId?: string },
    tx: EntityManager = this.db.manager,
  ): Promise<void> {
    await tx.query(
      `WITH grants AS (
         DELETE FROM oidc_payloads
          WHERE model = 'Grant' AND payload->>'clientId' = $1 AND ($2::text IS NULL OR payload->>'accountId' = $2)
         RETURNING id)
       DELETE FROM oidc_payloads WHERE grant_id IN (SELECT id FROM grants)`,
      [of.clientId, of.accountId ?? null],
    );
  }

  async deleteExpired(): Promise<void> {
    await this.db.query(`DELETE FROM oidc_payloads WHERE expires_at < now()`);
  }
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}
