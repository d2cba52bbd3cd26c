import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createDecoder } from 'fast-jwt';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { Public } from '../../auth/decorators.js';
import { BrowserSessions } from '../../auth/http/browser-sessions.js';
import { SessionCookies } from '../../auth/http/session-cookies.js';
import type { UserPrincipal } from '../../auth/principal.js';
import { SessionsService } from '../../auth/sessions/sessions.service.js';
import { AMR } from '../../auth/tokens/access-tokens.js';
import { AppConfig } from '../../config/app-config.js';
import { sendPage } from '../../web/http/page-reply.js';
import { consentPage } from '../consent.view.js';
import { ConsentDecisionDto } from '../dto/consent-decision.dto.js';
import { OidcClientsRepository } from '../oidc-clients.repository.js';
import { OidcConsents } from '../oidc-consents.service.js';
import { OidcGrants } from '../oidc-grants.service.js';
import { errorPage } from '../oidc-pages.js';
import { INTERACTION_PATH, OidcProvider } from '../oidc-provider.service.js';

type Details = Awaited<ReturnType<NonNullable<OidcProvider['provider']>['interactionDetails']>>;

interface Step {
  details: Details;
  principal: UserPrincipal;
  login: NonNullable<InteractionResults['login']>;
  /** When the Latchkey session began (epoch seconds). */
  startedAt: number;
  /** Signed in after this authorization request began. */
  fresh: boolean;
}

/**
 * The provider's interaction step, on Latchkey's own session: a person already signed in to Latchkey (by
 * password or partner SSO) goes straight back to the application; anyone else signs in on /login first.
 * First-party clients, and clients the person has already allowed these scopes, skip the consent page.
 */
@ApiExcludeController()
@Controller('interaction')
export class InteractionController {
  constructor(
    private readonly oidc: OidcProvider,
    private readonly browserSessions: BrowserSessions,
    private readonly cookies: SessionCookies,
    private readonly sessions: SessionsService,
    private readonly clients: OidcClientsRepository,
    private readonly grants: OidcGrants,
    private readonly consents: OidcConsents,
    private readonly config: AppConfig,
  ) {}

  @Public()
  @Get(':uid')
  async interaction(
    @Param('uid') uid: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const step = await this.step(uid, request, reply);
    if (!step) return;
    const { details, principal, login, fresh } = step;
    const { prompt } = details;
    if (prompt.name === 'login') {
      // An id_token_hint naming someone else than the person signed in: no silent switch of accounts.
      const hinted = hintedSubject(details);
      if (hinted !== undefined && hinted !== principal.userId) {
        return this.finish(request, reply, {
          error: 'login_required',
          error_description: 'Another account is signed in',
        });
      }
      // prompt=login, or a sign-in older than max_age: sign in again on /login, then come back. Nothing is
      // ended on this GET (any site can send a browser here): the new sign-in replaces the cookies.
      const tooOld = maxAgeExceeded(details, step.startedAt);
      if (!fresh && (prompt.reasons.includes('login_prompt') || tooOld)) {
        return void reply.redirect(`${signInPath(uid)}&again=1`, 303);
      }
      return this.finish(request, reply, { login });
    }
    // The provider remembers someone else in this browser: sign in the person Latchkey knows.
    if (details.session?.accountId !== principal.userId) return this.finish(request, reply, { login });
    const clientId = String(details.params.client_id);
    const client = await this.clients.find(clientId);
    if (!client)
      return void sendPage(reply, this.config, 400, errorPage('invalid_client', 'Unknown application'));
    const scopes = requestedScopes(details);
    if (!client.firstParty && !(await this.consents.covers(principal.userId, clientId, scopes))) {
      return void sendPage(reply, this.config, 200, consentPage(principal, uid, client.name, scopes));
    }
    return this.grant(request, reply, step);
  }

