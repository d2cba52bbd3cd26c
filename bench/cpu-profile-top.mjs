// The top self-time functions of V8 CPU profiles, to see where a missed row's time goes.
// Record with `BENCH_CPU_PROF=/tmp/prof npm run bench <scenario>` (each Latchkey instance writes a
// .cpuprofile when it stops; each worker thread its own), then: node bench/cpu-profile-top.mjs <file…> [--top N]
// Idle time is left out of the percentages: they are shares of the time the thread was busy.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
const files = args.filter((a, i) => a !== '--top' && i !== topAt + 1);

for (const file of files) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let busy = 0;
  profile.samples.forEach((id, i) => {
    const { callFrame: f } = byId.get(id);
    if (f.functionName === '(idle)') return;
    const micros = profile.timeDeltas[i] ?? 0;
    const key = `${f.functionName || '(anonymous)'} ${where(f)}`;
    self.set(key, (self.get(key) ?? 0) + micros);
    busy += micros;
  });
  process.stdout.write(`\n${file}: ${(busy / 1e6).toFixed(1)} s busy\n`);
  for (const [key, micros] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(`${((100 * micros) / busy).toFixed(1).padStart(5)} %  ${key}\n`);
  }
}

/** `package path:line` for dependencies, `path:line` for our own code, nothing for V8 internals. */
function where(frame) {
  if (!frame.url) return '';
  const path = frame.url.replace(/^file:\/\//, '');
  const dep = path.lastIndexOf('node_modules/');
  const short = dep >= 0 ? path.slice(dep + 'node_modules/'.length) : path.replace(/^.*\/dist\//, 'dist/');
  return `${short}:${frame.lineNumber + 1}`;
}
