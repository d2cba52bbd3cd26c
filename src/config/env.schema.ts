import 'reflect-metadata';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
} from 'class-validator';

const toBoolean = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

const ORIGIN_LIST = /^\s*(https?:\/\/[^\s,/]+\s*(,\s*https?:\/\/[^\s,/]+\s*)*)?$/;
const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Every setting Latchkey reads, as the environment spells it. Validated once at boot; an invalid
 * value stops start-up with a message naming the setting. Secrets have no default here or anywhere.
 */
export class EnvSchema {
  @IsOptional()
  @IsIn(['development', 'production', 'test'])
  NODE_ENV?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT?: number;

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  PUBLIC_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  DATA_DIR?: string;

  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/\S+$/, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters (RFC 7518 §3.2)' })
  JWT_SECRET?: string;

  @IsOptional()
  @IsIn(['HS256', 'ES256', 'RS256', 'EdDSA'])
  JWT_ALGORITHM?: string;

  @IsOptional()
  @IsIn(['fast-jwt', 'passport'])
  JWT_VERIFIER?: string;

  @IsOptional()
  @Matches(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, { message: 'must be a PEM private key' })
  JWT_PRIVATE_KEY?: string;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(10)
  @Max(86_400)
  JWT_ACCESS_TTL?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  JWT_REFRESH_TTL?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_REFRESH_REUSE_WINDOW?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(60)
  @Max(31_536_000)
  JWT_SESSION_MAX_AGE?: number;

  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_ISSUER?: string;

  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'must be at least 16 characters' })
  JWT_SSO_SECRET?: string;

  @IsOptional()
  @Matches(
    /^\s*(HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA)(\s*,\s*(HS256|HS384|HS512|RS256|RS384|RS512|PS256|PS384|PS512|ES256|ES384|ES512|EdDSA))*\s*$/,
    {
      message: 'must be a comma-separated list of JWS algorithms (never none)',
    },
  )
  JWT_SSO_ALGORITHM?: string;

  @IsOptional()
  @Matches(/-----BEGIN [A-Z ]*PUBLIC KEY-----/, { message: 'must be a PEM public key' })
  JWT_SSO_PUBLIC_KEY?: string;

  @IsOptional()
  @IsUrl(URL_OPTIONS)
  JWT_SSO_JWKS_URL?: string;

  @IsOptional()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'must be a plain query parameter name' })
  JWT_SSO_TOKEN_PARAM?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SSO_EMAIL_CLAIM?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SSO_FIRST_NAME_CLAIM?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SSO_LAST_NAME_CLAIM?: string;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  JWT_SSO_AUTO_CREATE_USERS?: boolean;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  JWT_SSO_ALLOW_ADMINS?: boolean;

  @IsOptional()
  @IsIn(['refuse', 'switch'])
  JWT_SSO_SESSION_CONFLICT?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SSO_ISSUER?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  JWT_SSO_AUDIENCE?: string;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  JWT_SSO_AUDIENCE_OPTIONAL?: boolean;

  @IsOptional()
  @Transform(toBoolean)
  @IsBoolean()
  JWT_SSO_REQUIRE_EMAIL_VERIFIED?: boolean;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(86_400)
  JWT_SSO_MAX_AGE?: number;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_SSO_LEEWAY?: number;

  @IsOptional()
  @Matches(ORIGIN_LIST, { message: 'must be a comma-separated list of origins like https://app.example' })
  CORS_ALLOWED_ORIGINS?: string;

  @IsOptional()
  @Matches(ORIGIN_LIST, { message: 'must be a comma-separated list of origins like https://app.example' })
  FRAME_ANCESTORS?: string;

  @IsOptional()
  @IsIn(['lax', 'strict', 'none'])
  SESSION_COOKIE_SAMESITE?: string;

  @IsOptional()
  @IsString()
  BOOTSTRAP_ADMIN_EMAIL?: string;

  @IsOptional()
  @IsString()
  @MinLength(8, { message: 'must be at least 8 characters' })
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'must be at least 24 characters' })
  BOOTSTRAP_API_TOKEN?: string;

  @IsOptional()
  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL?: string;

  @IsOptional()
  // Each listed address is checked in trust-proxy.ts.
  @Matches(/^(true|false|[0-9a-zA-Z.:/]+(\s*,\s*[0-9a-zA-Z.:/]+)*)$/, {
    message:
      'must be false, true (one proxy), a number of proxies, or a comma-separated list of proxy addresses/CIDRs',
  })
  TRUST_PROXY?: string;

  @IsOptional()
  @Matches(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, { message: 'must be a PEM private key' })
  OIDC_PRIVATE_KEY?: string;
}

/** Names that look like ours but are not settings: almost always a typo worth stopping for. */
export const SETTING_PREFIXES = [
  'JWT_',
  'BOOTSTRAP_',
  'SESSION_COOKIE_',
  'CORS_',
  'FRAME_ANCESTORS',
  'OIDC_',
];

/** Settings whose values are never echoed in an error message. */
export const SECRET_SETTINGS = new Set([
  'JWT_SECRET',
  'JWT_PRIVATE_KEY',
  'OIDC_PRIVATE_KEY',
  'JWT_SSO_SECRET',
  'DATABASE_URL',
  'BOOTSTRAP_ADMIN_PASSWORD',
  'BOOTSTRAP_API_TOKEN',
]);
