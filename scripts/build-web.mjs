// Part of `npm run build`: compiles the pages' client modules (their own tsconfig: DOM, no Node) and copies
// the stylesheet and icon beside them, where src/web/web-assets.ts reads them at start-up.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'src', 'web', 'client');
const target = join(root, 'dist', 'src', 'web', 'client');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

const result = spawnSync(process.execPath, [tsc, '-p', join(source, 'tsconfig.json')], { stdio: 'inherit' });
if (result.status !== 0) process.exit(result.status ?? 1);
mkdirSync(target, { recursive: true });
for (const name of readdirSync(source)) {
  if (['.css', '.svg'].includes(extname(name))) copyFileSync(join(source, name), join(target, name));
}
// The build is complete: `npm start` may skip the next build until a source changes (scripts/ensure-built.mjs).
writeFileSync(join(root, 'dist', '.build-complete'), `${new Date().toISOString()}\n`);
