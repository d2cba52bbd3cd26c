import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export type HashRequest = { op: 'hash'; password: string } | { op: 'verify'; hash: string; password: string };

export type HashJob = HashRequest & { id: number };

export interface HashResult {
  id: number;
  value: string | boolean;
  failed?: boolean;
}

interface Pending {
  job: HashJob;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

// A worker idle this long is retired: an idle server then holds no hashing threads (each is a V8 isolate
// of ~15 MB), and a burst of logins pays once to start them again.
const IDLE_MS = 10_000;

/**
 * argon2id on worker threads of our own, up to one per core, rather than on libuv's shared thread pool:
 * there a bulk sync's hundreds of hashes queued ahead of PostgreSQL's connection handshakes (SCRAM runs
 * PBKDF2 on that pool) until new connections timed out. The workers also run at a lower priority
 * (hashing-worker.ts). Jobs wait in one queue; a free worker takes the next, a new one starts while
 * there are fewer than the cores, and idle ones are retired.
 */
@Injectable()
export class HashingPool implements OnModuleDestroy {
  private readonly size = availableParallelism();
  private readonly idle = new Map<Worker, NodeJS.Timeout>();
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;
  private closed = false;

  run(request: HashRequest): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...request, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    for (const timer of this.idle.values()) clearTimeout(timer);
    const workers = [...this.idle.keys(), ...this.busy.keys()];
    this.idle.clear();
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./hashing-worker.js', import.meta.url));
    // Idle workers must not keep a finished CLI command (or a stopping server) alive.
    worker.unref();
    worker.on('message', (result: HashResult) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.rest(worker);
      if (pending) {
        if (result.failed) pending.reject(new Error('argon2 hashing failed'));
        else pending.resolve(result.value);
      }
      this.dispatch();
    });
    // A worker that dies takes its job with it (rejected); the next job starts a new one.
    worker.on('error', (error) => {
      this.busy.get(worker)?.reject(error);
      this.busy.delete(worker);
      clearTimeout(this.idle.get(worker));
      this.idle.delete(worker);
      this.dispatch();
    });
    return worker;
  }

  private rest(worker: Worker): void {
    const timer = setTimeout(() => {
      if (this.idle.delete(worker)) void worker.terminate();
    }, IDLE_MS);
    timer.unref();
    this.idle.set(worker, timer);
  }

  private dispatch(): void {
    while (this.queue.length > 0 && !this.closed) {
      let worker: Worker | undefined = [...this.idle.keys()].pop();
      if (worker) {
        clearTimeout(this.idle.get(worker));
        this.idle.delete(worker);
      } else if (this.busy.size < this.size) {
        worker = this.spawn();
      } else {
        return;
      }
      const pending = this.queue.shift();
      if (!pending) return;
      this.busy.set(worker, pending);
      worker.postMessage(pending.job);
    }
  }
}
