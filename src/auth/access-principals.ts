import { Injectable } from '@nestjs/common';
import type { UserPrincipal } from './principal.js';
import { type AccessClaims, AccessTokens, invalid, signInMethodOf } from './tokens/access-tokens.js';
import { UserStatusCache } from './user-status.cache.js';

/**
 * The signed-in user behind one of our access tokens: the token is valid, and its user still exists and is
 * active. Admin rights come from the user's status now, not from the claim in the token.
 */
@Injectable()
export class AccessPrincipals {
  constructor(
    private readonly tokens: AccessTokens,
    private readonly statuses: UserStatusCache,
  ) {}

  async fromToken(token: string): Promise<UserPrincipal> {
    return this.fromClaims(this.tokens.verify(token));
  }

  async fromClaims(claims: AccessClaims): Promise<UserPrincipal> {
    const status = await this.statuses.get(claims.sub);
    if (!status?.isActive) throw invalid('The user of this token is no longer active');
    return {
      kind: 'user',
      userId: claims.sub,
      email: claims.email,
      username: claims.username,
      isAdmin: status.isAdmin,
      signInMethod: signInMethodOf(claims),
    };
  }
}
