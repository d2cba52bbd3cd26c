import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../database/query-rows.js';

export interface AppWithAccess {
  clientId: string;
  name: string;
  scopes: string[];
  grantedAt: Date;
}

/** Owns `oidc_consents`. */
@Injectable()
export class OidcConsentsRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Adds `scopes` to what the person has let the client see (one statement: concurrent grants merge). */
  async remember(userId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    await this.db.query(
      `INSERT INTO oidc_consents AS c (user_id, client_id, scopes)
       VALUES ($1, $2, ARRAY(SELECT DISTINCT s FROM unnest($3::text[]) AS s ORDER BY s))
       ON CONFLICT (user_id, client_id) DO UPDATE
         SET scopes = ARRAY(SELECT DISTINCT s FROM unnest(c.scopes || EXCLUDED.scopes) AS s ORDER BY s),
             granted_at = now()`,
      [userId, clientId, scopes],
    );
  }

  /** Whether the person has already let the client see all of `scopes`. */
  async covers(userId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
    const [row] = await queryRows<{ covered: boolean }>(
      this.db.manager,
      `SELECT EXISTS (SELECT 1 FROM oidc_consents WHERE user_id = $1 AND client_id = $2 AND scopes @> $3::text[])
         AS covered`,
      [userId, clientId, scopes],
    );
    return row.covered;
  }

  listFor(userId: string): Promise<AppWithAccess[]> {
    return queryRows<AppWithAccess>(
      this.db.manager,
      `SELECT c.client_id AS "clientId", k.name, c.scopes, c.granted_at AS "grantedAt"
         FROM oidc_consents c JOIN oidc_clients k USING (client_id)
        WHERE c.user_id = $1 ORDER BY k.name, c.client_id`,
      [userId],
    );
  }

  /** Forgets the consent, in the caller's transaction; whether there was one. */
  async forget(tx: EntityManager, userId: string, clientId: string): Promise<boolean> {
    const rows = await queryRows<{ client_id: string }>(
      tx,
      `DELETE FROM oidc_consents WHERE user_id = $1 AND client_id = $2 RETURNING client_id`,
      [userId, clientId],
    );
    return rows.length > 0;
  }
}
