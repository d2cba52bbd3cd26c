import pg from 'pg';
import { bearer } from './support/actors.js';
import { until } from './support/timing.js';
import { OwnPostgres } from './support/own-postgres.js';
import { type HttpResult, startServer, type TestServer, WRITE_TOKEN } from './support/server.js';

/**
 * The database goes away under load. PostgreSQL (a durable cluster of this file's own) is SIGKILLed
 * while writes, bulk syncs and authenticated reads are in flight, and started again a few seconds later,
 * which runs crash recovery. The server is never restarted. What must hold:
 *
 * - during the outage every request is answered, quickly, with 503 `database_unavailable` and
 *   `Retry-After`, never a 500, a hang, a stack or SQL; the process stays up; /health says 503;
 * - a login and a refresh meet the outage as a 503 too, and spend nothing: the refresh token still
 *   rotates afterwards (there is no grace window here, so a spent one would be refused);
 * - once PostgreSQL is back the service recovers by itself;
 * - no acknowledged write is lost, and a bulk sync is all or nothing even when the crash hits it.
 *
 * Then crash after crash under a heavier write load, so that crashes land between the statements of
 * transactions, where one crash rarely lands: still never a 500, and the data still holds.
 */

// Every request during the outage must answer within this. The pool gives up connecting after its
// connectionTimeoutMillis (3 s, src/database/data-source-options.ts) and /health after 2 s; a request
// waits at most for one such attempt, plus the margin of a loaded 2-core machine. A refused port fails
// at once, so the measured answers are milliseconds: 5 s is a bound on hanging, not a latency target.
const ANSWER_BOUND_MS = 5_000;
// Longer than the LISTEN reconnect interval (2 s) and the pool's connect timeout (3 s), so that the
// server's own reconnect attempts fail at least once while requests keep arriving.
const OUTAGE_MS = 3_500;
// After PostgreSQL is accepting connections again, the service must be back within this.
const RECOVERY_BOUND_MS = 5_000;
// kill() returns once PostgreSQL's processes are gone; the server may take this long to read the EOF.
const CACHE_NOTICE_MS = 100;
const BATCH_SIZE = 200;
const CRASHES = 8;
const PASSWORD = 'through fire and water';

type Kind = 'single' | 'bulk' | 'read';

interface Sample {
  kind: Kind;
  started: number;
  ended: number;
  status: number;
  body?: any;
  text?: string;
  retryAfter?: string | null;
  /** Set when there was no HTTP answer at all (connection refused or reset, or no answer in time). */
  error?: string;
}

/**
 * Concurrent loops of single writes, bulk syncs and Bearer reads, each recording every answer. Emails
 * carry the load's tag, the loop and a counter (`<tag>-single-<loop>-<i>@…`, `<tag>-bulk-<batch>-<j>@…`).
 */
