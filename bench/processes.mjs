// Every process the bench starts, by PID, so that each one is stopped however the run ends (success,
// a thrown error, Ctrl-C), plus readers of /proc for the memory and CPU time of those processes.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** pid → { name, signal }: what it is (for messages) and the signal that stops it cleanly. */
const tracked = new Map();

/**
 * Remembers a PID to stop at the end, for processes not spawned here too. PostgreSQL takes SIGINT (fast
 * shutdown: it disconnects its clients); SIGTERM would wait for every client to leave first.
 */
export function track(pid, name, stopSignal = 'SIGTERM') {
  if (Number.isInteger(pid) && pid > 0) tracked.set(pid, { name, signal: stopSignal });
}

export function untrack(pid) {
  tracked.delete(pid);
}

/** `spawn`, with the child tracked until it exits. */
export function spawnTracked(command, args, options, name = command) {
  const child = spawn(command, args, options);
  track(child.pid, name);
  child.once('exit', () => untrack(child.pid));
  return child;
}

/** Its stop signal, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopPid(pid, graceMs = 15_000) {
  if (!alive(pid)) return untrack(pid);
  signal(pid, tracked.get(pid)?.signal ?? 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await delay(50);
  if (alive(pid)) {
    process.stderr.write(`bench: ${tracked.get(pid)?.name ?? pid} did not stop; killing it\n`);
    signal(pid, 'SIGKILL');
    while (alive(pid)) await delay(50);
  }
  untrack(pid);
}

/** Stops a child started with spawnTracked and waits for its 'exit' (so its stdio is flushed too). */
export async function stopChild(child, graceMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await stopPid(child.pid, graceMs);
  await exited;
}

/**
 * Synchronous, for signal and exit handlers, where nothing can be awaited: its stop signal to every
 * process still tracked. Servers stop their own children (Latchkey its embedded PostgreSQL) on SIGTERM.
 */
export function terminateAllNow() {
  for (const [pid, { signal: name }] of tracked) signal(pid, name);
}

export function trackedCount() {
  return tracked.size;
}

/** Temp folders (data directories) to remove however the run ends. */
const dirs = new Set();

export function trackDir(dir) {
  dirs.add(dir);
}

export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

/** For the exit handler: whatever temp folder is still there. */
export function removeTrackedDirsNow() {
  for (const dir of dirs) removeDir(dir);
}

/** The async version for the normal end of a run: stop each remaining process and wait for it. */
export async function stopAll() {
  await Promise.all([...tracked.keys()].map((pid) => stopPid(pid)));
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its parent) still answers signal 0.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

