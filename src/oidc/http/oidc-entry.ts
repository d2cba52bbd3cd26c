import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessPrincipals } from '../../auth/access-principals.js';
import { SessionCookies } from '../../auth/http/session-cookies.js';
import { AppConfig } from '../../config/app-config.js';
import { OIDC_ROUTES, OidcProvider, providerCookieNames } from '../oidc-provider.service.js';

const DISCOVERY = '/.well-known/openid-configuration';
// Far above any real authorization request; a longer one would only be stored (its interaction) or logged.
const MAX_URL_LENGTH = 4096;
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
  private readonly issuer: URL;
  private readonly providerSessionCookie: string;

  constructor(
    private readonly oidc: OidcProvider,
    private readonly principals: AccessPrincipals,
    private readonly cookies: SessionCookies,
    config: AppConfig,
  ) {
    this.issuer = new URL(config.jwt.issuer);
    this.providerSessionCookie = providerCookieNames(config.publicUrl.startsWith('https://')).session;
  }

  /** Asked of every request the app gets: anything but /oidc/ and /.well-known/ is answered at once. */
  handles(request: FastifyRequest): boolean {
    const { url } = request;
    if (!this.oidc.enabled || !(url.startsWith('/oidc/') || url.startsWith('/.well-known/'))) return false;
    const path = url.split('?', 1)[0];
    return path === DISCOVERY || PROVIDER_PATHS.some((p) => path === p || path.startsWith(`${p}/`));
  }

  async serve(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (request.url.length > MAX_URL_LENGTH) {
      return void reply
        .status(414)
        .header('cache-control', 'no-store')
        .send({ error: 'invalid_request', error_description: 'The request URL is too long' });
    }
    // The provider builds its URLs (discovery, redirects) from Host and X-Forwarded-*: it must name itself
    // by its issuer whatever a client or a proxy sent.
    const headers = request.raw.headers;
    headers.host = this.issuer.host;
    headers['x-forwarded-proto'] = this.issuer.protocol.slice(0, -1);
    delete headers['x-forwarded-host'];
    if (request.url.split('?', 1)[0] === DISCOVERY) void reply.header('cache-control', 'public, max-age=300');
    const authorization = request.url.startsWith(OIDC_ROUTES.authorization);
    if (authorization || request.url.startsWith(OIDC_ROUTES.end_session)) {
      const access = this.cookies.accessToken(request);
      const principal =
        access === undefined ? undefined : await this.principals.fromToken(access).catch(() => undefined);
      if (principal) this.oidc.bindBrowserSession(request.raw, principal);
      else if (authorization) this.withoutProviderSession(request);
    }
    // The headers every answer carries (security headers, request id) were set on the reply; the provider
    // writes the raw response.
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) reply.raw.setHeader(name, value);
    }
    reply.hijack();
    await this.oidc.handle(request.raw, reply.raw);
  }

  /** Drops the provider's session cookie (and its signature) from the request. */
  private withoutProviderSession(request: FastifyRequest): void {
    const header = request.raw.headers.cookie;
    if (!header) return;
    const name = this.providerSessionCookie;
    request.raw.headers.cookie = header
      .split(';')
      .filter((pair) => {
        const cookie = pair.trim();
        return !cookie.startsWith(`${name}=`) && !cookie.startsWith(`${name}.sig=`);
      })
      .join(';');
  }
}
