import { spawn, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { createTestDatabase } from './test-db.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');
export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';
const EARLY_ANSWER_SIZE = 1024 * 1024;
export const WRITE_TOKEN = 'lk_test_write_token_0123456789abcdefghijklmnop';
// One ID-token key for every server a test process starts: generating an RSA key per server costs ~100 ms.
export const TEST_OIDC_PRIVATE_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

export interface HttpResult<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is instead of JSON-encoding `body`. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** `Authorization: Token <apiToken>` */
  apiToken?: string;
  /**
   * Send `path` as the request target byte for byte (dot segments, backslashes, absolute-form). Without it
   * `baseUrl + path` goes through WHATWG URL parsing first, which turns `/.//x` into `//x`.
   */
  rawPath?: boolean;
}

export interface TestServer {
  baseUrl: string;
  databaseUrl: string;
  /** A pool on the server's database, for asserting what was (not) written. */
  db: pg.Pool;
  /** Every line the server printed so far (JSON log lines and plain text). */
  logs: string[];
  request<T = any>(method: string, path: string, options?: RequestOptions): Promise<HttpResult<T>>;
  /** Sends the signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** The server's process, for tests that watch it (is it still alive? its pid, its exit code). */
  child?: ChildProcess;
}

/**
 * Starts the built server (`dist/src/main.js`) as its own process, exactly as `npm start` does, on its
 * own database (or a given one). The e2e tests talk to it over HTTP only.
 */
export async function startServer(
  env: Record<string, string> = {},
  options: { databaseUrl?: string; embedded?: boolean } = {},
): Promise<TestServer> {
  const databaseUrl = options.embedded ? '' : (options.databaseUrl ?? (await createTestDatabase()));
  // A free port can be taken by another suite's server between our check and our listen; then our server
  // exits with EADDRINUSE, and the health check must not have mistaken the other one for ours. Retried.
  for (let attempt = 1; ; attempt++) {
    const started = await spawnServer(env, databaseUrl);
    if (started.ok) return started.server;
    if (!started.portTaken || attempt >= 3)
      throw new Error(`server did not start:\n${started.logs.join('\n')}`);
  }
}

type Started = { ok: true; server: TestServer } | { ok: false; portTaken: boolean; logs: string[] };

async function spawnServer(env: Record<string, string>, databaseUrl: string): Promise<Started> {
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      JWT_SECRET: TEST_JWT_SECRET,
      DATA_DIR: testDataDir(),
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'log',
      BOOTSTRAP_API_TOKEN: WRITE_TOKEN,
      OIDC_PRIVATE_KEY: TEST_OIDC_PRIVATE_KEY,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs = collectLines(child);
  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitUntilHealthy(baseUrl, child, logs);
  } catch {
    await stopChild(child, 'SIGKILL');
    return { ok: false, portTaken: logs.some((l) => l.includes('EADDRINUSE')), logs };
  }
  const db = new pg.Pool({ connectionString: databaseUrl || undefined, max: 4 });
  const server: TestServer = {
    baseUrl,
    databaseUrl,
    db,
    logs,
    child,
    request: (method, path, opts) => request(baseUrl, method, path, opts),
    async stop(signal = 'SIGTERM') {
      await db.end();
      return stopChild(child, signal);
    },
  };
  return { ok: true, server };
}

export function testDataDir(): string {
  return mkdtempSync(join(process.env.LATCHKEY_TEST_TMP ?? '/tmp', 'data-'));
}

/**
 * One HTTP request over node:http. Unlike fetch, it still reports the answer when the server answers early
 * and closes while the body is being sent (e.g. 413 on Content-Length), which is what a limit test needs.
 */
export function request<T = any>(
  baseUrl: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResult<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiToken) headers.authorization = `Token ${options.apiToken}`;
  let body: string | Buffer | undefined = options.raw;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  return new Promise((resolvePromise, reject) => {
    let answered = false;
    // A `path` option overrides the URL's path and is sent unparsed.
    const [url, raw] = options.rawPath ? [baseUrl, { path }] : [baseUrl + path, {}];
    const req = httpRequest(url, { method, headers, ...raw }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          parsed = undefined;
        }
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of [value ?? []].flat()) responseHeaders.append(name, v);
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: responseHeaders, body: parsed as T, text });
      });
    });
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (body === undefined || Buffer.byteLength(body) <= EARLY_ANSWER_SIZE) {
      req.end(body);
      return;
    }
    // A server may refuse a large body on its Content-Length alone and close the connection; a client
    // still writing then sees EPIPE instead of the answer. Give it a moment to answer first.
    req.flushHeaders();
    setTimeout(() => (answered ? req.destroy() : req.end(body)), 300);
  });
}

/** Counts rows, for "nothing was written" assertions. */
export async function countRows(
  db: pg.Pool,
  table: 'users' | 'api_tokens' | 'refresh_tokens',
): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0].n);
}

/** Runs the built CLI with these arguments; resolves with its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  input?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'test', LOG_LEVEL: 'warn', ...env },
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

export function freePort(): Promise<number> {
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

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts);
    });
  }
  return lines;
}

/** Healthy means: our process says it listens (the port is ours, not another server's), and /health is 200. */
async function waitUntilHealthy(baseUrl: string, child: ChildProcess, logs: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${logs.join('\n')}`);
    if (logs.some((line) => line.includes('Latchkey is listening on'))) {
      try {
        const res = await fetch(`${baseUrl}/health`);
        if (res.status === 200) return;
      } catch {
        // not answering yet
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`server did not become healthy:\n${logs.join('\n')}`);
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolveExit(code);
    });
    child.kill(signal);
  });
}