/** The postmaster's PID from a cluster's data directory (its first line of postmaster.pid). */
export function postmasterPid(pgDataDir) {
  const file = join(pgDataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Resident set size in MB (VmRSS: what `top` shows for one process). */
export function rssMb(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return line ? Number(line[1]) / 1024 : NaN;
}

/**
 * Proportional set size in MB: shared pages divided among the processes sharing them, so the PSS of
 * PostgreSQL's processes adds up to its real footprint (their RSS would count shared_buffers once each).
 */
export function pssMb(pid) {
  try {
    const line = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(/^Pss:\s+(\d+) kB/m);
    return line ? Number(line[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

export function childPids(pid) {
  const children = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (statFields(Number(entry))[1] === pid) children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

/** A process tree's total PSS in MB (PostgreSQL: the postmaster and its backends and workers). */
export function treePssMb(pid) {
  return [pid, ...childPids(pid)].reduce((sum, p) => sum + pssMb(p), 0);
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux build that matters (getconf CLK_TCK)

/**
 * CPU seconds used by a process (all its threads). With `withChildren`, also its live children's and the
 * time of children it has already reaped (cutime/cstime), so a difference of two readings covers
 * PostgreSQL backends that came and went between them.
 */
export function cpuSeconds(pid, { withChildren = false } = {}) {
  try {
    const f = statFields(pid);
    let ticks = f[11] + f[12];
    if (withChildren) {
      ticks += f[13] + f[14];
      for (const child of childPids(pid)) {
        try {
          const c = statFields(child);
          ticks += c[11] + c[12];
        } catch {
          // exited meanwhile: its time is in our cutime from now on
        }
      }
    }
    return ticks / TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds used so far by a whole process tree: every live process's own time plus what it has
 * reaped of its children (cutime/cstime), so children that came and went are counted too.
 */
export function treeCpuSeconds(pid) {
  let ticks = 0;
  const visit = (p) => {
    try {
      const f = statFields(p);
      ticks += f[11] + f[12] + f[13] + f[14];
    } catch {
      return; // exited meanwhile
    }
    for (const child of childPids(p)) visit(child);
  };
  visit(pid);
  return ticks / TICKS_PER_SECOND;
}

/** CPU seconds the whole machine has been busy (all cores), from the first line of /proc/stat. */
export function machineBusySeconds() {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n')[0]
    .trim()
    .split(/\s+/)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

/**
 * What the rest of the machine did while `fn` ran: CPU cores used on average by processes outside this
 * process's tree. Other work on a shared machine shows up here instead of silently in the numbers.
 */
export async function withOthersCpu(fn) {
  const read = () => ({
    busy: machineBusySeconds(),
    ours: treeCpuSeconds(process.pid),
    wall: Number(process.hrtime.bigint()) / 1e9,
  });
  const before = read();
  const result = await fn();
  const after = read();
  const others = (after.busy - before.busy - (after.ours - before.ours)) / (after.wall - before.wall);
  return { result, othersCores: Math.max(0, others) };
}

/** CPU seconds of a process's main thread (its event loop, for Node) and of all its other threads. */
export function threadCpuSeconds(pid) {
  let main = 0;
  let rest = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const f = statFields(`${pid}/task/${tid}`);
      if (Number(tid) === pid) main += f[11] + f[12];
      else rest += f[11] + f[12];
    } catch {
      // thread ended meanwhile; its time stays in the process total
    }
  }
  return { main: main / TICKS_PER_SECOND, rest: rest / TICKS_PER_SECOND };
}

/**
 * Runs `fn` and adds `cpu` to its result: the cores (CPU seconds / wall seconds) used meanwhile by each
 * Latchkey instance (event loop and other threads — argon2 workers, GC, libuv — apart), PostgreSQL (the
 * postmaster and every backend), `extra` named processes, this process (the load generator: autocannon
 * or the SQL loops), and everything else on the machine. That says where the cores went.
 */
export async function withCpu({ latchkey = [], pg, extra = {} }, fn) {
  const read = () => ({
    latchkey: latchkey.map((pid) => safe(() => threadCpuSeconds(pid), { main: NaN, rest: NaN })),
    pg: pg ? cpuSeconds(pg, { withChildren: true }) : 0,
    extra: Object.values(extra).map((pid) => cpuSeconds(pid)),
    load: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
    others: machineBusySeconds() - treeCpuSeconds(process.pid),
    wall: Number(process.hrtime.bigint()) / 1e9,
  });
  const before = read();
  const result = await fn();
  const after = read();
  const wall = after.wall - before.wall;
  const cores = (a, b) => Math.max(0, (a - b) / wall).toFixed(2);
  const name = (i) => (latchkey.length > 1 ? `Latchkey ${i + 1}` : 'Latchkey');
  const parts = [
    ...latchkey.map(
      (_, i) =>
        `${name(i)} event loop ${cores(after.latchkey[i].main, before.latchkey[i].main)} + ` +
        `other threads ${cores(after.latchkey[i].rest, before.latchkey[i].rest)}`,
    ),
    ...(pg ? [`PostgreSQL ${cores(after.pg, before.pg)}`] : []),
    ...Object.keys(extra).map((label, i) => `${label} ${cores(after.extra[i], before.extra[i])}`),
    `load generator ${cores(after.load, before.load)}`,
    `rest of machine ${cores(after.others, before.others)}`,
  ];
  return Object.assign(result, { cpu: parts.join(', ') });
}

function safe(fn, fallback) {
  try {
    return fn();
  } catch {
    return fallback;
  }
}

/** /proc/<pid>/stat after the command name, as numbers: [state, ppid, …]; index 11 = utime (field 14). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map((v, i) => (i === 0 ? v : Number(v)));
}