class Load {
  readonly samples: Sample[] = [];
  readonly ackedSingles: string[] = [];
  readonly sentBatches: string[] = [];
  readonly ackedBatches: string[] = [];
  readonly inFlight: Record<Kind, number> = { single: 0, bulk: 0, read: 0 };
  private running = true;
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly t: TestServer,
    private readonly accessToken: string,
    readonly tag: string,
    loops: { singles: number; bulks: number; batchSize: number; reads: number },
  ) {
    this.batchSize = loops.batchSize;
    for (let k = 0; k < loops.singles; k++) this.loops.push(this.singles(k));
    for (let k = 0; k < loops.bulks; k++) this.loops.push(this.bulks(k));
    for (let k = 0; k < loops.reads; k++) this.loops.push(this.reads());
  }

  readonly batchSize: number;

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  count(kind: Kind, status: number, startedAfter = 0): number {
    return this.samples.filter((s) => s.kind === kind && s.status === status && s.started >= startedAfter)
      .length;
  }

  private async singles(loop: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const email = `${this.tag}-single-${loop}-${i}@faults.example`;
      const s = await this.send('single', () =>
        this.t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: { email } }),
      );
      if (s.status === 201 || s.status === 200) this.ackedSingles.push(email);
      await pause();
    }
  }

  private async bulks(loop: number): Promise<void> {
    for (let i = 0; this.running; i++) {
      const batch = `${loop}.${i}`;
      const items = Array.from({ length: this.batchSize }, (_, j) => ({
        email: `${this.tag}-bulk-${batch}-${j}@faults.example`,
        first_name: 'Batch',
        last_name: batch,
      }));
      this.sentBatches.push(batch);
      const s = await this.send('bulk', () =>
        this.t.request('POST', '/api/users', { apiToken: WRITE_TOKEN, body: items }),
      );
      if (s.status === 200) {
        expect(s.body.created).toBe(this.batchSize);
        this.ackedBatches.push(batch);
      }
      await pause();
    }
  }

  private async reads(): Promise<void> {
    while (this.running) {
      await this.send('read', () =>
        this.t.request('GET', '/protected', { headers: { authorization: `Bearer ${this.accessToken}` } }),
      );
      await pause();
    }
  }

  private async send(kind: Kind, call: () => Promise<HttpResult>): Promise<Sample> {
    const started = Date.now();
    this.inFlight[kind]++;
    let sample: Sample;
    try {
      const res = await withDeadline(call(), 3 * ANSWER_BOUND_MS);
      sample = {
        kind,
        started,
        ended: Date.now(),
        status: res.status,
        body: res.body,
        text: res.text,
        retryAfter: res.headers.get('retry-after'),
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      sample = { kind, started, ended: Date.now(), status: 0, error: code ?? (error as Error).message };
    } finally {
      this.inFlight[kind]--;
    }
    this.samples.push(sample);
    return sample;
  }
}

let own: OwnPostgres | undefined;
let t: TestServer | undefined;
let load: Load | undefined;
let databaseUrl: string;

// What the scenario measured, shared by the tests below (they run in order).
const at = { killStarted: 0, killed: 0, restartStarted: 0, dbUp: 0, healthy: 0 };
let refreshToken: string;
let accessToken: string;
let victimToken: string;

function server(): TestServer {
  if (!t) throw new Error('the server did not start');
  return t;
}

beforeAll(async () => {
  own = await OwnPostgres.create();
  databaseUrl = await own.createDatabase();
  // No refresh grace window: a refresh token spent by a request that then failed would be refused at
  // once afterwards, so "the token still rotates" really means "it was not spent".
  t = await startServer({ JWT_REFRESH_REUSE_WINDOW: '0' }, { databaseUrl });
  // The helper's pool on the server's database loses its connections when PostgreSQL dies.
  t.db.on('error', () => undefined);

  for (const email of ['ada@faults.example', 'victim@faults.example']) {
    const res = await t.request('POST', '/api/users', {
      apiToken: WRITE_TOKEN,
      body: { email, password: PASSWORD },
    });
    expect(res.status).toBe(201);
  }
  const session = await login('ada@faults.example');
  expect(session.status).toBe(200);
  accessToken = session.body.access_token;
  refreshToken = session.body.refresh_token;
  const victim = await login('victim@faults.example');
  expect(victim.status).toBe(200);
  victimToken = victim.body.access_token;
  // Cached as active before the crash.
  expect((await t.request('GET', '/protected', { headers: bearer(victimToken) })).status).toBe(200);
});

afterAll(async () => {
  await load?.stop();
  await t?.stop();
  await own?.destroy();
});

function login(username: string) {
  return server().request('POST', '/token', { body: { username, password: PASSWORD } });
}

