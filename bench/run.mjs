// `npm run bench [scenario …]`: each scenario measures a hot path of Latchkey beside a baseline in the
// same run, on this machine, and the table goes to stdout and bench/results.md. Not part of CI.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT, startPostgres } from './lib.mjs';
import { protectedScenario } from './protected.mjs';
import { searchScenario } from './search.mjs';
import { syncScenario } from './sync.mjs';

const SCENARIOS = { protected: protectedScenario, sync: syncScenario, search: searchScenario };

const wanted = process.argv.slice(2).filter((a) => a in SCENARIOS);
const names = wanted.length > 0 ? wanted : Object.keys(SCENARIOS);
const pgServer = await startPostgres();
const rows = [];
try {
  for (const name of names) {
    process.stderr.write(`bench: ${name}…\n`);
    rows.push(...(await SCENARIOS[name](pgServer)));
  }
} finally {
  await pgServer.stop();
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const lines = [
  `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine}.`,
  '',
  '| path | Latchkey | baseline (same run) | baseline value | ratio | notes |',
  '| --- | --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) => `| ${r.path} | ${r.value} | ${r.baseline} | ${r.baselineValue} | ${r.ratio} | ${r.notes} |`,
  ),
];
const table = lines.join('\n');
process.stdout.write(`\n${table}\n`);
writeFileSync(join(ROOT, 'bench', 'results.md'), `# Benchmark results\n\n${table}\n`);
