import { Injectable } from '@nestjs/common';
import { createVerifier, TokenError } from 'fast-jwt';
import { createPublicKey } from 'node:crypto';
import { AppConfig, type SsoSettings } from '../config/app-config.js';
import { ACCESS_TOKEN_TYPE } from '../auth/tokens/access-tokens.js';
import { JwksClient } from './jwks-client.js';
import { partnerKeyAlgorithms } from './partner-key-rules.js';

/** Which check refused a partner token; logged (never the token) and used to pick the error code. */
export type SsoCheck =
  | 'disabled'
  | 'malformed'
  | 'algorithm'
  | 'key'
  | 'signature'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'too_long_lived'
  | 'issuer'
  | 'audience'
  | 'claims'
  | 'type';

export class SsoTokenRejected extends Error {
  constructor(
    readonly check: SsoCheck,
    detail: string,
  ) {
    super(detail);
  }
}

export interface VerifiedSsoToken {
  payload: Record<string, unknown>;
  issuer: string;
  jti?: string;
  exp: number;
}

const MAX_TOKEN_LENGTH = 8192;
const HMAC = /^HS(256|384|512)$/;

/**
 * Verifies the partner's JWTs with the JWT_SSO_* rules: allowed algorithms only (never `none`), the key
 * chosen by the algorithm's family (an HMAC secret is never a public key, nor the reverse), `exp`
 * required, `nbf`/`iat` with leeway, a bounded lifetime, issuer and audience when configured. Separate
 * from our own access-token verifier, with its own keys: neither kind of token passes as the other.
 */
@Injectable()
export class SsoTokenVerifier {
  readonly enabled: boolean;
  private readonly settings: SsoSettings;
  /** JWT_SSO_PUBLIC_KEY, with the algorithms it fits (checked at boot: load-config, partner-key-rules). */
  private readonly publicKey?: { pem: string; algorithms: string[] };
  private readonly jwks?: JwksClient;
  /** HS* tokens, with the shared secret (made a key once). */
  private readonly hmacVerifier?: (token: string) => Record<string, unknown>;
  /** Tokens signed with the partner's key pair: its PEM, or the JWKS key the header's kid names. */
  private readonly publicKeyVerifier?: (token: string) => Promise<Record<string, unknown>>;

  constructor(config: AppConfig) {
    this.settings = config.sso;
    const { secret, publicKey, jwksUrl, algorithms, leeway, issuer, audience } = config.sso;
    this.publicKey = publicKey ? partnerPublicKey(publicKey) : undefined;
    this.jwks = jwksUrl ? new JwksClient(jwksUrl) : undefined;
    this.enabled = Boolean(secret || this.publicKey || this.jwks);
    if (!this.enabled) return;
    const rules = {
      // fast-jwt checks iss/aud only when present: a configured rule must also make the claim required,
      // or leaving it out would pass.
      requiredClaims: ['exp', ...(issuer ? ['iss'] : []), ...(audience ? ['aud'] : [])],
      clockTolerance: leeway * 1000,
      ...(issuer ? { allowedIss: issuer } : {}),
      ...(audience ? { allowedAud: audience } : {}),
    };
    // One verifier per key family, so an HMAC secret is never tried as a public key, nor the reverse.
    const hmacAlgorithms = algorithms.filter((alg) => HMAC.test(alg));
    const publicKeyAlgorithms = algorithms.filter((alg) => !HMAC.test(alg));
    if (secret && hmacAlgorithms.length > 0) {
      this.hmacVerifier = createVerifier({
        key: Buffer.from(secret, 'utf8'),
        algorithms: hmacAlgorithms as never,
        ...rules,
      });
    }
    if ((this.publicKey || this.jwks) && publicKeyAlgorithms.length > 0) {
      this.publicKeyVerifier = createVerifier({
        key: async ({ header }: { header: { alg?: unknown; kid?: unknown } }) => this.publicKeyFor(header),
        algorithms: publicKeyAlgorithms as never,
        ...rules,
      });
    }
  }

  async verify(token: string): Promise<VerifiedSsoToken> {
    if (!this.enabled) throw new SsoTokenRejected('disabled', 'SSO is not configured');
    if (token.length > MAX_TOKEN_LENGTH) throw new SsoTokenRejected('malformed', 'token too long');
    const header = decodeHeader(token);
    if (typeof header.alg !== 'string' || !this.settings.algorithms.includes(header.alg)) {
      throw new SsoTokenRejected('algorithm', `algorithm ${String(header.alg)} is not allowed`);
    }
    if (header.typ === ACCESS_TOKEN_TYPE)
      throw new SsoTokenRejected('type', 'an access token is not an SSO token');
    const hmac = HMAC.test(header.alg);
    const verifier = hmac ? this.hmacVerifier : this.publicKeyVerifier;
    if (!verifier) {
      throw new SsoTokenRejected(
        'key',
        hmac ? `no JWT_SSO_SECRET for ${header.alg}` : `no partner public key for ${header.alg}`,
      );
    }
    let payload: Record<string, unknown>;
    try {
      payload = await verifier(token);
    } catch (error) {
      throw rejection(error);
    }
    return this.checkTimes(payload);
  }

