import {
  type Adapter,
  type AdapterFactory,
  type AdapterPayload,
  type ClientMetadata,
  errors,
} from 'oidc-provider';
import type { OidcClient } from './oidc-client.entity.js';
import type { OidcClientsRepository } from './oidc-clients.repository.js';
import type { OidcPayloadsRepository } from './oidc-payloads.repository.js';

/**
 * The provider's view of a registered client. Confidential clients authenticate with their secret (basic
 * or post; the provider accepts both for either), public ones with PKCE alone. The "secret" handed to the
 * provider is the stored hash: compareClientSecret (oidc-provider.service.ts) hashes what a client sends,
 * and nothing symmetric (HS* signing, client_secret_jwt) is enabled that would need the secret itself.
 */
export function clientMetadata(client: OidcClient): ClientMetadata {
  const confidential = client.type === 'confidential';
  return {
    client_id: client.clientId,
    client_name: client.name,
    ...(confidential && client.secretHash ? { client_secret: client.secretHash } : {}),
    token_endpoint_auth_method: confidential ? 'client_secret_basic' : 'none',
    // No fragment: a code in a fragment survives an open redirect at the client.
    response_modes: ['query', 'form_post'],
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: confidential
      ? ['authorization_code', 'refresh_token', 'client_credentials']
      : ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    scope: client.scopes.join(' '),
    first_party: client.firstParty,
  };
}

/** The provider's storage: clients from `oidc_clients`, everything else in `oidc_payloads`. */
export function oidcAdapter(
  payloads: OidcPayloadsRepository,
  clients: OidcClientsRepository,
): AdapterFactory {
  return (model: string): Adapter => {
    if (model === 'Client') {
      return {
        find: async (id) => {
          if (!/^[\w-]{1,64}$/.test(id)) return undefined;
          const client = await clients.findWithSecret(id);
          return client ? clientMetadata(client) : undefined;
        },
        upsert: refuse,
        findByUid: () => Promise.resolve(undefined),
        findByUserCode: () => Promise.resolve(undefined),
        consume: refuse,
        destroy: refuse,
        revokeByGrantId: refuse,
      };
    }
    // PostgreSQL text cannot hold NUL, and no id or uid we issue is long: such a lookup finds nothing.
    const findable = (id: string): boolean => id.length <= 512 && !id.includes('\u0000');
    const read = (stored: Awaited<ReturnType<OidcPayloadsRepository['find']>>): AdapterPayload | undefined =>
      stored && { ...stored.payload, ...(stored.consumed ? { consumed: true } : {}) };
    return {
      upsert: (id, payload, expiresIn) => payloads.upsert(model, id, payload, expiresIn),
      find: async (id) => (findable(id) ? read(await payloads.find(model, id)) : undefined),
      findByUid: async (uid) => (findable(uid) ? read(await payloads.findByUid(model, uid)) : undefined),
      findByUserCode: () => Promise.resolve(undefined),
      consume: (id) => payloads.consume(model, id, () => new errors.InvalidGrant(`${model} already used`)),
      destroy: (id) => payloads.destroy(model, id),
      revokeByGrantId: (grantId) => payloads.revokeByGrantId(model, grantId),
    };
  };
}

// Clients are registered through Latchkey's admin API only (no dynamic registration).
function refuse(): Promise<never> {
  return Promise.reject(new Error('OIDC clients are written through /api/clients only'));
}
