import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayContains,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  MinLength,
} from 'class-validator';
import { PlainText, Trim } from '../../common/validators.js';
import { OIDC_SCOPES } from '../oidc-scopes.js';
import { IsRedirectUri } from './redirect-uri.validator.js';

const MAX_URIS = 20;

// Each field's rules, once; creation requires name and redirect_uris, an update none.
const NameRules = () => applyDecorators(IsString(), Trim(), MinLength(1), MaxLength(200), PlainText());
const UriListRules = (min: number) =>
  applyDecorators(
    IsArray(),
    ArrayMinSize(min),
    ArrayMaxSize(MAX_URIS),
    ArrayUnique(),
    IsRedirectUri({ each: true }),
  );
const ScopeRules = () =>
  applyDecorators(
    IsArray(),
    ArrayUnique(),
    IsIn(OIDC_SCOPES, { each: true }),
    ArrayContains(['openid'], { message: 'scopes must include openid' }),
  );

export class CreateClientDto {
  @ApiProperty({ example: 'Grafana' })
  @NameRules()
  name!: string;

  @ApiProperty({ enum: ['confidential', 'public'] })
  @IsIn(['confidential', 'public'])
  type!: 'confidential' | 'public';

  @ApiProperty({ example: ['https://grafana.example.com/login/generic_oauth'] })
  @UriListRules(1)
  redirect_uris!: string[];

  @ApiPropertyOptional({ example: ['https://grafana.example.com/'] })
  @IsOptional()
  @UriListRules(0)
  post_logout_redirect_uris?: string[];

  @ApiPropertyOptional({ description: 'Our own applications: no consent page' })
  @IsOptional()
  @IsBoolean()
  first_party?: boolean;

  @ApiPropertyOptional({ enum: OIDC_SCOPES, isArray: true, description: 'Allowed scopes; all by default' })
  @IsOptional()
  @ScopeRules()
  scopes?: string[];
}

export class UpdateClientDto {
  @ApiPropertyOptional() @IsOptional() @NameRules() name?: string;
  @ApiPropertyOptional() @IsOptional() @UriListRules(1) redirect_uris?: string[];
  @ApiPropertyOptional() @IsOptional() @UriListRules(0) post_logout_redirect_uris?: string[];
  @ApiPropertyOptional() @IsOptional() @IsBoolean() first_party?: boolean;
  @ApiPropertyOptional({ enum: OIDC_SCOPES, isArray: true }) @IsOptional() @ScopeRules() scopes?: string[];
}
