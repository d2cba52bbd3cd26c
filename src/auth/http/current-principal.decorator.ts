import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors.js';
import type { Principal, UserPrincipal } from '../principal.js';

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
