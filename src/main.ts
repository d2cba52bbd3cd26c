import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { createLogger } from './common/logger.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { type Database, openDatabase } from './database/database-url.js';
import { runMigrations } from './database/migrate.js';
import { firstStartHint } from './first-start.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  Logger.overrideLogger(logger);
  const log = new Logger('Latchkey');

  const database = await openDatabase(config, { reuseRunning: false });
  const running: { app?: NestFastifyApplication } = {};
  installShutdown(log, () => running.app, database);
  await runMigrations(database.url);
  const app = await createApp(config, database.url, { logger });
  running.app = app;
  await app.listen({ port: config.port, host: '0.0.0.0' });
  log.log(`Latchkey is listening on ${config.publicUrl} (API docs at ${config.publicUrl}/docs)`);
  const hint = await firstStartHint(app);
  if (hint) process.stdout.write(`\n${hint}\n\n`);
}

/** SIGINT/SIGTERM: stop taking requests, finish those in flight, close the pool, then stop PostgreSQL. */
function installShutdown(
  log: Logger,
  app: () => NestFastifyApplication | undefined,
  database: Database,
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.log(`${signal} received: shutting down`);
    void (async () => {
      try {
        await app()?.close();
        await database.stop();
        log.log('Stopped cleanly');
        process.exit(0);
      } catch (error) {
        log.error(`Shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      }
    })();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(
      `Latchkey failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
