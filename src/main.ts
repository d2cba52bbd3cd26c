import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Server } from 'node:http';
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
        const current = app();
        if (current) {
          const reaper = closeConnectionsOnceIdle(current.getHttpServer());
          try {
            // HTTP first: stop accepting connections, answer new requests on open ones with 503, and let
            // those in flight finish. Nest's own close() would run the modules' destroy hooks first and
            // keep serving new requests meanwhile.
            await current.getHttpAdapter().close();
            await current.close();
          } finally {
            clearInterval(reaper);
          }
        }
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

/**
 * Closing the HTTP server waits for every connection to end, and a kept-alive one ends only when the
 * client lets go or Fastify's keepAliveTimeout (72 s) passes: a connection that carried a request in
 * flight at the signal, or any load balancer's pooled connection, would hold the shutdown (and the
 * embedded database) that long. So once the listener is closed, connections are closed as soon as they
 * have no request in flight; a request in flight is never cut. (Until then, new requests are answered
 * 503 with `Connection: close`.)
 */
function closeConnectionsOnceIdle(server: Server): NodeJS.Timeout {
  const timer = setInterval(() => {
    if (!server.listening) server.closeIdleConnections();
  }, 50);
  timer.unref();
  return timer;
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
