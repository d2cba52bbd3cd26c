export type NodeEnv = 'development' | 'production' | 'test';
export type JwtAlgorithm = 'HS256' | 'ES256' | 'RS256' | 'EdDSA';
export type AsymmetricJwtAlgorithm = Exclude<JwtAlgorithm, 'HS256'>;
export type SameSite = 'lax' | 'strict' | 'none';
/**
 * Nobody (false), the nearest N proxies (a hop count), or the proxies at these addresses/CIDRs. The client
 * address is the right-most X-Forwarded-For entry not added by a trusted proxy.
 */
export type TrustProxy = false | number | readonly string[];
export type LogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

/**
 * The key of our own tokens: an HS256 secret, or a private key for an asymmetric algorithm. Never both:
 * with an asymmetric algorithm nothing needs a secret (the refresh-token HMAC key is derived from the
 * private key, signing-keys.ts), so none is read or generated.
 */
export type JwtKeySettings =
  | {
      algorithm: 'HS256';
      /** Generated in development when unset. */
      secret: string;
      privateKey?: undefined;
    }
  | {
      algorithm: AsymmetricJwtAlgorithm;
      secret?: undefined;
      /** PEM; generated in development when unset. */
      privateKey: string;
    };

export type JwtSettings = JwtKeySettings & {
  accessTtl: number;
  refreshTtl: number;
  refreshReuseWindow: number;
  /** The absolute lifetime of a session: no refresh reaches past it. */
  sessionMaxAge: number;
  issuer: string;
  /** Which library verifies access tokens on requests: fast-jwt (default, measured faster) or passport-jwt. */
  verifier: 'fast-jwt' | 'passport';
};

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
  /** Refuse tokens whose `email_verified` is not `true` (JWT_SSO_REQUIRE_EMAIL_VERIFIED). */
  requireEmailVerified: boolean;
}

export interface OidcSettings {
  /** PEM (RSA, or EC P-256) that signs ID tokens; generated in development; none: no OpenID Provider. */
  privateKey?: string;
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
  oidc: OidcSettings;
  logLevel: LogLevel;
  /** Which proxies' X-Forwarded-For is believed (TRUST_PROXY; trust-proxy.ts). */
  trustProxy: TrustProxy;
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
  readonly oidc!: OidcSettings;
  readonly logLevel!: LogLevel;
  readonly trustProxy!: TrustProxy;

  constructor(values: AppConfigValues) {
    Object.assign(this, values);
    Object.freeze(this);
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }
}
