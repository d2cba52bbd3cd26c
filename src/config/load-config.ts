import { plainToInstance } from 'class-transformer';
import { type ValidationError as ClassValidationError, validateSync } from 'class-validator';
import { parse as parseDotenv } from 'dotenv';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AppConfig,
  type JwtAlgorithm,
  type JwtKeySettings,
  type JwtSettings,
  type LogLevel,
  type NodeEnv,
  type SameSite,
  type SsoSettings,
} from './app-config.js';
import { DevSecretStore } from './dev-secrets.js';
import { EnvSchema, SECRET_SETTINGS, SETTING_PREFIXES } from './env.schema.js';
import { ssoProblems } from './sso-rules.js';
import { parseTrustProxy } from './trust-proxy.js';

export class ConfigError extends Error {
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** The process environment with `.env` (if present) underneath it: real variables win. */
export function readEnvironment(cwd = process.cwd(), env: Env = process.env): Env {
  const file = resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseDotenv(readFileSync(file)) : {};
  return { ...fromFile, ...env };
}

export function loadConfig(env: Env = readEnvironment()): AppConfig {
  const schemaKeys = new Set(Object.keys(SETTINGS));
  const problems: string[] = [];
  const known: Env = {};
  for (const [name, value] of Object.entries(env)) {
    if (schemaKeys.has(name)) {
      if (value !== undefined && value !== '') known[name] = value;
    } else if (SETTING_PREFIXES.some((prefix) => name.startsWith(prefix))) {
      problems.push(`${name}: unknown setting (see .env.example for the list)`);
    }
  }
  const parsed = plainToInstance(EnvSchema, known);
  for (const error of validateSync(parsed, { forbidUnknownValues: false })) {
    problems.push(describe(error, known));
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return build(parsed, problems);
}

function build(e: EnvSchema, problems: string[]): AppConfig {
  const nodeEnv = (e.NODE_ENV ?? 'development') as NodeEnv;
  const production = nodeEnv === 'production';
  const algorithm = (e.JWT_ALGORITHM ?? 'HS256') as JwtAlgorithm;
  const port = e.PORT ?? 3000;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');
  const dataDir = resolve(e.DATA_DIR ?? '.data');

  if (production) {
    if (!e.DATABASE_URL) problems.push('DATABASE_URL: required when NODE_ENV=production');
    if (algorithm === 'HS256' && !e.JWT_SECRET)
      problems.push('JWT_SECRET: required when NODE_ENV=production');
    if (algorithm !== 'HS256' && !e.JWT_PRIVATE_KEY) {
      problems.push(`JWT_PRIVATE_KEY: required for JWT_ALGORITHM=${algorithm} when NODE_ENV=production`);
    }
  }
  if (e.JWT_VERIFIER === 'passport' && algorithm === 'EdDSA') {
    problems.push(
      'JWT_VERIFIER: passport (jsonwebtoken) cannot verify EdDSA; use fast-jwt or another JWT_ALGORITHM',
    );
  }
  if (e.BOOTSTRAP_ADMIN_EMAIL && !e.BOOTSTRAP_ADMIN_PASSWORD) {
    problems.push('BOOTSTRAP_ADMIN_PASSWORD: required when BOOTSTRAP_ADMIN_EMAIL is set');
  }
  const ssoAlgorithms = splitList(e.JWT_SSO_ALGORITHM ?? 'HS256');
  problems.push(...ssoProblems(e, production, ssoAlgorithms));
  const trustProxy = parseTrustProxy(e.TRUST_PROXY, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  // Production generates nothing and writes nothing into DATA_DIR: every secret it needs was checked
  // above, and asking the (absent) store for one fails instead of making one.
  const dev = production ? undefined : new DevSecretStore(dataDir);
  const corsAllowedOrigins = splitList(e.CORS_ALLOWED_ORIGINS);
  return new AppConfig({
    nodeEnv,
    port,
    publicUrl,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    embeddedDbPassword: e.DATABASE_URL
      ? undefined
      : generated(dev, 'DATABASE_URL', (store) => store.embeddedDbPassword()),
    jwt: {
      ...jwtKey(e, algorithm, dev),
      accessTtl: e.JWT_ACCESS_TTL ?? 900,
      refreshTtl: e.JWT_REFRESH_TTL ?? 2_592_000,
      refreshReuseWindow: e.JWT_REFRESH_REUSE_WINDOW ?? 10,
      sessionMaxAge: e.JWT_SESSION_MAX_AGE ?? 2_592_000,
      issuer: e.JWT_ISSUER ?? publicUrl,
      verifier: (e.JWT_VERIFIER ?? 'fast-jwt') as JwtSettings['verifier'],
    },
    sso: {
      secret: e.JWT_SSO_SECRET,
      algorithms: ssoAlgorithms,
      publicKey: e.JWT_SSO_PUBLIC_KEY,
      jwksUrl: e.JWT_SSO_JWKS_URL,
      tokenParam: e.JWT_SSO_TOKEN_PARAM ?? 'token',
      emailClaim: e.JWT_SSO_EMAIL_CLAIM ?? 'email',
      firstNameClaim: e.JWT_SSO_FIRST_NAME_CLAIM ?? 'first_name',
      lastNameClaim: e.JWT_SSO_LAST_NAME_CLAIM ?? 'last_name',
      autoCreateUsers: e.JWT_SSO_AUTO_CREATE_USERS ?? false,
      allowAdmins: e.JWT_SSO_ALLOW_ADMINS ?? false,
      sessionConflict: (e.JWT_SSO_SESSION_CONFLICT ?? 'refuse') as SsoSettings['sessionConflict'],
      issuer: e.JWT_SSO_ISSUER,
      audience: e.JWT_SSO_AUDIENCE,
      maxAge: e.JWT_SSO_MAX_AGE ?? 3600,
      leeway: e.JWT_SSO_LEEWAY ?? 30,
      requireEmailVerified: e.JWT_SSO_REQUIRE_EMAIL_VERIFIED ?? false,
    },
    corsAllowedOrigins,
    frameAncestors: e.FRAME_ANCESTORS === undefined ? corsAllowedOrigins : splitList(e.FRAME_ANCESTORS),
    sessionCookieSameSite: (e.SESSION_COOKIE_SAMESITE ?? 'lax') as SameSite,
    bootstrap: {
      adminEmail: e.BOOTSTRAP_ADMIN_EMAIL,
      adminPassword: e.BOOTSTRAP_ADMIN_PASSWORD,
      apiToken: e.BOOTSTRAP_API_TOKEN,
    },
    oidc: {
      // Production without a key runs no OpenID Provider (main.ts says so at start-up) rather than refusing
      // to start: deployments from before the provider keep working unchanged.
      privateKey: e.OIDC_PRIVATE_KEY ?? dev?.oidcPrivateKey(),
    },
    logLevel: (e.LOG_LEVEL ?? (nodeEnv === 'test' ? 'warn' : 'log')) as LogLevel,
    trustProxy,
  });
}

/** Our tokens' key: only the one the algorithm uses is read (or, in development, generated). */
function jwtKey(e: EnvSchema, algorithm: JwtAlgorithm, dev: DevSecretStore | undefined): JwtKeySettings {
  if (algorithm === 'HS256') {
    return { algorithm, secret: e.JWT_SECRET ?? generated(dev, 'JWT_SECRET', (store) => store.jwtSecret()) };
  }
  return {
    algorithm,
    privateKey:
      e.JWT_PRIVATE_KEY ?? generated(dev, 'JWT_PRIVATE_KEY', (store) => store.privateKey(algorithm)),
  };
}

/** A development secret from DATA_DIR; without a store (production) a missing secret stops start-up. */
function generated(
  dev: DevSecretStore | undefined,
  setting: string,
  make: (store: DevSecretStore) => string,
): string {
  if (!dev) throw new ConfigError([`${setting}: required when NODE_ENV=production`]);
  return make(dev);
}

function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function describe(error: ClassValidationError, env: Env): string {
  const reasons = Object.values(error.constraints ?? {}).join(', ');
  const shown = SECRET_SETTINGS.has(error.property) ? '' : ` (got ${JSON.stringify(env[error.property])})`;
  return `${error.property}: ${reasons}${shown}`;
}

// Exhaustive by type: adding a setting to EnvSchema without listing it here does not compile.
const SETTINGS: Record<keyof EnvSchema, true> = {
  NODE_ENV: true,
  PORT: true,
  PUBLIC_URL: true,
  DATA_DIR: true,
  DATABASE_URL: true,
  JWT_SECRET: true,
  JWT_ALGORITHM: true,
  JWT_PRIVATE_KEY: true,
  JWT_ACCESS_TTL: true,
  JWT_REFRESH_TTL: true,
  JWT_REFRESH_REUSE_WINDOW: true,
  JWT_SESSION_MAX_AGE: true,
  JWT_ISSUER: true,
  JWT_VERIFIER: true,
  JWT_SSO_SECRET: true,
  JWT_SSO_ALGORITHM: true,
  JWT_SSO_PUBLIC_KEY: true,
  JWT_SSO_JWKS_URL: true,
  JWT_SSO_TOKEN_PARAM: true,
  JWT_SSO_EMAIL_CLAIM: true,
  JWT_SSO_FIRST_NAME_CLAIM: true,
  JWT_SSO_LAST_NAME_CLAIM: true,
  JWT_SSO_AUTO_CREATE_USERS: true,
  JWT_SSO_ALLOW_ADMINS: true,
  JWT_SSO_SESSION_CONFLICT: true,
  JWT_SSO_ISSUER: true,
  JWT_SSO_AUDIENCE: true,
  JWT_SSO_AUDIENCE_OPTIONAL: true,
  JWT_SSO_REQUIRE_EMAIL_VERIFIED: true,
  JWT_SSO_MAX_AGE: true,
  JWT_SSO_LEEWAY: true,
  CORS_ALLOWED_ORIGINS: true,
  FRAME_ANCESTORS: true,
  SESSION_COOKIE_SAMESITE: true,
  TRUST_PROXY: true,
  OIDC_PRIVATE_KEY: true,
  BOOTSTRAP_ADMIN_EMAIL: true,
  BOOTSTRAP_ADMIN_PASSWORD: true,
  BOOTSTRAP_API_TOKEN: true,
  LOG_LEVEL: true,
};

/** Every setting's name, as the environment spells it (the docs test holds README and .env.example to it). */
export const SETTING_NAMES: readonly string[] = Object.keys(SETTINGS);
