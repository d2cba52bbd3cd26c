import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DomainError } from '../common/errors.js';
import type { OidcClient, OidcClientType } from './oidc-client.entity.js';
import { type OidcClientChanges, OidcClientsRepository } from './oidc-clients.repository.js';
import { OidcPayloadsRepository } from './oidc-payloads.repository.js';
import { clientSecretHash, OIDC_SCOPES } from './oidc-scopes.js';

export interface NewClient {
  name: string;
  type: OidcClientType;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  firstParty?: boolean;
  scopes?: string[];
}

/** Registers the applications that sign in through Latchkey (admin API, CLI). */
@Injectable()
export class OidcClientsService {
  constructor(
    private readonly clients: OidcClientsRepository,
    private readonly payloads: OidcPayloadsRepository,
  ) {}

  /** A new client and, for a confidential one, its secret: returned this once, stored as its hash. */
  async create(input: NewClient): Promise<{ client: OidcClient; secret?: string }> {
    const secret = input.type === 'confidential' ? randomBytes(32).toString('base64url') : undefined;
    const client = await this.clients.create({
      clientId: randomBytes(16).toString('base64url'),
      name: input.name,
      type: input.type,
      secretHash: secret === undefined ? null : clientSecretHash(secret),
      firstParty: input.firstParty ?? false,
      redirectUris: input.redirectUris,
      postLogoutRedirectUris: input.postLogoutRedirectUris ?? [],
      scopes: input.scopes ?? [...OIDC_SCOPES],
    });
    return { client, secret };
  }

  list(): Promise<OidcClient[]> {
    return this.clients.list();
  }

  async get(clientId: string): Promise<OidcClient> {
    return found(await this.clients.find(clientId));
  }

  /**
   * Changes a client. What it was granted under its old redirect URIs, scopes or first-party standing ends
   * (grants, codes, tokens): its next sign-ins are judged by the new registration.
   */
  async update(clientId: string, changes: OidcClientChanges): Promise<OidcClient> {
    const client = found(await this.clients.update(clientId, changes));
    const { redirectUris, scopes, firstParty } = changes;
    if (redirectUris !== undefined || scopes !== undefined || firstParty !== undefined) {
      await this.payloads.revokeGrants({ clientId });
    }
    return client;
  }

  /** Removes a client and everything it was granted. */
  async delete(clientId: string): Promise<void> {
    if (!(await this.clients.delete(clientId))) found(null);
    await this.payloads.revokeGrants({ clientId });
  }
}

function found(client: OidcClient | null): OidcClient {
  if (!client) throw new DomainError('not_found', 'No such client');
  return client;
}
