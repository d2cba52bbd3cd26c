// One thread of the hashing pool (hashing-pool.ts): argon2id jobs, one at a time, at a lower CPU priority.
import { hashSync, verifySync } from '@node-rs/argon2';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { ARGON2_PARAMS } from './argon2-params.js';
import type { HashJob, HashResult } from './hashing-pool.js';

// Hashing is the one CPU-heavy thing Latchkey does. Niced, it takes only the CPU that request handling
// leaves over, so a burst of logins or a bulk sync with passwords cannot stretch every other request's
// latency. On Linux a thread's own id (from /proc/thread-self) sets that thread's priority alone. 19 rather
// than 10: bench/README.md, the row "GET /protected p99 while logins saturate the CPU".
const NICENESS = 19;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(tid)) setPriority(tid, NICENESS);
} catch {
  // not Linux, or not permitted: the pool still works at normal priority
}

parentPort?.on('message', (job: HashJob) => {
  let result: HashResult;
  try {
    result =
      job.op === 'hash'
        ? { id: job.id, value: hashSync(job.password, ARGON2_PARAMS) }
        : { id: job.id, value: verifySync(job.hash, job.password) };
  } catch {
    // A malformed stored hash: a verification that fails, never an error that names the input.
    result = { id: job.id, value: job.op === 'verify' ? false : '', failed: job.op === 'hash' };
  }
  parentPort?.postMessage(result);
});
