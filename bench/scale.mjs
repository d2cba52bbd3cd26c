// Horizontal scale on this machine: login and bulk-sync throughput with 1 and with 2 Latchkey instances on
// one database, behind the same round-robin proxy (bench/proxy.mjs) in both runs, so its cost is on both
// sides. With 2 cores shared by everything, a second instance can only help where one instance leaves CPU
// idle; the CPU time of each process (from /proc) during each run says where the cores went.
import { randomBytes } from 'node:crypto';
import { BENCH_TOKEN, createLoginUsers, forkHelper, freePort, startLatchkey, timeEach } from './lib.mjs';
import { LOGIN_USERS, loginLoad, PASSWORD } from './login.mjs';
import { withCpu } from './processes.mjs';
import { int, ratio, row } from './table.mjs';

const SYNC_BATCH = 10_000;
const SYNC_BATCHES = Number(process.env.BENCH_SCALE_SYNC_BATCHES ?? 3); // per client
const SYNC_CLIENTS = 2; // concurrent sync clients, so that a second instance has work to take
const ROUNDS = 2;

export async function scaleScenario({ pg }) {
  const url = await pg.createDatabase('bench_scale');
  const env = { JWT_SECRET: randomBytes(32).toString('hex') };
  // One after the other: the first runs the migrations.
  const first = await startLatchkey(url, env);
  const second = await startLatchkey(url, env).catch(async (error) => {
    await first.stop();
    throw error;
  });
  const instances = [first, second];
  try {
    const emails = await createLoginUsers(first.baseUrl, LOGIN_USERS, PASSWORD);
    // 1, 2, 1, 2 instances: the better run of each kept, so a busy patch of the machine hits both.
    const results = { 1: {}, 2: {} };
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of [1, 2]) {
        const bodies = syncBodies(`${round}-${n}`);
        const run = await behindProxy(instances.slice(0, n), async (baseUrl, proxyPid) => {
          const pids = { latchkey: instances.map((i) => i.pid), pg: pg.pid, extra: { proxy: proxyPid } };
          return {
            login: await withCpu(pids, () => loginLoad(baseUrl, emails)),
            sync: await withCpu(pids, () => syncLoad(baseUrl, bodies)),
          };
        });
        for (const key of ['login', 'sync']) {
          const kept = results[n][key];
          if (!kept || run[key].rps > kept.rps) results[n][key] = run[key];
        }
      }
    }
    const scaleRow = (label, unit, key) => {
      const one = results[1][key];
      const two = results[2][key];
      return row({
        path: `${label}, 2 instances vs 1 (one database, round-robin proxy)`,
        value: `${int(two.rps)} ${unit} (2 instances)`,
        baseline: '1 instance behind the same proxy',
        baselineValue: `${int(one.rps)} ${unit}`,
        ratio: `${ratio(two.rps / one.rps)}×`,
        notes:
          `better of ${ROUNDS} alternated runs each. CPU in cores (of 2) during the kept runs — ` +
          `1 instance: ${one.cpu}; 2 instances: ${two.cpu}`,
      });
    };
    return [
      scaleRow('POST /token', 'logins/s', 'login'),
      scaleRow(
        `bulk sync, ${SYNC_CLIENTS} clients × ${SYNC_BATCHES} × ${int(SYNC_BATCH)} users`,
        'users/s',
        'sync',
      ),
    ];
  } finally {
    await Promise.all(instances.map((i) => i.stop()));
  }
}

/** Runs `fn(proxyUrl, proxyPid)` with a proxy in front of `instances`. */
async function behindProxy(instances, fn) {
  const port = await freePort();
  const proxy = await forkHelper('proxy.mjs', [String(port), ...instances.map((i) => i.baseUrl)], {
    name: 'proxy',
  });
  try {
    return await fn(`http://127.0.0.1:${port}`, proxy.pid);
  } finally {
    await proxy.stop();
  }
}

/** For each of SYNC_CLIENTS clients, SYNC_BATCHES request bodies of new users (prepared before timing). */
function syncBodies(round) {
  return Array.from({ length: SYNC_CLIENTS }, (_, c) =>
    Array.from({ length: SYNC_BATCHES }, (_, b) =>
      JSON.stringify(
        Array.from({ length: SYNC_BATCH }, (_, i) => ({
          email: `scale${round}.${c}.${b}.${i}@corp.example`,
          first_name: `First${i % 997}`,
          last_name: `Last${i % 1009}`,
        })),
      ),
    ),
  );
}

/** The clients send their batches concurrently, each one request at a time. */
async function syncLoad(baseUrl, bodies) {
  const started = process.hrtime.bigint();
  await Promise.all(
    bodies.map((batches) =>
      timeEach(batches.length, async (b) => {
        const res = await fetch(`${baseUrl}/api/users`, {
          method: 'POST',
          headers: { authorization: `Token ${BENCH_TOKEN}`, 'content-type': 'application/json' },
          body: batches[b],
        });
        const body = await res.json();
        if (res.status !== 200 || body.created !== SYNC_BATCH) {
          throw new Error(`sync via proxy → ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
        }
      }),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rps: (SYNC_CLIENTS * SYNC_BATCHES * SYNC_BATCH) / seconds };
}