it('keeps answering while PostgreSQL is SIGKILLed under load: 503 database_unavailable fast, no crash', async () => {
  const t = server();
  load = new Load(t, accessToken, 'one', { singles: 3, bulks: 1, batchSize: BATCH_SIZE, reads: 2 });
  // Under way first: every loop has been answered a few times.
  await until(
    () => load!.count('single', 201) >= 5 && load!.count('bulk', 200) >= 2 && load!.count('read', 200) >= 5,
    15_000,
    'the load never got going',
  );
  // Crash while a bulk sync and single writes are on their way (most likely mid-transaction).
  await until(() => load!.inFlight.bulk > 0 && load!.inFlight.single > 0, 5_000, 'no write in flight', 1);
  const inFlightAtKill = { ...load.inFlight };
  at.killStarted = Date.now();
  await own!.kill();
  at.killed = Date.now();

  // /health, a login and a refresh during the outage (the load goes on beside them).
  const health = await timed(() => t.request('GET', '/health'));
  expect(health.res.status).toBe(503);
  expectUnavailable(health.res.body, health.res.text, health.res.headers.get('retry-after'));
  expect(health.ms).toBeLessThan(ANSWER_BOUND_MS);

  const refreshDuring = await t.request('POST', '/token/refresh', { body: { refresh_token: refreshToken } });
  expect(refreshDuring.status).toBe(503);
  expectUnavailable(refreshDuring.body, refreshDuring.text, refreshDuring.headers.get('retry-after'));

  const loginDuring = await login('ada@faults.example');
  expect(loginDuring.status).toBe(503);
  expectUnavailable(loginDuring.body, loginDuring.text, loginDuring.headers.get('retry-after'));

  await until(() => Date.now() >= at.killed + OUTAGE_MS, OUTAGE_MS + 1_000, 'outage timer');
  expect(t.child?.exitCode).toBeNull();
  expect(t.child?.signalCode).toBeNull();

  const outage = load.samples.filter((s) => s.started >= at.killed);
  for (const kind of ['single', 'bulk', 'read'] as const) {
    expect(outage.filter((s) => s.kind === kind).length).toBeGreaterThan(0);
  }
  // The server learns of the crash when its sockets to PostgreSQL close. In that same instant a read
  // may still be answered from the user-status cache (correctly: the user was active at the last
  // notification); after it, the cache is bypassed and every request needs the database.
  const cachedReads = outage.filter(
    (s) => s.kind === 'read' && s.status === 200 && s.started < at.killed + CACHE_NOTICE_MS,
  );
  for (const s of outage.filter((s) => !cachedReads.includes(s))) {
    expect({ kind: s.kind, status: s.status, error: s.error }).toEqual({
      kind: s.kind,
      status: 503,
      error: undefined,
    });
    expectUnavailable(s.body, s.text, s.retryAfter);
  }
  // Requests under way when PostgreSQL died: answered too, as success (committed in time) or 503.
  const caught = load.samples.filter((s) => s.started < at.killed && s.ended >= at.killStarted);
  // (a 500 shows the server's log line of that request, to see what was not recognised)
  expect(caught.filter((s) => ![200, 201, 503].includes(s.status)).map(withServerLog)).toEqual([]);
  for (const s of caught.filter((s) => s.status === 503)) expectUnavailable(s.body, s.text, s.retryAfter);
  const durations = [...outage, ...caught].map((s) => s.ended - s.started);
  expect(Math.max(...durations)).toBeLessThan(ANSWER_BOUND_MS);
  report.inFlightAtKill = inFlightAtKill;
  report.outageRequests = outage.length;
  report.readsFromCacheAtTheKill = cachedReads.length;
  report.caughtByTheKill = caught.map((s) => `${s.kind}:${s.status}`).join(' ');
  report.outageP50Ms = percentile(durations, 0.5);
  report.outageMaxMs = Math.max(...durations);
  report.healthDuringOutageMs = health.ms;
});

