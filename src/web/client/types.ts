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
