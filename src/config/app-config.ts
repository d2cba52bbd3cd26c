export type NodeEnv = 'development' | 'production' | 'test';
export type JwtAlgorithm = 'HS256' | 'ES256' | 'RS256' | 'EdDSA';
export type SameSite = 'lax' | 'strict' | 'none';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export interface JwtSettings {
  algorithm: JwtAlgorithm;
  /** HS256 key for our own tokens; generated in development when unset. */
  secret: string;
  /** PEM private key for an asymmetric algorithm; generated in development when unset. */
  privateKey?: string;
  accessTtl: number;
  refreshTtl: number;
  refreshReuseWindow: number;
  /** The absolute lifetime of a session: no refresh reaches past it. */
  sessionMaxAge: number;
  issuer: string;
  /** Which library verifies access tokens on requests: fast-jwt (default, measured faster) or passport-jwt. */
  verifier: 'fast-jwt' | 'passport';
}

export interface SsoSettings {
  secret?: string;
  algorithms: string[];
  publicKey?: string;
  jwksUrl?: string;
  tokenParam: string;
  emailClaim: string;
  firstNameClaim: string;
  lastNameClaim: string;
  autoCreateUsers: boolean;
  /** Whether a partner token may sign in an account that is an admin. */
  allowAdmins: boolean;
  /** A landing for another account while signed in: refuse it, or sign the old session out first. */
  sessionConflict: 'refuse' | 'switch';
  issuer?: string;
  audience?: string;
  maxAge: number;
  leeway: number;
}

export interface BootstrapSettings {
  adminEmail?: string;
  adminPassword?: string;
  apiToken?: string;
}

export interface AppConfigValues {
  nodeEnv: NodeEnv;
  port: number;
  publicUrl: string;
  dataDir: string;
  /** Unset means "start the embedded PostgreSQL under dataDir". */
  databaseUrl?: string;
  /** Password of the embedded PostgreSQL superuser (generated once, kept in dataDir). */
  embeddedDbPassword?: string;
  jwt: JwtSettings;
  sso: SsoSettings;
  corsAllowedOrigins: string[];
  frameAncestors: string[];
  sessionCookieSameSite: SameSite;
  bootstrap: BootstrapSettings;
  logLevel: LogLevel;
  /** Fastify's trustProxy: false, true, or proxy addresses. */
  trustProxy: boolean | string;
}

/**
 * The validated, typed configuration. It is also the DI token: services ask for `AppConfig`
 * and never read `process.env` themselves.
 */
export class AppConfig implements AppConfigValues {
  readonly nodeEnv!: NodeEnv;
  readonly port!: number;
  readonly publicUrl!: string;
  readonly dataDir!: string;
  readonly databaseUrl?: string;
  readonly embeddedDbPassword?: string;
  readonly jwt!: JwtSettings;
  readonly sso!: SsoSettings;
  readonly corsAllowedOrigins!: string[];
  readonly frameAncestors!: string[];
  readonly sessionCookieSameSite!: SameSite;
  readonly bootstrap!: BootstrapSettings;
  readonly logLevel!: LogLevel;
  readonly trustProxy!: boolean | string;

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}
