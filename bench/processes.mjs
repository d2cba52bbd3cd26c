// Every process the bench starts, by PID, so that each one is stopped however the run ends (success,
// a thrown error, Ctrl-C), plus readers of /proc for the memory and CPU time of those processes.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** pid → what it is, for the messages of a forced stop. */
const tracked = new Map();

/** Remembers a PID to stop at the end, for processes not spawned here (the embedded PostgreSQL). */
export function track(pid, name) {
  if (Number.isInteger(pid) && pid > 0) tracked.set(pid, name);
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

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopPid(pid, graceMs = 15_000) {
  if (!alive(pid)) return untrack(pid);
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive(pid)) {
    process.stderr.write(`bench: ${tracked.get(pid) ?? pid} ignored SIGTERM; killing it\n`);
    signal(pid, 'SIGKILL');
    while (alive(pid)) await new Promise((r) => setTimeout(r, 50));
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
 * Synchronous, for signal and exit handlers, where nothing can be awaited: SIGTERM to every process
 * still tracked. Servers stop their own children (Latchkey its embedded PostgreSQL) on SIGTERM.
 */
export function terminateAllNow() {
  for (const pid of tracked.keys()) signal(pid, 'SIGTERM');
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

/** /proc/<pid>/stat after the command name, as numbers: [state, ppid, …]; index 11 = utime (field 14). */
function statFields(pid) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map((v, i) => (i === 0 ? v : Number(v)));
}