it('recovers by itself once PostgreSQL is back (crash recovery), without a restart of the server', async () => {
  const t = server();
  const pid = t.child?.pid;
  at.restartStarted = Date.now();
  await own!.start();
  at.dbUp = Date.now();

  await until(
    async () => (await t.request('GET', '/health')).status === 200,
    RECOVERY_BOUND_MS,
    '/health did not come back',
  );
  at.healthy = Date.now();
  // Every kind of request works again, and the loops see it too.
  const back = at.healthy;
  await until(
    () =>
      load!.count('single', 201, back) >= 3 &&
      load!.count('bulk', 200, back) >= 1 &&
      load!.count('read', 200, back) >= 3,
    RECOVERY_BOUND_MS,
    'the load did not recover',
  );
  expect((await t.request('GET', '/protected', { headers: bearer(accessToken) })).status).toBe(200);
  expect((await login('ada@faults.example')).status).toBe(200);
  expect(t.child?.pid).toBe(pid);
  expect(t.child?.exitCode).toBeNull();
  expect(own!.logs.join('')).toContain('automatic recovery in progress');
  report.dbRestartMs = at.dbUp - at.restartStarted;
  report.healthyAfterDbUpMs = at.healthy - at.dbUp;
});

it('the refresh token that met the outage was not spent: it still rotates', async () => {
  const t = server();
  const res = await t.request('POST', '/token/refresh', { body: { refresh_token: refreshToken } });
  expect(res.status).toBe(200);
  expect(res.body.refresh_token).not.toBe(refreshToken);
  expect((await t.request('GET', '/protected', { headers: bearer(res.body.access_token) })).status).toBe(200);
});

it('no status cached before the crash outlives it: a user deactivated by plain SQL is refused at once', async () => {
  const t = server();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`UPDATE users SET is_active = false WHERE email = 'victim@faults.example'`);
  } finally {
    await client.end();
  }
  const res = await t.request('GET', '/protected', { headers: bearer(victimToken) });
  expect(res.status).toBe(401);
});

it('lost no acknowledged write, and no bulk sync landed half-way', async () => {
  const t = server();
  await load!.stop();
  const samples = load!.samples;
  // The server answered HTTP throughout: never a refused or reset connection, never a 500.
  expect(samples.filter((s) => ![200, 201, 503].includes(s.status)).map(withServerLog)).toEqual([]);
  // 503 only while the database was away (a request that began before the kill may meet it).
  const late503 = samples.filter((s) => s.status === 503 && s.started >= at.healthy);
  expect(late503).toEqual([]);
  expect(samples.filter((s) => s.status === 503 && s.ended < at.killStarted)).toEqual([]);

  Object.assign(report, await verifyWrites(load!));
  expect(t.child?.exitCode).toBeNull();
  report.requests = samples.length;
});

it(`crash after crash (${CRASHES} SIGKILLs under heavier writes): never a 500 or a dropped connection, data holds`, async () => {
  const t = server();
  const crashes = new Load(t, accessToken, 'many', { singles: 6, bulks: 2, batchSize: 30, reads: 1 });
  load = crashes;
  let since = Date.now();
  for (let c = 0; c < CRASHES; c++) {
    await until(
      () => crashes.count('single', 201, since) >= 2,
      RECOVERY_BOUND_MS,
      `writes before crash ${c}`,
    );
    const killed = Date.now();
    await own!.kill();
    // Waiting for the event, on a CI machine busy with other suites: the bound on each answer's own latency
    // (ANSWER_BOUND_MS) is asserted below for every request of the run.
    await until(
      () => crashes.count('single', 503, killed) >= 2,
      3 * ANSWER_BOUND_MS,
      () => `503s after crash ${c}; since the kill: ${seenSince(crashes, killed)}`,
    );
    await own!.start();
    since = Date.now();
    await until(
      async () => (await t.request('GET', '/health')).status === 200,
      RECOVERY_BOUND_MS,
      `/health after crash ${c}`,
    );
  }
  await until(
    () => crashes.count('bulk', 200, since) >= 1,
    RECOVERY_BOUND_MS,
    'a bulk sync after the last crash',
  );
  await crashes.stop();

  const samples = crashes.samples;
  expect(samples.filter((s) => ![200, 201, 503].includes(s.status)).map(withServerLog)).toEqual([]);
  for (const s of samples.filter((s) => s.status === 503)) expectUnavailable(s.body, s.text, s.retryAfter);
  expect(Math.max(...samples.map((s) => s.ended - s.started))).toBeLessThan(ANSWER_BOUND_MS);
  expect(t.child?.exitCode).toBeNull();
  const verified = await verifyWrites(crashes);
  report.crashes = {
    requests: samples.length,
    unavailable: samples.filter((s) => s.status === 503).length,
    ...verified,
  };
  process.stdout.write(`faults.e2e-spec measurements: ${JSON.stringify(report)}\n`);
});

