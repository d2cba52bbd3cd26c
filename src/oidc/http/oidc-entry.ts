import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessPrincipals } from '../../auth/access-principals.js';
import { SessionCookies } from '../../auth/http/session-cookies.js';
import { OIDC_ROUTES, OidcProvider } from '../oidc-provider.service.js';

const DISCOVERY = '/.well-known/openid-configuration';
// The provider's own paths; the JWKS (ours and the ID tokens' keys) is served by JwksController.
const PROVIDER_PATHS = Object.values(OIDC_ROUTES).filter((path) => path !== OIDC_ROUTES.jwks);

/**
 * The OpenID Provider's requests, taken before Fastify's routing and body parsing (the provider reads
 * its own bodies): discovery and the /oidc/ endpoints. An authorization request carries the browser's
 * Latchkey session to the provider, or, without one, goes without the provider's own session cookie: a
 * person signed out of Latchkey is signed out of every application's next authorization too. A logout
 * request carries it so that signing out of the provider ends it.
 */
@Injectable()
export class OidcEntry {
  constructor(
    private readonly oidc: OidcProvider,
    private readonly principals: AccessPrincipals,
    private readonly cookies: SessionCookies,
  ) {}

  handles(request: FastifyRequest): boolean {
    if (!this.oidc.enabled) return false;
    const path = request.url.split('?', 1)[0];
    return path === DISCOVERY || PROVIDER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
  }

  async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const authorization = request.url.startsWith(OIDC_ROUTES.authorization);
    if (authorization || request.url.startsWith(OIDC_ROUTES.end_session)) {
      const access = this.cookies.accessToken(request);
      const principal =
        access === undefined ? undefined : await this.principals.fromToken(access).catch(() => undefined);
      if (principal) this.oidc.bindBrowserSession(request.raw, principal);
      else if (authorization) withoutProviderSession(request);
    }
    // The headers every answer carries (security headers, request id) were set on the reply; the provider
    // writes the raw response.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.hijack();
    await this.oidc.handle(request.raw, reply.raw);
  }
}

/** Drops the provider's session cookies (`_session`, `_session.sig`, …) from the request. */
function withoutProviderSession(request: FastifyRequest): void {
  const header = request.raw.headers.cookie;
  if (!header) return;
  request.raw.headers.cookie = header
    .split(';')
    .filter((pair) => !pair.trim().startsWith('_session'))
    .join(';');
}
