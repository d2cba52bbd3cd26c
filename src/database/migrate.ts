import { Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from './data-source-options.js';
import { GuardedClient } from './guarded-client.js';

// Any constant works; it only has to be the same for every instance of Latchkey.
const MIGRATION_LOCK = 7_240_118;

/**
 * Runs pending migrations, each in its own transaction. An advisory lock makes instances that start
 * together take turns, so a migration never runs twice.
 */
export async function runMigrations(url: string, logger = new Logger('Migrations')): Promise<string[]> {
  const lock = new GuardedClient({ connectionString: url });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const db = new DataSource(dataSourceOptions(url));
    await db.initialize();
    try {
      const applied = await db.runMigrations({ transaction: 'each' });
      for (const migration of applied) logger.log(`Applied migration ${migration.name}`);
      return applied.map((m) => m.name);
    } finally {
      await db.destroy();
    }
  } finally {
    await lock.end();
  }
}
