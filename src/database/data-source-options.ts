import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { ApiToken } from '../api-tokens/api-token.entity.js';
import { LoginThrottle } from '../auth/login/login-throttle.entity.js';
import { RefreshToken } from '../auth/sessions/refresh-token.entity.js';
import { Session } from '../auth/sessions/session.entity.js';
import { OidcClient } from '../oidc/oidc-client.entity.js';
import { OidcConsent } from '../oidc/oidc-consent.entity.js';
import { OidcPayload } from '../oidc/oidc-payload.entity.js';
import { SsoReplay } from '../sso/sso-replay.entity.js';
import { User } from '../users/user.entity.js';
import { GuardedClient } from './guarded-client.js';
import { latchkeyPgTypes } from './pg-types.js';

/** One definition for the app, the migration CLI and the tests. The schema changes only by migration. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [
      User,
      ApiToken,
      Session,
      RefreshToken,
      LoginThrottle,
      SsoReplay,
      OidcClient,
      OidcPayload,
      OidcConsent,
    ],
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    // Fail fast when the database is away, instead of queueing requests until clients give up.
    connectTimeoutMS: 3000,
    extra: {
      // pg-pool builds its connections with this class (see GuardedClient for why).
      Client: GuardedClient,
      types: latchkeyPgTypes,
      // Statements given to one connection together go out together instead of one per round trip; a bulk
      // sync's chunks so overlap (UsersRepository.writeBatch). One at a time, nothing changes.
      pipeline: true,
      max: 10,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 30_000,
      application_name: 'latchkey',
      // Many small requests at once, not one big report: a parallel plan would take every core for one
      // query, and the planner preferred a parallel scan to a far cheaper index walk for directory searches.
      options: '-c max_parallel_workers_per_gather=0',
    },
  };
}
