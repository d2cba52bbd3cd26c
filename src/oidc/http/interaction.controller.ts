import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { InteractionResults } from 'oidc-provider';
import { Public } from '../../auth/decorators.js';
import { BrowserSessions } from '../../auth/http/browser-sessions.js';
import { SessionCookies } from '../../auth/http/session-cookies.js';
import { SessionsService } from '../../auth/sessions/sessions.service.js';
import { AMR } from '../../auth/tokens/access-tokens.js';
import { OidcClientsRepository } from '../oidc-clients.repository.js';
import { OidcGrants } from '../oidc-grants.service.js';
import { errorPage } from '../oidc-pages.js';
import { INTERACTION_PATH, OidcProvider } from '../oidc-provider.service.js';

/**
 * The provider's interaction step, on Latchkey's own session: a person already signed in to Latchkey (by
 * password or partner SSO) goes straight back to the application; anyone else signs in on /login first.
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
  ) {}

  @Public()
  @Get(':uid')
  async interaction(
    @Param('uid') uid: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const provider = this.oidc.provider;
    if (!provider)
      return void reply.status(404).type('text/html').send(errorPage('not_found', 'No such page'));
    const details = await provider.interactionDetails(request.raw, reply.raw).catch(() => undefined);
    if (!details || details.uid !== uid) {
      return void reply
        .status(400)
        .type('text/html')
        .send(
          errorPage('interaction_expired', 'This sign-in has expired; start again from the application.'),
        );
    }
    const here = `${INTERACTION_PATH}/${uid}`;
    const signIn = () => reply.redirect(`/login?next=${encodeURIComponent(here)}`, 303);
    const principal = await this.browserSessions.resolve(request, reply);
    const session = principal && (await this.sessions.describe(principal.sessionId));
    if (!principal || !session) return void signIn();
    const login: InteractionResults['login'] = {
      accountId: principal.userId,
      ts: Math.floor(session.startedAt.getTime() / 1000),
      amr: [AMR[session.method]],
    };
    const { prompt } = details;
    let result: InteractionResults;
    if (prompt.name === 'login') {
      // prompt=login or max_age: a sign-in newer than this request is needed. The current session is ended
      // and the person signs in again.
      const fresh = session.startedAt.getTime() / 1000 >= Number(details.iat ?? 0);
      const mustRenew = prompt.reasons.some((r) => r === 'login_prompt' || r === 'max_age');
      if (mustRenew && !fresh) {
        await this.browserSessions.end(principal);
        this.cookies.clear(reply);
        return void signIn();
      }
      result = { login };
    } else if (details.session?.accountId !== principal.userId) {
      // The provider remembers someone else in this browser: sign in the person Latchkey knows.
      result = { login };
    } else {
      const clientId = String(details.params.client_id);
      const client = await this.clients.find(clientId);
      if (!client)
        return void reply
          .status(400)
          .type('text/html')
          .send(errorPage('invalid_client', 'Unknown application'));
      if (!client.firstParty) {
        // Consent for other applications is a page of its own (issue 17, still to come): refused until then.
        result = { error: 'consent_required', error_description: 'this application needs consent' };
      } else {
        const grantId = await this.grants.grant(
          principal.userId,
          clientId,
          principal.sessionId,
          prompt.details,
          details.grantId,
        );
        if (!grantId) return void signIn();
        result = { consent: { grantId } };
      }
    }
    const target = await provider.interactionResult(request.raw, reply.raw, result, {
      mergeWithLastSubmission: false,
    });
    return void reply.redirect(target, 303);
  }
}
