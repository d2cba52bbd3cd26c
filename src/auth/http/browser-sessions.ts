import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError } from '../../common/errors.js';
import { AccessPrincipals } from '../access-principals.js';
import type { UserPrincipal } from '../principal.js';
import { SessionCookies } from './session-cookies.js';
import { SessionsService } from '../sessions/sessions.service.js';

// What a finished session looks like to a page: sign in again. Anything else (the database down) is a failure.
const SESSION_OVER = new Set(['invalid_token', 'token_expired', 'refresh_token_reused']);

/**
 * The session of a browser opening one of our pages. The access cookie lives as long as its token; when it
 * has gone, the refresh cookie is rotated here (as `POST /token/refresh` would), so a person who comes back
 * after a coffee sees the page instead of the sign-in form. Reading a page changes no data, so a
 * cross-site GET that triggers this gains the other site nothing: the new cookies go to the browser only.
 */
@Injectable()
export class BrowserSessions {
  constructor(
    private readonly principals: AccessPrincipals,
    private readonly sessions: SessionsService,
    private readonly cookies: SessionCookies,
  ) {}

  /** The signed-in user, or undefined (with the dead cookies cleared) when the browser has no session. */
  async resolve(request: FastifyRequest, reply: FastifyReply): Promise<UserPrincipal | undefined> {
    const access = this.cookies.accessToken(request);
    if (access !== undefined) {
      const principal = await this.principals.fromToken(access).catch(sessionOver);
      if (principal) return principal;
    }
    const refresh = this.cookies.refreshToken(request);
    if (refresh === undefined) return undefined;
    const renewed = await this.sessions.refresh(refresh).catch(sessionOver);
    const principal = renewed && (await this.principals.fromToken(renewed.accessToken).catch(sessionOver));
    if (!renewed || !principal) {
      this.cookies.clear(reply);
      return undefined;
    }
    this.cookies.set(reply, renewed);
    return principal;
  }

  /** Ends the browser's current session (its cookies are replaced or cleared by the caller). */
  async end(principal: UserPrincipal): Promise<void> {
    await this.sessions.endIfActive(principal.userId, principal.sessionId);
  }
}

function sessionOver(error: unknown): undefined {
  if (error instanceof DomainError && SESSION_OVER.has(error.code)) return undefined;
  throw error;
}
