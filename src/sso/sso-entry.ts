import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SessionCookies } from '../auth/session-cookies.js';
import { sendError } from '../common/http-error.filter.js';
import { pageFramePolicy } from '../common/security-headers.js';
import { AppConfig } from '../config/app-config.js';
import { redirectTarget } from './sso-redirect.js';
import { SsoTokenVerifier } from './sso-token-verifier.js';
import { SsoService } from './sso.service.js';

// Paths that are API, not pages: a `token` query parameter there means nothing to SSO.
const NOT_PAGES = /^\/(api|docs|health|token|logout|sso|\.well-known)(\/|\?|$)/;

/**
 * Both SSO entry points end here: `GET /sso/login?token=…&next=…`, and any page opened with the token
 * parameter (a Fastify hook, so it works before routing, on any path). Success sets the session
 * cookies and redirects to the clean URL; the token never stays in the address bar or a Referer.
 */
@Injectable()
export class SsoEntry {
  private readonly logger = new Logger('SSO');

  private readonly enabled: boolean;

  constructor(
    private readonly sso: SsoService,
    private readonly cookies: SessionCookies,
    private readonly config: AppConfig,
    verifier: SsoTokenVerifier,
  ) {
    // Without a partner key configured, a `token` parameter on a page is just a parameter.
    this.enabled = verifier.enabled;
  }

  /** The token on a page URL, when this request is an SSO landing; undefined lets it through. */
  tokenOnPage(request: FastifyRequest): string | undefined {
    if (!this.enabled) return undefined;
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    // Every request passes here: skip the query parsing unless the parameter can be there at all.
    if (!request.url.includes(`${this.config.sso.tokenParam}=`)) return undefined;
    if (NOT_PAGES.test(request.url)) return undefined;
    const value = (request.query as Record<string, unknown>)[this.config.sso.tokenParam];
    return typeof value === 'string' ? value : undefined;
  }

  async complete(
    request: FastifyRequest,
    reply: FastifyReply,
    token: string,
    next?: string,
    fallback?: string,
  ): Promise<FastifyReply> {
    void reply.headers({
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
      'content-security-policy': pageFramePolicy(this.config),
    });
    try {
      const { pair } = await this.sso.login(token);
      this.cookies.set(reply, pair);
      return reply.redirect(
        redirectTarget(request.url, this.config.sso.tokenParam, next, this.config.publicUrl, fallback),
        302,
      );
    } catch (error) {
      sendError(error, request, reply, this.logger);
      return reply;
    }
  }
}
