import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BrowserSessions } from '../../auth/http/browser-sessions.js';
import { SessionCookies } from '../../auth/http/session-cookies.js';
import { DomainError } from '../../common/errors.js';
import { sendError } from '../../common/http/http-error.filter.js';
import { pageContentPolicy, pageFramePolicy } from '../../common/security-headers.js';
import { ssoContinuePage } from '../../web/views/sso-continue.view.js';
import { AppConfig } from '../../config/app-config.js';
import { allowsSignInLanding } from '../fetch-metadata.js';
import { redirectTarget } from '../sso-redirect.js';
import { SsoTokenVerifier } from '../sso-token-verifier.js';
import { SsoService } from '../sso.service.js';

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
    private readonly sessions: BrowserSessions,
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
      refuseUnlessNavigation(request, this.config.frameAncestors.length > 0);
      if (
        this.config.sessionCookieSameSite === 'strict' &&
        request.headers['sec-fetch-site'] === 'cross-site'
      ) {
        // Strict cookies do not come with another site's link, so this request cannot tell whether someone is
        // signed in here (the session-conflict rule below). A page of ours asks for the same URL again:
        // a same-site request, with the cookies. Nothing is verified or spent until then.
        return reply
          .status(200)
          .headers({ 'content-security-policy': pageContentPolicy(this.config) })
          .type('text/html; charset=utf-8')
          .send(ssoContinuePage());
      }
      const checked = await this.sso.check(token);
      // Login CSRF: a link from another site must not silently swap the person signed in here for someone
      // else. Keycloak answers the same way; signing out first is one click on the profile page.
      const current = await this.sessions.resolve(request, reply);
      const replaced = current && current.email !== checked.identity.email ? current : undefined;
      if (replaced && this.config.sso.sessionConflict === 'refuse') {
        throw new DomainError(
          'session_conflict',
          `You are signed in as ${replaced.email}, and this sign-in link is for another account. ` +
            'Sign out first, then open the link again.',
        );
      }
      const signedIn = await this.sso.signIn(checked, request.headers['user-agent']);
      // `switch`: the partner is the authority on who is at the keyboard (a shared computer). The old
      // session ends once the new one exists, never for a landing that was refused (a replayed token, an
      // admin, an inactive user), so a spent link cannot be used to sign people out.
      if (replaced) await this.sessions.end(replaced);
      this.cookies.set(reply, signedIn);
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

/**
 * A sign-in link is for the person to open (a page, or an iframe when partners may frame us), never for a
 * page on another site to load unseen (`<img>`, `fetch()`, `<embed>`, `<object>`), which could otherwise drop
 * a session into the browser. Checked before the token is read, so a refusal spends and writes nothing.
 */
function refuseUnlessNavigation(request: FastifyRequest, framingAllowed: boolean): void {
  // Node joins a repeated header with ", ": not a value the policy knows, so it fails closed.
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const metadata = {
    method: request.method,
    site: header('sec-fetch-site'),
    mode: header('sec-fetch-mode'),
    dest: header('sec-fetch-dest'),
  };
  if (!allowsSignInLanding(metadata, framingAllowed)) {
    throw new DomainError(
      'forbidden',
      'Open sign-in links in the browser as a page; another site cannot load them in the background',
    );
  }
}
