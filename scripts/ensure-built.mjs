// `npm start` (and `npm run cli`, `npm run example`) build only when a source changed since the last build:
// a full `tsc` takes ~10 s on 2 cores, longer than everything else a start does. The stamp is written by
// `npm run build` when it completes (scripts/build-web.mjs, its last step).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_STAMP = join(root, 'dist', '.build-complete');
const INPUTS = [
  'src',
  'migrations',
  'scripts/build-web.mjs',
  'tsconfig.json',
  'tsconfig.build.json',
  'package-lock.json',
];

function newestChange(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(path).reduce(
    (newest, name) => Math.max(newest, newestChange(join(path, name))),
    stat.mtimeMs,
  );
}

const builtAt = existsSync(BUILD_STAMP) ? statSync(BUILD_STAMP).mtimeMs : 0;
const changedAt = Math.max(...INPUTS.map((input) => newestChange(join(root, input))));
if (changedAt > builtAt) {
  process.stderr.write(
    builtAt === 0 ? 'Building Latchkey…\n' : 'Sources changed since the last build; building…\n',
  );
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
