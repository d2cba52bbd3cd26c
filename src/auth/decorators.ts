import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { ApiTokenScope } from '../api-tokens/api-token.entity.js';
import type { Principal } from './principal.js';

export const IS_PUBLIC = 'latchkey:public';
export const REQUIRED_SCOPE = 'latchkey:scope';

/** Opens a route to anonymous callers. Every other route needs credentials (deny by default). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The scope an API token needs for this route; a user needs to be an admin. */
export const RequireScope = (scope: ApiTokenScope): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, scope);

/** The authenticated caller of this request, as the global guard established it. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<FastifyRequest>().principal;
  if (!principal) throw new Error('CurrentPrincipal used on a public route');
  return principal;
});
