import type { ApiTokenScope } from '../api-tokens/api-token.entity.js';
import type { SignInMethod } from './tokens/access-tokens.js';

/** Who is calling: an API token of an automation, or a signed-in user. */
export type Principal = ApiTokenPrincipal | UserPrincipal;

export interface ApiTokenPrincipal {
  kind: 'api_token';
  tokenId: string;
  scopes: readonly ApiTokenScope[];
}

export interface UserPrincipal {
  kind: 'user';
  userId: string;
  /** The session (`sid`) the access token belongs to. */
  sessionId: string;
  email: string;
  username: string;
  isAdmin: boolean;
  /** How this session began, when its token says so. */
  signInMethod?: SignInMethod;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** `users:write` implies `users:read`: a sync client gets users back from every write anyway. */
export function hasScope(principal: Principal, scope: ApiTokenScope): boolean {
  if (principal.kind === 'user') return principal.isAdmin;
  return (
    principal.scopes.includes(scope) || (scope === 'users:read' && principal.scopes.includes('users:write'))
  );
}
