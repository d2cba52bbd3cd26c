import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DomainError } from '../common/errors.js';
import { type AppWithAccess, OidcConsentsRepository } from './oidc-consents.repository.js';
import { OidcPayloadsRepository } from './oidc-payloads.repository.js';

/** What a person has let applications see, and taking it back ("Apps with access"). */
@Injectable()
export class OidcConsents {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly consents: OidcConsentsRepository,
    private readonly payloads: OidcPayloadsRepository,
  ) {}

  covers(userId: string, clientId: string, scopes: readonly string[]): Promise<boolean> {
    return this.consents.covers(userId, clientId, scopes);
  }

  remember(userId: string, clientId: string, scopes: readonly string[]): Promise<void> {
    return this.consents.remember(userId, clientId, scopes);
  }

  appsWithAccess(userId: string): Promise<AppWithAccess[]> {
    return this.consents.listFor(userId);
  }

  /**
   * Takes back the person's consent to the client and ends what the client holds for them (grants, codes,
   * tokens), in one transaction: the next authorization asks again.
   */
  async revoke(userId: string, clientId: string): Promise<void> {
    const had = await this.db.transaction(async (tx) => {
      const forgotten = await this.consents.forget(tx, userId, clientId);
      await this.payloads.revokeGrants({ clientId, accountId: userId }, tx);
      return forgotten;
    });
    if (!had) throw new DomainError('not_found', 'This application has no access to your account');
  }
}
