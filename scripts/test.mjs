// `npm test`: one throw-away embedded PostgreSQL for the whole run, then Jest (unit + e2e) against it.
// Every e2e file makes its own database in this cluster, so files can run in parallel without sharing rows.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startThrowawayPostgres } from './throwaway-postgres.mjs';

const pg = await startThrowawayPostgres({
  prefix: 'latchkey-test-',
  // Throw-away data: durability buys nothing here and costs seconds.
  postgresFlags: ['fsync=off', 'synchronous_commit=off', 'full_page_writes=off', 'max_connections=300'],
});
const dir = pg.dir;

let code;
try {
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
      LATCHKEY_TEST_DB_ADMIN_URL: pg.url('postgres'),
      LATCHKEY_TEST_TMP: dir,
    },
  );
  printSummary(resultsFile);
} finally {
  await pg.stop();
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
