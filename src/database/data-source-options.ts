import type { DataSourceOptions } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { ApiToken } from '../api-tokens/api-token.entity.js';
import { User } from '../users/user.entity.js';

/** One definition for the app, the migration CLI and the tests. The schema changes only by migration. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [User, ApiToken],
    migrations,
    synchronize: false,
    migrationsRun: false,
    migrationsTransactionMode: 'each',
    // Fail fast when the database is away, instead of queueing requests until clients give up.
    connectTimeoutMS: 3000,
    extra: {
      max: 10,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 30_000,
      application_name: 'latchkey',
    },
  };
}
