import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull, type Repository } from 'typeorm';
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

/** Owns `api_tokens`. */
@Injectable()
export class ApiTokensRepository {
  private readonly tokens: Repository<ApiToken>;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.tokens = db.getRepository(ApiToken);
  }

  async insert(token: NewApiToken): Promise<ApiToken> {
    const { identifiers } = await this.tokens.insert(token);
    return this.tokens.findOneByOrFail({ id: (identifiers[0] as { id: string }).id });
  }

  /** Registers a token given from outside (BOOTSTRAP_API_TOKEN); a second start changes nothing. */
  async insertIfAbsent(token: NewApiToken): Promise<'created' | 'exists' | 'revoked'> {
    // One statement, so that two instances starting at once register it once and both know the outcome.
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
    const token = await this.tokens.findOne({
      select: { id: true, tokenHash: true, scopes: true },
      where: { tokenHash, revokedAt: IsNull() },
    });
    return token ?? undefined;
  }

  listActive(): Promise<ApiToken[]> {
    return this.tokens.find({ where: { revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  /** True when a token was revoked now; false when there is no such active token. */
  async revoke(id: string): Promise<boolean> {
    const { affected } = await this.tokens.update({ id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return (affected ?? 0) > 0;
  }

  async touch(id: string): Promise<void> {
    await this.tokens.update({ id }, { lastUsedAt: () => 'now()' });
  }
}
