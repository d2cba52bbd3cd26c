import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ApiTokenScope } from '../api-tokens/api-token.entity.js';
import { DomainError } from '../common/errors.js';
import type { Principal, UserPrincipal } from './principal.js';

export const IS_PUBLIC = 'latchkey:public';
export const REQUIRED_SCOPE = 'latchkey:scope';
export const ADMIN_ONLY = 'latchkey:admin';

/** Opens a route to anonymous callers. Every other route needs credentials (deny by default). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The scope an API token needs for this route; a user needs to be an admin. */
export const RequireScope = (scope: ApiTokenScope): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, scope);

/** Only a signed-in admin user (not an API token, whatever its scopes). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);

/** The authenticated caller of this request, as the global guard established it. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});

/** The signed-in user of this request; an API token gets 403 here (these routes are about a person). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): UserPrincipal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new Error('CurrentUser used on a public route');
  if (principal.kind !== 'user')
    throw new DomainError('forbidden', 'This needs a signed-in user, not an API token');
  return principal;
});
