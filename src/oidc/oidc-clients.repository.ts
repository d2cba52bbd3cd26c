import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, Repository } from 'typeorm';
import { OidcClient } from './oidc-client.entity.js';

export type NewOidcClient = Omit<OidcClient, 'createdAt' | 'updatedAt'>;
export type OidcClientChanges = Partial<
  Pick<OidcClient, 'name' | 'firstParty' | 'redirectUris' | 'postLogoutRedirectUris' | 'scopes'>
>;

/** Owns `oidc_clients`. */
@Injectable()
export class OidcClientsRepository {
  private readonly clients: Repository<OidcClient>;

  constructor(@InjectDataSource() db: DataSource) {
    this.clients = db.getRepository(OidcClient);
  }

  async create(client: NewOidcClient): Promise<OidcClient> {
    await this.clients.insert(client);
    return (await this.find(client.clientId)) as OidcClient;
  }

  find(clientId: string): Promise<OidcClient | null> {
    return this.clients.findOneBy({ clientId });
  }

  /** The client with its secret's hash, for the provider's client authentication. */
  findWithSecret(clientId: string): Promise<OidcClient | null> {
    return this.clients
      .createQueryBuilder('c')
      .addSelect('c.secretHash')
      .where('c.client_id = :clientId', { clientId })
      .getOne();
  }

  list(): Promise<OidcClient[]> {
    return this.clients.find({ order: { createdAt: 'ASC', clientId: 'ASC' } });
  }

  /** Applies the changes in one statement; null when there is no such client. */
  async update(clientId: string, changes: OidcClientChanges): Promise<OidcClient | null> {
    const result = await this.clients
      .createQueryBuilder()
      .update()
      .set({ ...changes, updatedAt: () => 'now()' })
      .where('client_id = :clientId', { clientId })
      .execute();
    return result.affected ? this.find(clientId) : null;
  }

  async delete(clientId: string): Promise<boolean> {
    const result = await this.clients.delete({ clientId });
    return (result.affected ?? 0) > 0;
  }
}
