// `BENCH_AGAINST=<another checkout> npm run bench <scenario…>`: each scenario runs against both builds,
// alternated over two rounds (other, this, this, other), on the same PostgreSQL in the same run, and each of
// its rows comes out once with both builds' values side by side. The other checkout must be built already
// (`npm run build` there). This is how an optimisation proves its place, or a change shows it costs nothing.
import { resolve } from 'node:path';
import { ROOT, useBuild } from './lib.mjs';
import { row } from './table.mjs';

export async function compareBuilds(scenario, ctx, againstDir) {
  const other = resolve(againstDir);
  const runs = { this: [], other: [] };
  const order = [
    ['other', other],
    ['this', ROOT],
    ['this', ROOT],
    ['other', other],
  ];
  try {
    for (const [i, [label, root]] of order.entries()) {
      useBuild(root);
      // Scenarios name their databases: each run gets its own.
      const pg = { ...ctx.pg, createDatabase: (name) => ctx.pg.createDatabase(`${name}_run${i + 1}`) };
      runs[label].push(await scenario({ ...ctx, pg }));
    }
  } finally {
    useBuild(ROOT);
  }
  // Rows are matched by position among the rows of the same path (a build may lack a row the other has).
  const keyed = (rows) => {
    const seen = new Map();
    return rows.map((r) => {
      const n = (seen.get(r.path) ?? 0) + 1;
      seen.set(r.path, n);
      return [`${r.path}#${n}`, r];
    });
  };
  // A row that repeats the value of an earlier row of its path (a reference row: the same Latchkey
  // measurement beside another baseline) would repeat that comparison too.
  const repeats = (rows, i) =>
    rows.slice(0, i).some((r) => r.path === rows[i].path && r.value === rows[i].value);
  const compared = keyed(runs.this[0]).filter((_, i) => !repeats(runs.this[0], i));
  return compared.map(([key, first]) => {
    const values = (label) => runs[label].map((rows) => new Map(keyed(rows)).get(key)?.value ?? '—');
    const mean = (label) => average(values(label).map(leadingNumber));
    const ratio = mean('this') / mean('other');
    return row({
      path: first.path,
      value: `this build: ${values('this').join(' / ')}`,
      baseline: `build at ${other}`,
      baselineValue: values('other').join(' / '),
      ratio: Number.isFinite(ratio) ? ratio.toFixed(2) : '—',
      notes: 'two runs of each build, alternated; ratio of the means of the leading numbers (this / other)',
    });
  });
}

function leadingNumber(text) {
  const match = /-?[\d,]+(\.\d+)?/.exec(String(text));
  return match ? Number(match[0].replaceAll(',', '')) : NaN;
}

function average(numbers) {
  return numbers.reduce((sum, n) => sum + n, 0) / numbers.length;
}
