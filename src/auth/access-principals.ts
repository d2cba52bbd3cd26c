import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from './principal.js';
import { SessionStatusCache } from './session-status.cache.js';
import { type AccessClaims, AccessTokens, invalid, signInMethodOf } from './tokens/access-tokens.js';

const SESSION_ENDED = invalid('The session of this token has ended');

/**
 * The signed-in user behind one of our access tokens: the token is valid, its session has not been revoked
 * or reached its end, and its user still exists and is active. Admin rights come from the user's status
 * now, not from the claim in the token.
 */
@Injectable()
export class AccessPrincipals {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly statuses: SessionStatusCache,
  ) {}

  async fromToken(token: string): Promise<UserPrincipal> {
    return this.fromClaims(this.tokens.verify(token));
  }

  async fromClaims(claims: AccessClaims): Promise<UserPrincipal> {
    const status = await this.statuses.get(claims.sid);
    if (!status?.active || status.userId !== claims.sub || status.expiresAt.getTime() <= Date.now()) {
      throw SESSION_ENDED;
    }
    return {
      kind: 'user',
      userId: claims.sub,
      sessionId: claims.sid,
      email: claims.email,
      username: claims.username,
      isAdmin: status.isAdmin,
      signInMethod: signInMethodOf(claims),
    };
  }
}
