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

/**
 * argon2id on worker threads of our own, one per core, rather than on libuv's shared thread pool: there a
 * bulk sync's hundreds of hashes queued ahead of PostgreSQL's connection handshakes (SCRAM runs PBKDF2 on
 * that pool) until new connections timed out. The workers also run at a lower priority (hashing-worker.ts).
 * Jobs wait in one queue; each worker takes the next as soon as it is free.
 */
@Injectable()
export class HashingPool implements OnModuleDestroy {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private nextId = 0;

  constructor() {
    for (let i = 0; i < availableParallelism(); i++) this.idle.push(this.spawn());
  }

  run(request: HashRequest): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { ...request, id: this.nextId++ }, resolve, reject });
      this.dispatch();
    });
  }

  async onModuleDestroy(): Promise<void> {
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(new URL('./hashing-worker.js', import.meta.url));
    // Idle workers must not keep a finished CLI command (or a stopping server) alive.
    worker.unref();
    worker.on('message', (result: HashResult) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (pending) {
        if (result.failed) pending.reject(new Error('argon2 hashing failed'));
        else pending.resolve(result.value);
      }
      this.dispatch();
    });
    worker.on('error', (error) => this.replace(worker, error));
    return worker;
  }

  /** A worker that died takes its job with it (rejected) and is replaced, so the pool keeps its size. */
  private replace(worker: Worker, error: Error): void {
    this.busy.get(worker)?.reject(error);
    this.busy.delete(worker);
    const index = this.idle.indexOf(worker);
    if (index >= 0) this.idle.splice(index, 1);
    this.idle.push(this.spawn());
    this.dispatch();
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop();
      const pending = this.queue.shift();
      if (!worker || !pending) return;
      this.busy.set(worker, pending);
      worker.postMessage(pending.job);
    }
  }
}
