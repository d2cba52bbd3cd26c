import { ApiProperty } from '@nestjs/swagger';
import { API_TOKEN_SCOPES, type ApiToken, type ApiTokenScope } from './api-token.entity.js';

/** An API token as listed: never its value, which exists only in the creation answer. */
export class ApiTokenView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ description: 'The first characters of the token' }) prefix!: string;
  @ApiProperty({ enum: API_TOKEN_SCOPES, isArray: true }) scopes!: ApiTokenScope[];
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) last_used_at!: string | null;
}

export class CreatedApiTokenView extends ApiTokenView {
  @ApiProperty({ description: 'Shown once; only its SHA-256 is stored' }) token!: string;
}

export function toApiTokenView(token: ApiToken): ApiTokenView {
  return {
    id: token.id,
    name: token.name,
    prefix: token.prefix,
    scopes: token.scopes,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt ? token.lastUsedAt.toISOString() : null,
  };
}
