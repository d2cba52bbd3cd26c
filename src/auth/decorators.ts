import { SetMetadata } from '@nestjs/common';
import type { ApiTokenScope } from '../api-tokens/api-token.entity.js';

export const IS_PUBLIC = 'latchkey:public';
export const REQUIRED_SCOPE = 'latchkey:scope';
export const ADMIN_ONLY = 'latchkey:admin';

/** Opens a route to anonymous callers. Every other route needs credentials (deny by default). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);

/** The scope an API token needs for this route; a user needs to be an admin. */
export const RequireScope = (scope: ApiTokenScope): MethodDecorator & ClassDecorator =>
  SetMetadata(REQUIRED_SCOPE, scope);

/** Only a signed-in admin user (not an API token, whatever its scopes). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ADMIN_ONLY, true);