  /** The consent page's answer: allowed (remembered, then granted) or denied (access_denied to the client). */
  @Public()
  @Post(':uid/consent')
  @HttpCode(200)
  async consent(
    @Param('uid') uid: string,
    @Body() body: ConsentDecisionDto,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // The page's own request, never another site's: the CSRF double submit of every cookie write.
    this.cookies.assertCsrf(request);
    const step = await this.step(uid, request, reply, 'json');
    if (!step) return;
    const { details, principal } = step;
    if (details.prompt.name !== 'consent' || details.session?.accountId !== principal.userId) {
      return void reply.status(409).send({ redirect: `${INTERACTION_PATH}/${uid}` });
    }
    if (!body.allow) {
      return this.finish(
        request,
        reply,
        { error: 'access_denied', error_description: 'The person declined' },
        'json',
      );
    }
    await this.consents.remember(
      principal.userId,
      String(details.params.client_id),
      requestedScopes(details),
    );
    return this.grant(request, reply, step, 'json');
  }

  private async step(
    uid: string,
    request: FastifyRequest,
    reply: FastifyReply,
    answer: 'page' | 'json' = 'page',
  ): Promise<Step | undefined> {
    void reply.header('cache-control', 'no-store');
    const provider = this.oidc.provider;
    if (!provider) {
      sendPage(reply, this.config, 404, errorPage('not_found', 'No such page'));
      return undefined;
    }
    const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
    if (!details || details.uid !== uid) {
      sendPage(
        reply,
        this.config,
        400,
        errorPage('interaction_expired', 'This sign-in has expired; start again from the application.'),
      );
      return undefined;
    }
    const principal = await this.browserSessions.resolve(request, reply);
    const session = principal && (await this.sessions.describe(principal.sessionId));
    if (!principal || !session) {
      if (answer === 'json') void reply.status(401).send({ redirect: signInPath(uid) });
      else this.signIn(uid, reply);
      return undefined;
    }
    const startedAt = Math.floor(session.startedAt.getTime() / 1000);
    return {
      details,
      principal,
      login: { accountId: principal.userId, ts: startedAt, amr: [AMR[session.method]] },
      startedAt,
      // The request's time has whole seconds: only a sign-in in a later second is surely after it.
      fresh: session.startedAt.getTime() >= (Number(details.iat ?? 0) + 1) * 1000,
    };
  }

  private async grant(
    request: FastifyRequest,
    reply: FastifyReply,
    { details, principal, login }: Step,
    answer: 'redirect' | 'json' = 'redirect',
  ): Promise<void> {
    const grantId = await this.grants.grant(
      principal.userId,
      String(details.params.client_id),
      principal.sessionId,
      details.prompt.details,
      details.grantId,
    );
    if (!grantId) {
      if (answer === 'json') return void reply.status(401).send({ redirect: signInPath(details.uid) });
      return this.signIn(details.uid, reply);
    }
    // The sign-in goes along with the consent: a prompt=login request asks for it at every step.
    return this.finish(request, reply, { login, consent: { grantId } }, answer);
  }

  private async finish(
    request: FastifyRequest,
    reply: FastifyReply,
    result: InteractionResults,
    answer: 'redirect' | 'json' = 'redirect',
  ): Promise<void> {
    const provider = this.oidc.provider!;
    const target = await provider.interactionResult(request.raw, reply.raw, result, {
      mergeWithLastSubmission: false,
    });
    if (answer === 'json') return void reply.send({ redirect: target });
    return void reply.redirect(target, 303);
  }

  private signIn(uid: string, reply: FastifyReply): void {
    void reply.redirect(signInPath(uid), 303);
  }
}

function signInPath(uid: string): string {
  return `/login?next=${encodeURIComponent(`${INTERACTION_PATH}/${uid}`)}`;
}

/** Whether the client's max_age (seconds) has passed since the sign-in (OIDC Core §3.1.2.1). */
function maxAgeExceeded(details: Details, startedAt: number): boolean {
  const maxAge = Number(details.params.max_age);
  return Number.isFinite(maxAge) && Math.floor(Date.now() / 1000) - startedAt > maxAge;
}

const decodeHint = createDecoder();

/** The `sub` of the id_token_hint, which the provider has verified already (it signed it). */
function hintedSubject(details: Details): string | undefined {
  const hint = details.params.id_token_hint;
  if (typeof hint !== 'string') return undefined;
  try {
    const { sub } = decodeHint(hint) as { sub?: unknown };
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** The scopes the client asked for, as the provider kept them (unknown ones already dropped). */
function requestedScopes(details: Details): string[] {
  return [
    ...new Set(
      (typeof details.params.scope === 'string' ? details.params.scope : '')
        .split(' ')
        .filter((scope) => scope.length > 0),
    ),
  ];
}
