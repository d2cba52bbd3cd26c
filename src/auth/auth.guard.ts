import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import type { ApiTokenScope } from '../api-tokens/api-token.entity.js';
import { ApiTokensService } from '../api-tokens/api-tokens.service.js';
import { DomainError } from '../common/errors.js';
import { IS_PUBLIC, REQUIRED_SCOPE } from './decorators.js';
import { hasScope, type Principal } from './principal.js';

// RFC 6750 §3: every authentication failure tells the client which scheme and what went wrong.
const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="latchkey", error="invalid_token"' };

/**
 * The one global guard (APP_GUARD): a route is open only when marked `@Public()`; every other
 * route needs credentials, and a route with `@RequireScope()` also needs that scope (or an admin).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly apiTokens: ApiTokensService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticate(request);
    request.principal = principal;
    const scope = this.reflector.getAllAndOverride<ApiTokenScope | undefined>(REQUIRED_SCOPE, targets);
    if (scope && !hasScope(principal, scope)) {
      throw new DomainError(
        'forbidden',
        principal.kind === 'user' ? 'This needs an administrator' : `This API token lacks the scope ${scope}`,
      );
    }
    return true;
  }

  private async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    if (header === undefined) throw invalidToken('Authentication required');
    const [scheme, credentials, ...rest] = header.trim().split(/\s+/);
    if (!credentials || rest.length > 0) throw invalidToken('Malformed Authorization header');
    if (scheme.toLowerCase() === 'token') {
      const principal = await this.apiTokens.authenticate(credentials);
      if (principal) return principal;
      throw invalidToken('Invalid or revoked API token');
    }
    throw invalidToken('Unsupported authorization scheme');
  }
}

function invalidToken(message: string): DomainError {
  return new DomainError('invalid_token', message, undefined, CHALLENGE);
}
