import type { INestApplicationContext } from '@nestjs/common';
import { UsersService } from './users/users.service.js';

/** Until an admin exists, every start says how to make one and how to get an API token. */
export async function firstStartHint(app: INestApplicationContext): Promise<string | undefined> {
  if (await app.get(UsersService).hasAdmin()) return undefined;
  return [
    'No administrator yet. To sign in, create one:',
    '  npm run cli -- admin:create --email you@example.com      (asks for the password)',
    '  or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD and restart.',
    'To sync users from another system, create an API token:',
    '  npm run cli -- token:create --name sync --scopes users:write',
  ].join('\n');
}
