// `npm run example`: Latchkey and the partner app side by side, with matching SSO settings, and a demo
// admin so the whole story can be clicked through. Ctrl-C (or SIGTERM) stops both; if either stops on its
// own, the other is stopped too and this exits non-zero.
//
// Settings: PORT (Latchkey, 3000), PARTNER_PORT (4000), DATA_DIR (./.data, shared with `npm start`).
/* global AbortSignal */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = resolve(process.env.DATA_DIR ?? join(root, '.data'));
const latchkeyPort = process.env.PORT ?? '3000';
const partnerPort = process.env.PARTNER_PORT ?? '4000';
const latchkeyUrl = `http://localhost:${latchkeyPort}`;
const partnerUrl = `http://localhost:${partnerPort}`;
const ADMIN_EMAIL = 'admin@latchkey.example';

/** Does anything answer HTTP at this URL? Any status counts: the port is taken either way. */
async function answers(url) {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1500) });
    return true;
  } catch {
    return false;
  }
}

// A second Latchkey on the same port would fail to listen, and on the same DATA_DIR would fight the first
// one over the embedded database. Say so plainly instead of letting that surface as a stack trace.
for (const url of [`${latchkeyUrl}/health`, partnerUrl]) {
  if (await answers(url)) {
    console.error(
      `Something already answers ${url} (a Latchkey left running with \`npm start\`?).\n` +
        'Stop it first, or run the example on other ports: PORT=3001 PARTNER_PORT=4001 npm run example',
    );
    process.exit(1);
  }
}

/** A random value made once and kept in DATA_DIR (0600), so restarts keep the same links and password. */
function keptSecret(name) {
  const file = join(dataDir, name);
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}
mkdirSync(dataDir, { recursive: true });
const ssoSecret = keptSecret('example-sso-secret'); // shared by both sides, never printed
const adminPassword = keptSecret('example-admin-password');

// `detached` puts each child in its own process group, so a Ctrl-C in the terminal reaches only this
// script, which then sends each child exactly one SIGTERM. Otherwise Latchkey would get the terminal's
// SIGINT *and* ours, and it treats a second signal as "exit now", skipping the clean database stop.
function start(name, args, env) {
  const child = spawn(process.execPath, args, {
    cwd: root,
    stdio: 'inherit',
    detached: true,
    env: { ...process.env, ...env },
  });
  child.name = name;
  return child;
}

const children = [
  // Same flag as `npm start`: fast-jwt warns about any custom cache key, and Latchkey's is the whole token.
  start('Latchkey', ['dist/src/main.js'], {
    PORT: latchkeyPort,
    DATA_DIR: dataDir,
    JWT_SSO_SECRET: ssoSecret,
    // The partner's users need no Latchkey account beforehand: the first SSO landing creates it.
    JWT_SSO_AUTO_CREATE_USERS: 'true',
    // Users open the partner as localhost, browser tests as 127.0.0.1: both may embed Latchkey.
    FRAME_ANCESTORS: `http://localhost:${partnerPort},http://127.0.0.1:${partnerPort}`,
    BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
  }),
  start('Partner app', ['examples/partner-app/server.mjs'], {
    PARTNER_PORT: partnerPort,
    LATCHKEY_URL: latchkeyUrl,
    JWT_SSO_SECRET: ssoSecret,
  }),
];

let stopping = false;
let exitCode = 0;
function stopAll() {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  }
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stopAll);
for (const child of children) {
  child.on('exit', (code, signal) => {
    if (!stopping) {
      exitCode = 1;
      console.error(`${child.name} stopped (${signal ?? `exit code ${code}`}); stopping the other one.`);
      stopAll();
    }
    // Leave once both are gone, so Latchkey has time to stop its embedded PostgreSQL cleanly.
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}

// Wait until both answer, then say how to use them. The first start of the embedded PostgreSQL
// (initdb) takes a while, hence the generous limit.
const deadline = Date.now() + 120_000;
while (!stopping && !((await answers(`${latchkeyUrl}/health`)) && (await answers(partnerUrl)))) {
  if (Date.now() > deadline) {
    console.error('Latchkey or the partner app did not answer within 2 minutes; stopping.');
    exitCode = 1;
    stopAll();
    break;
  }
  await delay(300);
}
if (!stopping) {
  console.log(`
  SSO example is running (Ctrl-C stops both)

    Partner app  ${partnerUrl}
                 sign in as demo@partner.example / demo
    Latchkey     ${latchkeyUrl}
                 admin: ${ADMIN_EMAIL} / ${adminPassword}
                 (kept in ${join(dataDir, 'example-admin-password')})
`);
}
