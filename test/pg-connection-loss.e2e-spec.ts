import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { mapError } from '../src/common/error-mapping.js';

// What a PostgreSQL backend sends when its postmaster is SIGKILLed just after the backend finished a new
// connection: AuthenticationOk and ReadyForQuery, then at its first wait for a query the FATAL for the
// postmaster's death — all three can arrive in one packet. Seen in test/faults.e2e-spec.ts under CPU load:
// the server process died of an unhandled 'error' event ("be-secure.c", "secure_read").
const FATAL_MESSAGE = 'terminating connection due to unexpected postmaster exit';

function message(type: string, body: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeInt32BE(body.length + 4);
  return Buffer.concat([Buffer.from(type), length, body]);
}

function errorResponse(fields: Record<string, string>): Buffer {
  const parts = Object.entries(fields).map(([k, v]) => Buffer.from(`${k}${v}\0`));
  return message('E', Buffer.concat([...parts, Buffer.from([0])]));
}

const DYING_BACKEND = Buffer.concat([
  message('R', Buffer.from([0, 0, 0, 0])),
  message('Z', Buffer.from('I')),
  errorResponse({
    S: 'FATAL',
    V: 'FATAL',
    C: '57P01',
    M: FATAL_MESSAGE,
    F: 'be-secure.c',
    L: '241',
    R: 'secure_read',
  }),
]);

// A pool like the app's (the class under test, or pg's own as the control) takes a connection the way
// TypeORM does — the client is handed over by callback and only used after a promise resolves — and then
// runs a query on it. Prints what that query said (a RESULT line among the logs); a crash shows as the
// exit code.
const SCENARIO = `
import pg from 'pg';
const [port, which] = process.argv.slice(1);
const Client = which === 'guarded'
  ? (await import(${JSON.stringify(resolve('dist/src/database/guarded-client.js'))})).GuardedClient
  : pg.Client;
const pool = new pg.Pool({ host: '127.0.0.1', port: Number(port), user: 'u', database: 'd', password: 'p', Client });
pool.on('error', () => undefined);
const client = await new Promise((ok, fail) => pool.connect((err, c) => (err ? fail(err) : ok(c))));
const said = await client.query('SELECT 1').then(() => 'answered', (error) => error.message);
process.stdout.write('\\nRESULT ' + JSON.stringify({ said }) + '\\n');
client.release(true);
await pool.end();
`;

function runScenario(port: number, which: 'guarded' | 'plain') {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', SCENARIO, String(port), which], {
      cwd: resolve('.'),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

describe('a connection whose backend dies as it is handed out', () => {
  let backend: Server;
  let port: number;

  beforeAll(async () => {
    backend = createServer((socket) => {
      socket.on('error', () => undefined);
      // One write after the startup message: the three messages reach the client in one chunk.
      socket.once('data', () => socket.end(DYING_BACKEND));
    });
    await new Promise<void>((ok) => backend.listen(0, '127.0.0.1', ok));
    port = (backend.address() as { port: number }).port;
  });

  afterAll(async () => {
    await new Promise((ok) => backend.close(ok));
  });

  it("kills a process on pg's own client (the control: the scenario reproduces the crash)", async () => {
    const run = await runScenario(port, 'plain');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain(FATAL_MESSAGE);
    expect(run.stdout).toBe('');
  });

  it("does not kill the process on Latchkey's client: the next query fails, and maps to 503", async () => {
    const run = await runScenario(port, 'guarded');
    expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
    const result = run.stdout.split('\n').find((line) => line.startsWith('RESULT '));
    const { said } = JSON.parse(result?.slice('RESULT '.length) ?? '{}') as { said?: string };
    expect(said).toBeDefined();
    expect(said).not.toBe('answered');
    expect(run.stdout).toContain('A database connection failed while nobody was using it');
    expect(mapError(new Error(said))).toMatchObject({ status: 503, body: { code: 'database_unavailable' } });
  });
});