/**
 * What the database holds after the load: every acknowledged single write; of every bulk sync, all of
 * its rows or none, and all of them when it was acknowledged.
 */
async function verifyWrites(load: Load): Promise<Record<string, unknown>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const acked = load.ackedSingles;
    const { rows: found } = await client.query<{ email: string }>(
      'SELECT email FROM users WHERE email = ANY($1)',
      [acked],
    );
    const present = new Set(found.map((r) => r.email));
    expect(acked.filter((e) => !present.has(e))).toEqual([]);

    const { rows } = await client.query<{ batch: string; n: number }>(
      `SELECT substring(email FROM '^[a-z]+-bulk-([0-9.]+)-') AS batch, count(*)::int AS n
         FROM users WHERE email LIKE $1 GROUP BY 1`,
      [`${load.tag}-bulk-%`],
    );
    const perBatch = new Map(rows.map((r) => [r.batch, r.n]));
    expect([...perBatch].filter(([, n]) => n !== load.batchSize)).toEqual([]);
    expect(load.ackedBatches.filter((b) => perBatch.get(b) !== load.batchSize)).toEqual([]);
    // Rows only of batches that were sent.
    expect([...perBatch.keys()].filter((b) => !load.sentBatches.includes(b))).toEqual([]);

    const { rows: singles } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM users WHERE email LIKE $1`,
      [`${load.tag}-single-%`],
    );
    return {
      acknowledgedSingles: acked.length,
      singlesNotAcknowledgedButPresent: singles[0].n - acked.length,
      batches: `${load.sentBatches.length} sent, ${load.ackedBatches.length} acknowledged, ${perBatch.size} present`,
    };
  } finally {
    await client.end();
  }
}

const report: Record<string, unknown> = {};

/** A 503 as the contract has it: the coded JSON, Retry-After, and nothing from inside the server. */
function expectUnavailable(body: any, text: string | undefined, retryAfter: string | null | undefined): void {
  expect(body).toEqual({
    statusCode: 503,
    error: 'Service Unavailable',
    code: 'database_unavailable',
    message: expect.any(String),
  });
  expect(Number(retryAfter)).toBeGreaterThan(0);
  expect(text).not.toMatch(
    /\n\s+at |ECONN|SELECT|INSERT|UPDATE|terminated|postgres|QueryFailed|127\.0\.0\.1|Error:/,
  );
}

/** A sample with the server's log lines about its request, for a failure message. */
function withServerLog(s: Sample): Sample & { log?: string[] } {
  const id: unknown = s.body?.request_id;
  return typeof id === 'string' ? { ...s, log: server().logs.filter((l) => l.includes(id)) } : s;
}

/** What a load's answers since `since` were, and what is still in flight: for failure messages. */
function seenSince(load: Load, since: number): string {
  const later = load.samples.filter((s) => s.ended >= since);
  const answers = [...later.slice(0, 20), ...later.slice(20).slice(-5)].map((s) => ({
    kind: s.kind,
    status: s.status,
    started: s.started - since,
    ms: s.ended - s.started,
    error: s.error,
    code: s.body?.code,
    log: withServerLog(s).log,
  }));
  return JSON.stringify({
    answers,
    answered: later.length,
    inFlight: load.inFlight,
    serverExit: server().child?.exitCode,
    serverLog: server().logs.slice(-60),
  });
}

async function timed<T>(call: () => Promise<T>): Promise<{ res: T; ms: number }> {
  const started = Date.now();
  const res = await call();
  return { res, ms: Date.now() - started };
}

/** A short breath between a loop's requests, so that six loops are load, not a busy-wait. */
function pause(): Promise<void> {
  return new Promise((r) => setTimeout(r, 10));
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