  private checkTimes(payload: Record<string, unknown>): VerifiedSsoToken {
    const { exp, iat, nbf } = payload;
    const now = Date.now() / 1000;
    const leeway = this.settings.leeway;
    if (typeof exp !== 'number' || !Number.isFinite(exp))
      throw new SsoTokenRejected('claims', 'exp must be a number');
    if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) {
      throw new SsoTokenRejected('claims', 'iat must be a number');
    }
    if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
      throw new SsoTokenRejected('claims', 'nbf must be a number');
    }
    if (exp < now - leeway) throw new SsoTokenRejected('expired', 'the token expired');
    if (typeof nbf === 'number' && nbf > now + leeway)
      throw new SsoTokenRejected('not_yet_valid', 'nbf is in the future');
    if (typeof iat === 'number' && iat > now + leeway)
      throw new SsoTokenRejected('issued_in_future', 'iat is in the future');
    // Without iat, the lifetime left is what a replay window would be; bound that instead.
    const lifetime = exp - (typeof iat === 'number' ? iat : now);
    if (lifetime > this.settings.maxAge) {
      throw new SsoTokenRejected(
        'too_long_lived',
        `lifetime ${Math.round(lifetime)} s exceeds JWT_SSO_MAX_AGE`,
      );
    }
    const jti = payload.jti;
    if (jti !== undefined && (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)) {
      throw new SsoTokenRejected('claims', 'jti must be a non-empty string');
    }
    // RFC 7519 §4.1: iss and sub are single strings; aud a string or an array of them. Anything else is
    // not a shape a partner's library produces, and `iss` keys the replay store, so it must be one value.
    const { iss, sub, aud } = payload;
    if (iss !== undefined && typeof iss !== 'string')
      throw new SsoTokenRejected('claims', 'iss must be a string');
    if (sub !== undefined && typeof sub !== 'string')
      throw new SsoTokenRejected('claims', 'sub must be a string');
    if (
      aud !== undefined &&
      !(typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string')))
    ) {
      throw new SsoTokenRejected('claims', 'aud must be a string or strings');
    }
    return { payload, issuer: iss ?? '', jti, exp };
  }

  private async publicKeyFor(header: { alg?: unknown; kid?: unknown }): Promise<string> {
    const alg = String(header.alg);
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    const key = this.publicKey ?? (await this.jwks?.keyFor(kid));
    if (!key) throw new SsoTokenRejected('key', `no partner key for kid ${kid ?? '(none)'}`);
    // An EC key verifies only its curve's algorithm (RFC 7518 §3.4), an RSA key only RS*/PS*.
    if (!key.algorithms.includes(alg))
      throw new SsoTokenRejected('key', `key ${kid ?? ''} is not for ${alg}`);
    return key.pem;
  }
}

function partnerPublicKey(pem: string): { pem: string; algorithms: string[] } {
  const key = createPublicKey(pem);
  const algorithms = partnerKeyAlgorithms(key);
  // Unreachable after loadConfig, which refuses such a key with the reason; kept so no path trusts one.
  if (typeof algorithms === 'string') throw new Error(`JWT_SSO_PUBLIC_KEY: ${algorithms}`);
  return { pem: key.export({ type: 'spki', format: 'pem' }).toString(), algorithms };
}

function decodeHeader(token: string): { alg?: unknown; typ?: unknown } {
  const parts = token.split('.');
  if (parts.length !== 3) throw new SsoTokenRejected('malformed', 'not a compact JWS');
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    if (typeof header !== 'object' || header === null || Array.isArray(header))
      throw new Error('not an object');
    return header;
  } catch {
    throw new SsoTokenRejected('malformed', 'the header is not JSON');
  }
}

function rejection(error: unknown): SsoTokenRejected {
  if (error instanceof SsoTokenRejected) return error;
  if (!(error instanceof TokenError)) return new SsoTokenRejected('signature', 'verification failed');
  const cause = (error as TokenError & { originalError?: unknown }).originalError;
  if (cause instanceof SsoTokenRejected) return cause;
  switch (error.code) {
    case TokenError.codes.expired:
      return new SsoTokenRejected('expired', 'the token expired');
    case TokenError.codes.inactive:
      return new SsoTokenRejected('not_yet_valid', 'nbf is in the future');
    case TokenError.codes.invalidAlgorithm:
      return new SsoTokenRejected('algorithm', 'algorithm not allowed');
    case TokenError.codes.missingRequiredClaim:
    case TokenError.codes.invalidClaimType:
      return new SsoTokenRejected('claims', error.message);
    case TokenError.codes.invalidClaimValue:
      return new SsoTokenRejected(
        /iss/.test(error.message) ? 'issuer' : /aud/.test(error.message) ? 'audience' : 'claims',
        error.message,
      );
    case TokenError.codes.malformed:
    case TokenError.codes.invalidType:
    case TokenError.codes.invalidPayload:
    case TokenError.codes.invalidCritHeader:
      return new SsoTokenRejected('malformed', error.message);
    case TokenError.codes.missingKey:
    case TokenError.codes.invalidKey:
    case TokenError.codes.keyFetchingError:
      return new SsoTokenRejected('key', error.message);
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
    case TokenError.codes.invalidOption:
    case TokenError.codes.signError:
    case TokenError.codes.verifyError:
      return new SsoTokenRejected('signature', 'the signature does not verify');
  }
}
