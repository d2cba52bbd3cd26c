// The results table: one row per measurement, each with its target and a plain ✅/❌, never hidden.

export const COLUMNS = [
  'path',
  'Latchkey',
  'baseline (same run)',
  'baseline value',
  'ratio',
  'target',
  'notes',
];

/**
 * A row. `target` is { op: '≥' | '≤' | '<', value, unit?, of? } where `of` is what is compared (the ratio
 * by default, or `actual` for an absolute target such as a latency or a size). Rows without a target are
 * notes (reference measurements) and say so.
 */
export function row({ path, value, baseline = '—', baselineValue = '—', ratio, target, notes = '' }) {
  return { path, value, baseline, baselineValue, ratio, target, notes };
}

export function met(target) {
  const compared = target.actual;
  if (compared === undefined || Number.isNaN(compared)) return false;
  if (target.op === '≥') return compared >= target.value;
  if (target.op === '≤') return compared <= target.value;
  return compared < target.value;
}

export function targetText(target) {
  if (!target) return 'note only';
  const unit = target.unit ?? '';
  const label = target.label ? `${target.label} ` : '';
  return `${label}${target.op} ${target.value}${unit} ${met(target) ? '✅' : '❌'}`;
}

export function renderTable(rows) {
  const cells = rows.map((r) => [
    r.path,
    r.value,
    r.baseline,
    r.baselineValue,
    r.ratio ?? '—',
    targetText(r.target),
    r.notes,
  ]);
  const escape = (text) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');
  return [
    `| ${COLUMNS.join(' | ')} |`,
    `| ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...cells.map((c) => `| ${c.map(escape).join(' | ')} |`),
  ].join('\n');
}

export function misses(rows) {
  return rows.filter((r) => r.target && !met(r.target));
}

// Number formats shared by the scenarios.
export const int = (n) => Math.round(n).toLocaleString('en');
export const ms = (n) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0));
export const rate = (r, unit = 'req/s') => `${int(r.rps)} ${unit}, p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms`;
export const ratio = (n) => (n >= 10 ? n.toFixed(0) : n.toFixed(2));
