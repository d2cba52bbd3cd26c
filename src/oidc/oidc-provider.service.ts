import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider, { type Account, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { SessionsService } from '../auth/sessions/sessions.service.js';
import { IdTokenKeys } from '../auth/tokens/id-token-keys.js';
import { AppConfig } from '../config/app-config.js';
import { UsersRepository } from '../users/users.repository.js';
import { oidcAdapter } from './oidc-adapter.js';
import { clientSecretHash, OIDC_SCOPES } from './oidc-scopes.js';
import { OidcClientsRepository } from './oidc-clients.repository.js';
import { OidcPayloadsRepository } from './oidc-payloads.repository.js';
import { errorPage } from './oidc-pages.js';

/** The provider's endpoints (contract §8); discovery lists them. Our JWKS controller serves the keys. */
export const OIDC_ROUTES = {
  authorization: '/oidc/authorize',
  token: '/oidc/token',
  userinfo: '/oidc/userinfo',
  revocation: '/oidc/revoke',
  introspection: '/oidc/introspect',
  end_session: '/oidc/logout',
  jwks: '/.well-known/jwks.json',
} as const;

export const INTERACTION_PATH = '/interaction';

const CLEANUP_INTERVAL_MS = 10 * 60_000;

export function providerCookieNames(secure: boolean): {
  session: string;
  interaction: string;
  resume: string;
} {
  return secure
    ? {
        session: '__Host-oidc_session',
        interaction: '__Secure-oidc_interaction',
        resume: '__Secure-oidc_resume',
      }
    : { session: 'oidc_session', interaction: 'oidc_interaction', resume: 'oidc_resume' };
}

export interface BrowserSession {
  userId: string;
  sessionId: string;
}

/**
 * The OpenID Provider: oidc-provider (OpenID-certified) configured for Latchkey. It stores everything in
 * PostgreSQL (oidc-adapter.ts), so a flow begun on one instance finishes on another; people sign in on our
 * own pages (interaction.controller.ts). Undefined without OIDC_PRIVATE_KEY in production.
 */
@Injectable()
export class OidcProvider implements OnModuleInit, OnModuleDestroy {
  readonly provider?: Provider;
  private readonly handler?: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** The Latchkey session of the browser behind an authorization or logout request (OidcEntry sets it). */
  private readonly browserSessions = new WeakMap<IncomingMessage, BrowserSession>();
  /** RP-initiated logouts whose Latchkey session is being ended: the answer waits for it. */
  private readonly endingSessions = new WeakMap<IncomingMessage, Promise<unknown>>();
  private cleanup?: NodeJS.Timeout;
  private readonly logger = new Logger('OidcProvider');

  constructor(
    config: AppConfig,
    keys: IdTokenKeys,
    private readonly payloads: OidcPayloadsRepository,
    clients: OidcClientsRepository,
    users: UsersRepository,
    private readonly sessions: SessionsService,
  ) {
    if (!keys.privateJwk || !keys.algorithm) {
      this.logger.log('No OIDC_PRIVATE_KEY: the OpenID Provider is off');
      return;
    }
    const findAccount = async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
      const user = await users.findById(sub);
      if (!user || !user.isActive) return undefined;
      return {
        accountId: user.id,
        claims: () => ({
          sub: user.id,
          email: user.email,
          // Latchkey does not verify addresses itself; a relying party must not treat them as verified.
          email_verified: false,
          name: [user.firstName, user.lastName].filter((part) => part.length > 0).join(' ') || user.username,
          given_name: user.firstName || undefined,
          family_name: user.lastName || undefined,
          preferred_username: user.username,
        }),
      };
    };
    const configuration: Configuration = {
      adapter: oidcAdapter(payloads, clients),
      jwks: { keys: [keys.privateJwk] },
      cookies: {
        keys: keys.cookieKeys,
        // Behind https, prefixed like Latchkey's own cookies, so that no sibling subdomain can plant them:
        // __Host- where the path is /, __Secure- for the interaction cookies, which carry paths.
        names: providerCookieNames(config.publicUrl.startsWith('https://')),
        long: { signed: true, httpOnly: true, sameSite: 'lax' },
        short: { signed: true, httpOnly: true, sameSite: 'lax' },
      },
      findAccount,
      claims: {
        // How and when the person signed in: in every ID token, so under the openid scope.
        acr: null,
        sid: null,
        iss: null,
        openid: ['sub', 'amr', 'auth_time'],
        email: ['email', 'email_verified'],
        profile: ['name', 'given_name', 'family_name', 'preferred_username'],
        groups: ['groups'],
      },
      scopes: [...OIDC_SCOPES],
      // The contract puts the scopes' claims in the ID token too, as most relying parties expect.
      conformIdTokenClaims: false,
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
      enabledJWA: { idTokenSigningAlgValues: [keys.algorithm] },
      // Every client's ID tokens are signed with the one key there is (RS256 or ES256).
      clientDefaults: {
        grant_types: ['authorization_code'],
        id_token_signed_response_alg: keys.algorithm,
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      responseTypes: ['code'],
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
      routes: OIDC_ROUTES,
      interactions: { url: (_ctx, interaction) => `${INTERACTION_PATH}/${interaction.uid}` },
      features: {
        devInteractions: { enabled: false },
        introspection: {
          enabled: true,
          // Only confidential clients introspect (contract §8), and only tokens issued to them.
          allowedPolicy: (_ctx, client, token) =>
            Promise.resolve(client.clientAuthMethod !== 'none' && token.clientId === client.clientId),
        },
        // Another client's token is answered like an unknown one (200, nothing done): no validity oracle.
        revocation: {
          enabled: true,
          allowedPolicy: (_ctx, client, token) => Promise.resolve(token.clientId === client.clientId),
        },
        // Not routed (OidcEntry hands the provider only the contract's endpoints), so not advertised.
        pushedAuthorizationRequests: { enabled: false },
        clientCredentials: { enabled: true },
        rpInitiatedLogout: { enabled: true },
        userinfo: { enabled: true },
      },
      // Every use of a refresh token rotates it; a rotated one used again revokes its grant (contract §3).
      rotateRefreshToken: () => true,
      loadExistingGrant: async (ctx) => this.grantOfThisBrowser(ctx),
      clientBasedCORS: (_ctx, origin, client) =>
        (client.redirectUris ?? []).some((uri) => new URL(uri).origin === origin),
      ttl: {
        AccessToken: config.jwt.accessTtl,
        ClientCredentials: config.jwt.accessTtl,
        AuthorizationCode: 60,
        IdToken: 3600,
        RefreshToken: config.jwt.refreshTtl,
        Interaction: 600,
        // A provider session nobody signed in to (a logout page opened, an abandoned authorization) is kept
        // minutes, not the month a signed-in one may last.
        Session: (_ctx, session) => (session.accountId ? config.jwt.sessionMaxAge : 600),
        Grant: config.jwt.sessionMaxAge,
      },
      renderError: (ctx, out) => {
        ctx.type = 'html';
        ctx.body = errorPage(String(out.error), String(out.error_description ?? ''));
        return Promise.resolve();
      },
    };
    const provider = new Provider(config.jwt.issuer, configuration);
    // OidcEntry pins Host and X-Forwarded-Proto to the issuer's, so the provider always names itself by it.
    provider.proxy = true;
    provider.on('server_error', (_ctx: unknown, error: Error) => {
      this.logger.error(`OpenID Provider error: ${error.name}: ${error.message}`);
    });
    // The stored "secret" is the hash of the real one (oidc-adapter.ts): compare hashes, in constant time.
    provider.Client.prototype.compareClientSecret = function (this: { clientSecret?: string }, actual) {
      const stored = Buffer.from(this.clientSecret ?? '', 'hex');
      const given = Buffer.from(clientSecretHash(String(actual)), 'hex');
      return Promise.resolve(stored.length === given.length && timingSafeEqual(stored, given));
    };
    // RP-initiated logout that signs the person out of the provider ends their Latchkey session too: one
    // session, one sign-out. Koa answers only once every middleware has returned, so the redirect back to
    // the application leaves after the session has ended.
    // Only when the person confirmed signing out the account Latchkey knows in this browser: the provider
    // also posts logout=yes by itself (a logout with no provider session; a leftover provider session of
    // someone else ended at a sign-in), which must not end anyone's Latchkey session.
    provider.on('end_session.success', (ctx: KoaContextWithOIDC) => {
      const browser = this.browserSessions.get(ctx.req);
      if (!browser || !ctx.oidc.params?.logout || ctx.oidc.session?.accountId !== browser.userId) return;
      this.endingSessions.set(ctx.req, this.sessions.endIfActive(browser.userId, browser.sessionId));
    });
    provider.use(async (ctx, next) => {
      await next();
      await this.endingSessions.get(ctx.req);
    });
    // Every ID token names its session (`sid`, contract §8), not only those of back-channel logout clients.
    provider.Client.prototype.includeSid = () => true;
    this.provider = provider;
    this.handler = provider.callback();
  }

  /** Expired codes, tokens and sessions are refused on read; this removes them. */
  onModuleInit(): void {
    if (!this.provider) return;
    this.cleanup = setInterval(() => {
      this.payloads.deleteExpired().catch((error: unknown) => {
        this.logger.warn(`OIDC store cleanup failed: ${(error as Error).message}`);
      });
    }, CLEANUP_INTERVAL_MS);
    this.cleanup.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.cleanup);
  }

  get enabled(): boolean {
    return this.provider !== undefined;
  }

  /** Hands a request to the provider. */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!this.handler) throw new Error('The OpenID Provider is off');
    return this.handler(req, res);
  }

  /** Records which Latchkey session is behind this request. */
  bindBrowserSession(req: IncomingMessage, session: BrowserSession): void {
    this.browserSessions.set(req, session);
  }

  /**
   * The grant to continue with: only one given in the browser's current Latchkey session. A grant from
   * another session (another person signed in since, or the same person signed in again) is not reused;
   * the consent step then makes one for this session.
   */
  private async grantOfThisBrowser(ctx: KoaContextWithOIDC) {
    const grantId =
      ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session?.grantIdFor(ctx.oidc.client?.clientId ?? '');
    const sessionId = this.browserSessions.get(ctx.req)?.sessionId;
    if (!grantId || !sessionId) return undefined;
    if ((await this.payloads.grantSession(grantId)) !== sessionId) return undefined;
    return ctx.oidc.provider.Grant.find(grantId);
  }
}
