import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokenScope } from '../../api-tokens/api-token.entity.js';
import { ApiTokensService } from '../../api-tokens/api-tokens.service.js';
import { AccessPrincipals } from '../access-principals.js';
import { DomainError } from '../../common/errors.js';
import { AppConfig } from '../../config/app-config.js';
import { PassportJwtGuard } from './passport/passport-jwt.guard.js';
import { ADMIN_ONLY, IS_PUBLIC, REQUIRED_SCOPE } from '../decorators.js';
import { hasScope, type Principal, type UserPrincipal } from '../principal.js';
import { SessionCookies } from './session-cookies.js';
import { AccessTokens, invalid, refuseOversized } from '../tokens/access-tokens.js';

/**
 * The one global guard (APP_GUARD): a route is open only when marked `@Public()`. Every other route
 * needs an access token (Bearer header, or the HttpOnly cookie plus the CSRF header for unsafe
 * methods) or an API token (`Authorization: Token …`); `@RequireScope()` and `@AdminOnly()` narrow it.
 * Never a token in the query string: URLs end up in logs and Referer headers.
 */
// The answers to refused credentials, made once: a 401 costs no more than a 200 (see access-tokens.ts).
const AUTHENTICATION_REQUIRED = invalid('Authentication required');
const MALFORMED_HEADER = invalid('Malformed Authorization header');
const INVALID_API_TOKEN = invalid('Invalid or revoked API token');
const UNSUPPORTED_SCHEME = invalid('Unsupported authorization scheme');

interface RouteRule {
  isPublic: boolean;
  adminOnly: boolean;
  scope?: ApiTokenScope;
}

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly rules = new WeakMap<object, RouteRule>();

  constructor(
    private readonly reflector: Reflector,
    private readonly apiTokens: ApiTokensService,
    private readonly principals: AccessPrincipals,
    private readonly tokens: AccessTokens,
    private readonly cookies: SessionCookies,
    private readonly passport: PassportJwtGuard,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.ruleFor(context);
    if (rule.isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const principal = await this.authenticate(request, context);
    request.principal = principal;
    // Contract §7: nothing answered to a caller with credentials is kept by a cache on the way.
    void context.switchToHttp().getResponse<FastifyReply>().header('cache-control', 'no-store');
    if (rule.adminOnly && (principal.kind !== 'user' || !principal.isAdmin)) {
      throw new DomainError('forbidden', 'This needs a signed-in administrator');
    }
    const { scope } = rule;
    if (scope && !hasScope(principal, scope)) {
      throw new DomainError(
        'forbidden',
        principal.kind === 'user' ? 'This needs an administrator' : `This API token lacks the scope ${scope}`,
      );
    }
    return true;
  }

  /** A route's access rule, read from its decorators once (they never change at run time). */
  private ruleFor(context: ExecutionContext): RouteRule {
    const handler = context.getHandler();
    let rule = this.rules.get(handler);
    if (!rule) {
      const targets = [handler, context.getClass()];
      rule = {
        isPublic: this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets) === true,
        adminOnly: this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets) === true,
        scope: this.reflector.getAllAndOverride<ApiTokenScope | undefined>(REQUIRED_SCOPE, targets),
      };
      this.rules.set(handler, rule);
    }
    return rule;
  }

  /** Synchronous up to the first query, for the same reason as `userFrom`. */
  private authenticate(request: FastifyRequest, context: ExecutionContext): Promise<Principal> {
    const header = request.headers.authorization;
    if (header === undefined) {
      const cookie = this.cookies.accessToken(request);
      if (cookie === undefined) throw AUTHENTICATION_REQUIRED;
      this.cookies.assertCsrf(request);
      return this.userFrom(cookie, context);
    }
    const [scheme, credentials, ...rest] = header.trim().split(/\s+/);
    if (!credentials || rest.length > 0) throw MALFORMED_HEADER;
    switch (scheme.toLowerCase()) {
      case 'bearer':
        return this.userFrom(credentials, context);
      case 'token':
        return this.apiTokenPrincipal(credentials);
      default:
        throw UNSUPPORTED_SCHEME;
    }
  }

  private async apiTokenPrincipal(value: string): Promise<Principal> {
    const principal = await this.apiTokens.authenticate(value);
    if (principal) return principal;
    throw INVALID_API_TOKEN;
  }

  /**
   * A valid access token of a user who still exists and is active; admin rights as they are now. The token
   * is verified before the first `await`: a refusal then travels through as few promises as a missing
   * header does (a 401 costs no more than a 200).
   */
  private userFrom(token: string, context: ExecutionContext): Promise<UserPrincipal> {
    if (this.config.jwt.verifier === 'passport') return this.passportUser(token, context);
    return this.principals.fromClaims(this.tokens.verify(token));
  }

  private async passportUser(token: string, context: ExecutionContext): Promise<UserPrincipal> {
    refuseOversized(token);
    await this.passport.canActivate(context);
    return context.switchToHttp().getRequest<FastifyRequest & { user: UserPrincipal }>().user;
  }
}
