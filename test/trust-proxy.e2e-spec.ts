import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from './support/server.js';

/**
 * TRUST_PROXY over HTTP: which X-Forwarded-For entry is the client address, seen through the login
 * throttle's per-address counter (login_throttle rows keyed `address:<ip>`). The test client is the
 * "proxy" (the socket's peer, 127.0.0.1); each proxy appends the address it received the request from,
 * so the right-most entries are facts and the left-most one is whatever the client wrote.
 */

const FORGED = '1.2.3.4';
const REAL = '198.51.100.7';

let one: TestServer; // TRUST_PROXY=true: one proxy in front
let two: TestServer; // TRUST_PROXY=2
let listed: TestServer; // TRUST_PROXY=127.0.0.1, 10.0.0.0/8

beforeAll(async () => {
  [one, two, listed] = await Promise.all([
    startServer({ TRUST_PROXY: 'true' }),
    startServer({ TRUST_PROXY: '2' }),
    startServer({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }),
  ]);
});

afterAll(async () => {
  await Promise.all([one, two, listed].map((s) => s?.stop()));
});

function failedLogin(server: TestServer, xff: string, username = `${randomUUID()}@proxy.example`) {
  return server.request('POST', '/token', {
    body: { username, password: 'not the password' },
    headers: { 'x-forwarded-for': xff },
  });
}

/** The client addresses the throttle counted, with their counts. */
async function addressCounts(server: TestServer): Promise<Record<string, number>> {
  const { rows } = await server.db.query<{ key: string; failures: number }>(
    `SELECT key, failures FROM login_throttle WHERE key LIKE 'address:%' ORDER BY key`,
  );
  return Object.fromEntries(rows.map((r) => [r.key, r.failures]));
}

it('TRUST_PROXY=true takes the address the one proxy saw, not the forged left-most entry', async () => {
  const res = await failedLogin(one, `${FORGED}, ${REAL}`);
  expect(res.status).toBe(401);
  expect(res.body.code).toBe('invalid_credentials');
  const counted = await addressCounts(one);
  expect(counted[`address:${REAL}`]).toBe(1);
  expect(counted[`address:${FORGED}`]).toBeUndefined();
});

it('TRUST_PROXY=true: forging a new left-most entry each time does not dodge the per-address limit', async () => {
  const client = '198.51.100.8';
  const statuses: number[] = [];
  // 50 failures per address are allowed (a new account name each time, so no account limit is reached)
  for (let i = 0; i < 51; i++) {
    statuses.push((await failedLogin(one, `203.0.113.${i}, ${client}`)).status);
  }
  expect(statuses).toEqual([...Array(50).fill(401), 429]);
  const limited = await failedLogin(one, `192.0.2.99, ${client}`);
  expect(limited.status).toBe(429);
  expect(limited.body.code).toBe('rate_limited');
  expect(limited.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  const counted = await addressCounts(one);
  expect(counted[`address:${client}`]).toBe(52);
  expect(Object.keys(counted).filter((key) => /203\.0\.113|192\.0\.2/.test(key))).toEqual([]);
});

it('TRUST_PROXY=2 takes the address the outer of two proxies saw', async () => {
  const res = await failedLogin(two, `${FORGED}, ${REAL}, 10.0.0.2`);
  expect(res.status).toBe(401);
  expect(await addressCounts(two)).toEqual({ [`address:${REAL}`]: 1 });
});

it('a list of proxies keeps proxy-addr’s rule: the right-most address that is not a listed proxy', async () => {
  expect((await failedLogin(listed, `${FORGED}, ${REAL}, 10.1.2.3`)).status).toBe(401);
  // through one listed proxy or two alike
  expect((await failedLogin(listed, `${FORGED}, ${REAL}`)).status).toBe(401);
  expect(await addressCounts(listed)).toEqual({ [`address:${REAL}`]: 2 });
});
