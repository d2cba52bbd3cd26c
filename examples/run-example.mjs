// `npm run example`: Latchkey and the partner app side by side, with matching SSO settings. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = process.env.DATA_DIR ?? join(root, '.data');
// The shared secret is made once and kept beside the dev secrets, so restarts keep working links.
const secretFile = join(dataDir, 'example-sso-secret');
mkdirSync(dataDir, { recursive: true });
if (!existsSync(secretFile))
  writeFileSync(secretFile, randomBytes(32).toString('base64url'), { mode: 0o600 });
const secret = readFileSync(secretFile, 'utf8').trim();
const latchkeyPort = process.env.PORT ?? '3000';
const partnerPort = process.env.PARTNER_PORT ?? '4000';

const children = [
  spawn(process.execPath, ['dist/src/main.js'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      PORT: latchkeyPort,
      DATA_DIR: dataDir,
      JWT_SSO_SECRET: secret,
      JWT_SSO_AUTO_CREATE_USERS: 'true',
      FRAME_ANCESTORS: `http://localhost:${partnerPort}`,
    },
  }),
  spawn(process.execPath, ['examples/partner-app/server.mjs'], {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      PARTNER_PORT: partnerPort,
      LATCHKEY_URL: `http://localhost:${latchkeyPort}`,
      JWT_SSO_SECRET: secret,
    },
  }),
];
const stop = () => children.forEach((child) => child.exitCode === null && child.kill('SIGTERM'));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
children.forEach((child) => child.on('exit', stop));
