import type { AppConfig } from '../config/app-config.js';
import { embeddedUrl, runningEmbeddedPort, startEmbeddedPostgres } from './embedded-postgres.js';

export interface Database {
  url: string;
  /** Stops the embedded PostgreSQL when this process started it; nothing otherwise. */
  stop(): Promise<void>;
  embedded: boolean;
}

/** DATABASE_URL when set; else the embedded PostgreSQL under DATA_DIR, started here unless already running. */
export async function openDatabase(config: AppConfig, options: { reuseRunning: boolean }): Promise<Database> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {}, embedded: false };
  const password = config.embeddedDbPassword;
  if (!password) throw new Error('embedded database password missing from the configuration');
  const port = options.reuseRunning ? runningEmbeddedPort(config.dataDir) : undefined;
  if (port !== undefined) return { url: embeddedUrl(port, password), stop: async () => {}, embedded: true };
  const running = await startEmbeddedPostgres(config.dataDir, password);
  return { url: running.url, stop: () => running.stop(), embedded: true };
}
