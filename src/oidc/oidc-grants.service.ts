import { Injectable } from '@nestjs/common';
import { OidcPayloadsRepository } from './oidc-payloads.repository.js';
import { OidcProvider } from './oidc-provider.service.js';

/** What the provider still needs granted (its consent prompt's details). */
export interface MissingGrant {
  missingOIDCScope?: string[];
  missingOIDCClaims?: string[];
  missingResourceScopes?: Record<string, string[]>;
}

@Injectable()
export class OidcGrants {
  constructor(
    private readonly oidc: OidcProvider,
    private readonly payloads: OidcPayloadsRepository,
  ) {}

  /**
   * Grants a client what it asked for, in the Latchkey session `sessionId`: the grant ends with that session.
   * Undefined when the session ended meanwhile.
   */
  async grant(
    accountId: string,
    clientId: string,
    sessionId: string,
    missing: MissingGrant,
    existingGrantId?: string,
  ): Promise<string | undefined> {
    const provider = this.oidc.provider;
    if (!provider) throw new Error('The OpenID Provider is off');
    const existing = existingGrantId ? await provider.Grant.find(existingGrantId) : undefined;
    const grant = existing ?? new provider.Grant({ accountId, clientId });
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    return (await this.payloads.bindGrant(grantId, sessionId)) ? grantId : undefined;
  }
}
