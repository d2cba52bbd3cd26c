// The API's answers as the pages use them (contract §2 and §6).

export interface User {
  id: string;
  email: string;
  username: string;
  first_name: string;
  last_name: string;
  is_active: boolean;
  is_admin: boolean;
  source: 'local' | 'sso' | 'sync';
  created_at: string;
  updated_at: string;
  last_login_at: string | null;
}

export interface UserPage {
  count: number;
  /** Present when `count` is an estimate (large directories, broad searches). */
  count_is_estimate?: true;
  next: string | null;
  previous: string | null;
  results: User[];
}

export type Scope = 'users:read' | 'users:write';

export interface ApiToken {
  id: string;
  name: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  last_used_at: string | null;
}

export interface CreatedApiToken extends ApiToken {
  token: string;
}

export type OidcScope = 'openid' | 'profile' | 'email' | 'groups' | 'offline_access';

export interface OidcClient {
  client_id: string;
  name: string;
  type: 'confidential' | 'public';
  first_party: boolean;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  scopes: OidcScope[];
  created_at: string;
  updated_at: string;
}

export interface CreatedOidcClient extends OidcClient {
  /** Confidential clients only, and only in the creation answer. */
  client_secret?: string;
}
