import { Injectable } from '@nestjs/common';
import { createSigner, createVerifier, TokenError } from 'fast-jwt';
import { LRUCache } from 'lru-cache';
import { randomUUID } from 'node:crypto';
import { DomainError } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { SigningKeys } from './signing-keys.js';

/** RFC 9068 §2.1: our access tokens say what they are, so no other JWT signed with the key passes as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** How a session began; kept by every refresh of it. */
export type SignInMethod = 'password' | 'sso';

// RFC 8176 names password sign-in `pwd`; it has no value for a partner's federated login, so `sso` it is.
export const AMR: Record<SignInMethod, string> = { password: 'pwd', sso: 'sso' };

export interface AccessClaims {
  sub: string;
  email: string;
  username: string;
  is_admin: boolean;
  iat: number;
  exp: number;
  iss: string;
  jti: string;
  /** The session (refresh-token family) the token belongs to: revoking it ends the token too. */
  sid: string;
  /** Absent from tokens issued before sign-in methods were recorded. */
  amr?: string[];
}

export interface TokenSubject {
  id: string;
  email: string;
  username: string;
  isAdmin: boolean;
}

export interface IssuedAccessToken {
  token: string;
  jti: string;
  iat: number;
  expiresIn: number;
}

// RFC 6750 §3: tell the client which scheme failed and why.
export const BEARER_CHALLENGE = 'Bearer realm="latchkey", error="invalid_token"';
const MAX_TOKEN_LENGTH = 8192;
// Our own instances' clocks may disagree a little; an `iat` further ahead than this was not made by us.
const CLOCK_SKEW_SECONDS = 30;
// The only header members we write. Anything else (jku, x5u, jwk, x5c, crit, b64, cty) can only come from
// someone else's hands, so it is refused rather than interpreted (RFC 8725 §3.1, RFC 7515 §4.1.11).
const HEADER_MEMBERS = new Set(['alg', 'typ', 'kid']);
// Verified tokens are remembered (successes only: a failure stored would let junk push valid entries out),
// bounded by their bytes rather than their count, since a token may be up to MAX_TOKEN_LENGTH long.
const VERIFIED_CACHE_BYTES = 16 * 1024 * 1024;
const ENTRY_OVERHEAD_BYTES = 512;
// Tokens the verifier refused (a wrong signature, a malformed or expired token: refusals that never turn
// into a success, so they need no expiry), in a cache of their own so that they cannot push valid entries
// out: a client or an attacker sending the same bad token again is answered without verifying it again.
const REFUSED_CACHE_BYTES = 4 * 1024 * 1024;

type Verified = { header: AccessTokenHeader; payload: AccessClaims };

// A 401 must cost no more than a 200, or invalid tokens are the cheaper attack: the answers to the common
// failures are made once, and the verifier's failures are made without the stack traces nobody reads
// (capturing them was the largest part of a 401's cost in a CPU profile).
const INVALID_ACCESS_TOKEN = invalid('Invalid access token');
const EXPIRED_ACCESS_TOKEN = new DomainError('token_expired', 'The access token expired', undefined, {
  'WWW-Authenticate': `${BEARER_CHALLENGE}, error_description="The access token expired"`,
});
const TOO_LONG = invalid('The access token is too long');

export interface AccessTokenHeader {
  typ?: unknown;
  kid?: unknown;
  [member: string]: unknown;
}

/** Signs and verifies the access tokens this service issues (fast-jwt; pinned algorithm, issuer and type). */
@Injectable()
export class AccessTokens {
  private readonly signer: (payload: Record<string, unknown>) => string;
  private readonly verifier: (token: string) => Verified;
  private readonly verified: LRUCache<string, Verified>;
  private readonly refused: LRUCache<string, DomainError>;
  private readonly kid?: string;
  readonly ttl: number;

  constructor(keys: SigningKeys, config: AppConfig) {
    this.ttl = config.jwt.accessTtl;
    this.kid = keys.kid;
    this.signer = createSigner({
      key: keys.signingMaterial,
      algorithm: keys.algorithm,
      iss: config.jwt.issuer,
      expiresIn: this.ttl * 1000,
      header: { alg: keys.algorithm, typ: ACCESS_TOKEN_TYPE, ...(keys.kid ? { kid: keys.kid } : {}) },
    });
    this.verifier = createVerifier({
      key: keys.verificationMaterial,
      algorithms: [keys.algorithm],
      allowedIss: config.jwt.issuer,
      requiredClaims: ['sub', 'iat', 'exp', 'iss', 'jti', 'sid'],
      complete: true,
      // Our own cache below stores successes only; fast-jwt's stores failures too.
      cache: false,
    });
    // Revocation is checked per request against the session-status cache, so a hit never outlives a
    // logout or a deactivation; a hit past its token's `exp` is not used (`verify`).
    this.verified = new LRUCache<string, Verified>({
      maxSize: VERIFIED_CACHE_BYTES,
      sizeCalculation: (_, token) => token.length + ENTRY_OVERHEAD_BYTES,
    });
    this.refused = new LRUCache<string, DomainError>({
      maxSize: REFUSED_CACHE_BYTES,
      sizeCalculation: (_, token) => token.length + ENTRY_OVERHEAD_BYTES,
    });
  }

