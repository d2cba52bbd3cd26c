import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { OidcClient } from './oidc-client.entity.js';

/** A client as the admin API answers it; the secret only in the creation answer. */
export class OidcClientView {
  @ApiProperty() client_id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['confidential', 'public'] }) type!: 'confidential' | 'public';
  @ApiProperty() first_party!: boolean;
  @ApiProperty({ type: [String] }) redirect_uris!: string[];
  @ApiProperty({ type: [String] }) post_logout_redirect_uris!: string[];
  @ApiProperty({ type: [String] }) scopes!: string[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time' }) updated_at!: string;
}

export class CreatedOidcClientView extends OidcClientView {
  @ApiPropertyOptional({ description: 'Confidential clients only; shown once, only its SHA-256 is stored' })
  client_secret?: string;
}

export function toOidcClientView(client: OidcClient): OidcClientView {
  return {
    client_id: client.clientId,
    name: client.name,
    type: client.type,
    first_party: client.firstParty,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    scopes: client.scopes,
    created_at: client.createdAt.toISOString(),
    updated_at: client.updatedAt.toISOString(),
  };
}
