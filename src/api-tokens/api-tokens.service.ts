import { Injectable, Logger } from '@nestjs/common';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type ApiTokenPrincipal } from '../auth/principal.js';
import { DomainError } from '../common/errors.js';
import { ApiToken, type ApiTokenScope } from './api-token.entity.js';
import { ApiTokensRepository } from './api-tokens.repository.js';

export interface CreatedApiToken {
  token: ApiToken;
  /** The only time the value exists outside the caller's hands. */
  value: string;
}

const TOKEN_PREFIX = 'lk_';
const VISIBLE_CHARS = 10;
const MAX_TOKEN_LENGTH = 512;
// Recording every use would turn each read request into a write; once a minute per token is enough.
const LAST_USED_RESOLUTION_MS = 60_000;

@Injectable()
export class ApiTokensService {
  private readonly logger = new Logger(ApiTokensService.name);
  private readonly lastRecordedUse = new Map<string, number>();

  constructor(private readonly tokens: ApiTokensRepository) {}

  async create(name: string, scopes: ApiTokenScope[], createdBy: string | null): Promise<CreatedApiToken> {
    const value = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const token = await this.tokens.insert({
      name,
      tokenHash: sha256(value),
      prefix: visible(value),
      scopes,
      createdBy,
    });
    return { token, value };
  }

  list(): Promise<ApiToken[]> {
    return this.tokens.listActive();
  }

  async revoke(id: string): Promise<void> {
    if (!(await this.tokens.revoke(id)))
      throw new DomainError('not_found', 'No active API token with this id');
  }

  /** BOOTSTRAP_API_TOKEN: registered once with `users:write`; a token revoked since stays revoked. */
  async registerBootstrapToken(value: string): Promise<void> {
    const outcome = await this.tokens.insertIfAbsent({
      name: 'bootstrap',
      tokenHash: sha256(value),
      prefix: visible(value),
      scopes: ['users:write'],
      createdBy: null,
    });
    if (outcome === 'created') this.logger.log('Registered BOOTSTRAP_API_TOKEN with scope users:write');
    if (outcome === 'revoked') this.logger.warn('BOOTSTRAP_API_TOKEN was revoked and stays revoked');
  }

  /** The principal for an `Authorization: Token …` value, or undefined when it is not an active token. */
  async authenticate(value: string): Promise<ApiTokenPrincipal | undefined> {
    if (value.length === 0 || value.length > MAX_TOKEN_LENGTH) return undefined;
    const hash = sha256(value);
    const row = await this.tokens.findActiveByHash(hash);
    // The lookup is by hash, so its timing says nothing about the token; the comparison is
    // constant-time anyway so that no future change of the lookup can leak through it.
    if (!row || !timingSafeEqual(row.tokenHash, hash)) return undefined;
    this.recordUse(row.id);
    return { kind: 'api_token', tokenId: row.id, scopes: row.scopes };
  }

  private recordUse(id: string): void {
    const now = Date.now();
    if (now - (this.lastRecordedUse.get(id) ?? 0) < LAST_USED_RESOLUTION_MS) return;
    this.lastRecordedUse.set(id, now);
    this.tokens.touch(id).catch((error: unknown) => {
      this.logger.warn(`Could not record API token use: ${(error as Error).message}`);
    });
  }
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Enough of the value to tell tokens apart; less of a token we did not generate, which may be short. */
function visible(value: string): string {
  return value.startsWith(TOKEN_PREFIX) ? value.slice(0, VISIBLE_CHARS) : value.slice(0, 4);
}