  /** Issues a token; given `jti` and `iat`, the same claims again (the refresh grace window needs that). */
  issue(
    subject: TokenSubject,
    method: SignInMethod,
    sessionId: string,
    reuse?: { jti: string; iat: number },
  ): IssuedAccessToken {
    const jti = reuse?.jti ?? randomUUID();
    const iat = reuse?.iat ?? Math.floor(Date.now() / 1000);
    const token = this.signer({
      sub: subject.id,
      email: subject.email,
      username: subject.username,
      is_admin: subject.isAdmin,
      amr: [AMR[method]],
      sid: sessionId,
      jti,
      iat,
    });
    return { token, jti, iat, expiresIn: this.ttl };
  }

  /** The claims of a valid access token; `invalid_token` or `token_expired` otherwise. */
  verify(token: string): AccessClaims {
    refuseOversized(token);
    const hit = this.verified.get(token);
    if (hit && hit.payload.exp * 1000 > Date.now()) return hit.payload;
    const refusedBefore = this.refused.get(token);
    if (refusedBefore) throw refusedBefore;
    let decoded: Verified;
    const stackLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      decoded = this.verifier(token);
    } catch (error) {
      const refusal =
        error instanceof TokenError && error.code === TokenError.codes.expired
          ? EXPIRED_ACCESS_TOKEN
          : INVALID_ACCESS_TOKEN;
      this.refused.set(token, refusal);
      throw refusal;
    } finally {
      Error.stackTraceLimit = stackLimit;
    }
    if (!this.isOurs(decoded.header, decoded.payload)) throw INVALID_ACCESS_TOKEN;
    this.verified.set(token, decoded);
    return decoded.payload;
  }

  /**
   * What the signature alone does not prove: the token has exactly the shape we issue. Both verifiers
   * (fast-jwt here, passport-jwt in JwtStrategy) end in this check, so their rules cannot drift apart.
   */
  isOurs(header: AccessTokenHeader, payload: AccessClaims): boolean {
    if (Object.keys(header).some((member) => !HEADER_MEMBERS.has(member))) return false;
    if (header.typ !== ACCESS_TOKEN_TYPE || header.kid !== this.kid) return false;
    if (!isClaims(payload)) return false;
    // We never issue tokens for another audience, dated in the future, or living longer than the TTL.
    if ('aud' in payload) return false;
    if (payload.iat > Math.floor(Date.now() / 1000) + CLOCK_SKEW_SECONDS) return false;
    return payload.exp - payload.iat <= this.ttl;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The sign-in method an access token records, when it records one we know. */
export function signInMethodOf(claims: AccessClaims): SignInMethod | undefined {
  const amr = Array.isArray(claims.amr) ? claims.amr : [];
  return (Object.keys(AMR) as SignInMethod[]).find((method) => amr.includes(AMR[method]));
}

function isClaims(p: AccessClaims): boolean {
  return (
    typeof p.sub === 'string' &&
    UUID.test(p.sub) &&
    typeof p.email === 'string' &&
    typeof p.username === 'string' &&
    typeof p.is_admin === 'boolean' &&
    typeof p.jti === 'string' &&
    typeof p.sid === 'string' &&
    UUID.test(p.sid) &&
    typeof p.iss === 'string' &&
    Number.isSafeInteger(p.iat) &&
    Number.isSafeInteger(p.exp) &&
    (p.amr === undefined || (Array.isArray(p.amr) && p.amr.every((m) => typeof m === 'string')))
  );
}

/** Ours are under 1 KiB; a longer one is refused before any parsing or signature work, by either verifier. */
export function refuseOversized(token: string): void {
  if (token.length > MAX_TOKEN_LENGTH) throw TOO_LONG;
}

export function invalid(message: string): DomainError {
  return new DomainError('invalid_token', message, undefined, { 'WWW-Authenticate': BEARER_CHALLENGE });
}
