import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { ApiToken, type ApiTokenScope } from './api-token.entity.js';

export interface NewApiToken {
  name: string;
  tokenHash: Buffer;
  prefix: string;
  scopes: ApiTokenScope[];
  createdBy: string | null;
}

export interface ActiveTokenRow {
  id: string;
  tokenHash: Buffer;
  scopes: ApiTokenScope[];
}

@Injectable()
export class ApiTokensRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async insert(token: NewApiToken): Promise<ApiToken> {
    const repo = this.db.getRepository(ApiToken);
    const rows: { id: string }[] = await this.db.query(
      `INSERT INTO api_tokens (name, token_hash, prefix, scopes, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [token.name, token.tokenHash, token.prefix, token.scopes, token.createdBy],
    );
    return repo.findOneByOrFail({ id: rows[0].id });
  }

  /** Registers a token given from outside (BOOTSTRAP_API_TOKEN); a second start changes nothing. */
  async insertIfAbsent(token: NewApiToken): Promise<'created' | 'exists' | 'revoked'> {
    const rows: { revoked: boolean; inserted: boolean }[] = await this.db.query(
      `WITH ins AS (
         INSERT INTO api_tokens (name, token_hash, prefix, scopes, created_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (token_hash) DO NOTHING RETURNING id)
       SELECT true AS inserted, false AS revoked FROM ins
       UNION ALL
       SELECT false, revoked_at IS NOT NULL FROM api_tokens WHERE token_hash = $2 AND NOT EXISTS (SELECT 1 FROM ins)`,
      [token.name, token.tokenHash, token.prefix, token.scopes, token.createdBy],
    );
    if (rows[0]?.inserted) return 'created';
    return rows[0]?.revoked ? 'revoked' : 'exists';
  }

  async findActiveByHash(tokenHash: Buffer): Promise<ActiveTokenRow | undefined> {
    const rows: { id: string; token_hash: Buffer; scopes: ApiTokenScope[] }[] = await this.db.query(
      `SELECT id, token_hash, scopes FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
      [tokenHash],
    );
    const row = rows[0];
    return row && { id: row.id, tokenHash: row.token_hash, scopes: row.scopes };
  }

  listActive(): Promise<ApiToken[]> {
    return this.db
      .getRepository(ApiToken)
      .find({ where: { revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  /** True when a token was revoked now; false when there is no such active token. */
  async revoke(id: string): Promise<boolean> {
    const [, count]: [unknown[], number] = await this.db.query(
      `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return count > 0;
  }

  async touch(id: string): Promise<void> {
    await this.db.query(`UPDATE api_tokens SET last_used_at = now() WHERE id = $1`, [id]);
  }
}
