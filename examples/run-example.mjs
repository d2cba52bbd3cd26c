// `npm run example`: Latchkey, the partner app (SSO) and the OIDC app (OpenID Connect) side by side, with
// matching settings, and a demo admin so the whole story can be clicked through: the partner's user lands
// on Latchkey without a password, and the OIDC app then signs them in without one either. Once Latchkey
// answers, the admin registers the OIDC app as a client (POST /api/clients; kept in DATA_DIR and reused).
// Ctrl-C (or SIGTERM) stops all three; if one stops on its own, the others are stopped too and this exits
// non-zero.
//
// Settings: PORT (Latchkey, 3000), PARTNER_PORT (4000), APP_PORT (the OIDC app, 5000), DATA_DIR (./.data,
// shared with `npm start`).
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
const oidcAppPort = process.env.APP_PORT ?? '5000';
const latchkeyUrl = `http://localhost:${latchkeyPort}`;
const partnerUrl = `http://localhost:${partnerPort}`;
const oidcAppUrl = `http://localhost:${oidcAppPort}`;
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
for (const url of [`${latchkeyUrl}/health`, partnerUrl, oidcAppUrl]) {
  if (await answers(url)) {
    console.error(
      `Something already answers ${url} (a Latchkey left running with \`npm start\`?).\n` +
        'Stop it first, or run the example on other ports: PORT=3001 PARTNER_PORT=4001 APP_PORT=5001 npm run example',
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
function fail(message) {
  console.error(message);
  exitCode = 1;
  stopAll();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, stopAll);
function watch(child) {
  child.on('exit', (code, signal) => {
    if (!stopping) fail(`${child.name} stopped (${signal ?? `exit code ${code}`}); stopping the others.`);
    // Leave once all are gone, so Latchkey has time to stop its embedded PostgreSQL cleanly.
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}
children.forEach(watch);

/** Waits until every URL answers; the first start of the embedded PostgreSQL (initdb) takes a while. */
async function waitFor(urls, what) {
  const deadline = Date.now() + 120_000;
  while (!stopping) {
    const all = await Promise.all(urls.map(answers));
    if (all.every(Boolean)) return true;
    if (Date.now() > deadline) {
      fail(`${what} did not answer within 2 minutes; stopping.`);
      return false;
    }
    await delay(300);
  }
  return false;
}

/** One JSON request to Latchkey. */
async function latchkey(method, path, { token, body } = {}) {
  const headers = { ...(token ? { authorization: `Bearer ${token}` } : {}) };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${latchkeyUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.json().catch(() => undefined) };
}

/**
 * The OIDC app as a client of Latchkey, registered by the demo admin: a confidential, first-party client
 * (no consent page) whose redirect URI is the app's /callback. Its id and secret (shown once) are kept in
 * DATA_DIR, so later runs reuse the client, updated to this run's port, instead of adding another.
 */
async function registerOidcApp() {
  const file = join(dataDir, 'example-oidc-client.json');
  const signedIn = await latchkey('POST', '/token', {
    body: { username: ADMIN_EMAIL, password: adminPassword },
  });
  if (signedIn.status !== 200) {
    throw new Error(`signing in as ${ADMIN_EMAIL} failed (${signedIn.status} ${signedIn.body?.error ?? ''})`);
  }
  const token = signedIn.body.access_token;
  const settings = { redirect_uris: [`${oidcAppUrl}/callback`], first_party: true };
  try {
    if (existsSync(file)) {
      const kept = JSON.parse(readFileSync(file, 'utf8'));
      const id = encodeURIComponent(kept.client_id);
      const updated = await latchkey('PATCH', `/api/clients/${id}`, { token, body: settings });
      if (updated.status === 200) return kept;
      if (updated.status !== 404) throw new Error(`updating client ${kept.client_id}: ${updated.status}`);
    }
    const created = await latchkey('POST', '/api/clients', {
      token,
      body: { name: 'OIDC app (example)', type: 'confidential', ...settings },
    });
    if (created.status !== 201) {
      throw new Error(`registering the client: ${created.status} ${JSON.stringify(created.body)}`);
    }
    const kept = { client_id: created.body.client_id, client_secret: created.body.client_secret };
    writeFileSync(file, JSON.stringify(kept), { mode: 0o600 });
    return kept;
  } finally {
    // The admin's session was only for this: end it.
    await latchkey('POST', '/logout', { body: { refresh_token: signedIn.body.refresh_token } }).catch(
      () => undefined,
    );
  }
}

/** Registers the OIDC app and starts it, with the issuer as Latchkey's discovery names it. */
async function startOidcApp() {
  const discovery = await latchkey('GET', '/.well-known/openid-configuration');
  if (discovery.status !== 200) {
    throw new Error("Latchkey's OpenID Provider is off (no /.well-known/openid-configuration)");
  }
  const { client_id, client_secret } = await registerOidcApp();
  if (stopping) return;
  const child = start('OIDC app', ['examples/oidc-app/server.mjs'], {
    APP_PORT: oidcAppPort,
    APP_URL: oidcAppUrl,
    LATCHKEY_URL: discovery.body.issuer,
    CLIENT_ID: client_id,
    CLIENT_SECRET: client_secret,
  });
  children.push(child);
  watch(child);
}

if (await waitFor([`${latchkeyUrl}/health`, partnerUrl], 'Latchkey or the partner app')) {
  await startOidcApp().catch((error) => fail(`Could not start the OIDC app: ${error.message}; stopping.`));
}
if ((await waitFor([oidcAppUrl], 'The OIDC app')) && !stopping) {
  console.log(`
  SSO and OIDC example is running (Ctrl-C stops all three)

    Partner app  ${partnerUrl}
                 sign in as demo@partner.example / demo, then "Open Latchkey in this window"
    OIDC app     ${oidcAppUrl}
                 "Sign in with Latchkey": no password asked once Latchkey knows you
    Latchkey     ${latchkeyUrl}
                 admin: ${ADMIN_EMAIL} / ${adminPassword}
                 (kept in ${join(dataDir, 'example-admin-password')})
`);
}
