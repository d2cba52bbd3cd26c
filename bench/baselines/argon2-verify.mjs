// Raw argon2id verifications per second on this machine: verifySync from @node-rs/argon2 (the library
// Latchkey uses) with Latchkey's own parameters (read from the build, so they cannot drift), one worker
// thread per core, in a process of its own so that it gets the same cores Latchkey would. It answers
// `ready` over IPC, then each { seconds } message with { verifies, seconds }.
import { hashSync, verifySync } from '@node-rs/argon2';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { ARGON2_PARAMS } from '../../dist/src/auth/passwords/argon2-params.js';

const PASSWORD = 'correct horse battery staple';

if (isMainThread) {
  const hash = hashSync(PASSWORD, ARGON2_PARAMS);
  process.on('message', async ({ seconds }) => {
    const deadline = Date.now() + seconds * 1000;
    const started = process.hrtime.bigint();
    const counts = await Promise.all(
      Array.from(
        { length: availableParallelism() },
        () =>
          new Promise((resolve, reject) => {
            const worker = new Worker(new URL(import.meta.url), { workerData: { hash, deadline } });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    process.send({ verifies: counts.reduce((a, b) => a + b, 0), seconds: elapsed, threads: counts.length });
  });
  process.send('ready');
} else {
  // Verify until the deadline; a verification started before it counts, as a request in flight would.
  let verifies = 0;
  while (Date.now() < workerData.deadline) {
    if (!verifySync(workerData.hash, PASSWORD)) throw new Error('verification failed');
    verifies++;
  }
  parentPort.postMessage(verifies);
}
