import { createHash } from 'node:crypto';

// Kept apart from the provider's modules: the CLI and the pages need these without loading oidc-provider.

/** Every scope Latchkey knows; a client is registered with some of them. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'] as const;

/** SHA-256 of a client secret, as `oidc_clients.secret_hash` keeps it. */
export function clientSecretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}
