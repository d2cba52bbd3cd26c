// POST /token with the right password, against the raw argon2id verification rate of this machine (same
// parameters, worker threads on every core, a separate process): a password login cannot be faster than
// its hash check, so the ratio says how much the rest (HTTP, throttle rows, user lookup, token, refresh
// session) costs on top of it.
import {
  alternate,
  createLoginUsers,
  forkHelper,
  higherRps,
  load,
  loginRequests,
  SECONDS,
  startLatchkey,
} from './lib.mjs';
import { withCpu } from './processes.mjs';
import { int, rate, ratio, row } from './table.mjs';
import { ARGON2_PARAMS } from '../dist/src/auth/passwords/argon2-params.js';

// Enough to keep both hashing threads busy while the next requests wait their turn in Latchkey's queue.
export const LOGIN_CONNECTIONS = 8;
// Distinct accounts, taken in turn: none ever has more than one attempt in flight (the limit is 5).
export const LOGIN_USERS = 64;
export const PASSWORD = 'correct horse battery staple';

export async function loginScenario({ pg }) {
  const url = await pg.createDatabase('bench_login');
  const server = await startLatchkey(url);
  try {
    const emails = await createLoginUsers(server.baseUrl, LOGIN_USERS, PASSWORD);
    const { a: latchkey, b: raw } = await alternate(
      2,
      () => withCpu({ latchkey: [server.pid], pg: pg.pid }, () => loginLoad(server.baseUrl, emails)),
      () => argon2Rate(SECONDS),
      higherRps,
    );
    const r = latchkey.rps / raw.rps;
    return [
      row({
        path: 'POST /token (right password)',
        value: rate(latchkey, 'logins/s'),
        baseline: 'raw argon2id verifySync, one worker thread per core, separate process',
        baselineValue: `${int(raw.rps)} verifies/s (${raw.threads} threads)`,
        ratio: ratio(r),
        target: { op: '≥', value: 0.95, actual: r },
        notes:
          `${LOGIN_CONNECTIONS} connections over ${LOGIN_USERS} accounts in turn; argon2id ${params()} on both ` +
          `sides; better of 2 alternated runs of each side. CPU in cores (of 2) during the kept Latchkey run: ` +
          `${latchkey.cpu}; the baseline has both cores to itself`,
      }),
    ];
  } finally {
    await server.stop();
  }
}

export function loginLoad(baseUrl, emails, options = {}) {
  return load({
    url: baseUrl,
    requests: loginRequests(emails, PASSWORD),
    connections: LOGIN_CONNECTIONS,
    label: `POST ${baseUrl}/token`,
    ...options,
  });
}

const params = () => {
  const { memoryCost: m, timeCost: t, parallelism: p } = ARGON2_PARAMS;
  return `m=${m} t=${t} p=${p}`;
};

/** verifies/s of bench/baselines/argon2-verify.mjs over `seconds`. */
export async function argon2Rate(seconds) {
  const helper = await forkHelper('baselines/argon2-verify.mjs', [], { name: 'argon2 baseline' });
  try {
    const answer = new Promise((resolve) => helper.child.once('message', resolve));
    helper.child.send({ seconds });
    const { verifies, seconds: elapsed, threads } = await answer;
    return { rps: verifies / elapsed, threads };
  } finally {
    await helper.stop();
  }
}
