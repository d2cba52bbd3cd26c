import { isDatabaseUnavailable } from '../common/error-mapping.js';

export interface WriteBatcherOptions<T> {
  /** Batches sent at once. While they run, new items wait, and the next batch takes all of them. */
  maxInFlight: number;
  maxBatch: number;
  /**
   * Items sharing a key never go in one batch: one statement may not change a row twice (ON CONFLICT DO
   * UPDATE refuses), and two uses of one one-time token must meet in separate statements to be told apart.
   */
  keys(item: T): readonly string[];
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers concurrent one-row writes into one set-based statement (group commit, done in the application).
 * A lone item goes at once, as a batch of one, so an idle server adds no latency; under load each batch
 * takes whatever arrived while the previous ones ran, and one statement, one round trip and one commit
 * then serve many requests (bench: the SSO row).
 *
 * `write(items)` answers one result per item, in order. When a batch fails for a reason that may belong
 * to one item (a constraint, a deadlock), each item is written again alone so that only its own request
 * sees the error; when the database is unavailable, every item of the batch gets that error at once.
 */
export class WriteBatcher<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: WriteBatcherOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.takeBatch();
      this.inFlight++;
      void this.run(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  /** Waiting items, oldest first, up to `maxBatch` and no two sharing a key; the rest keep their places. */
  private takeBatch(): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    const left: Waiting<T, R>[] = [];
    const used = new Set<string>();
    for (const entry of this.waiting) {
      const keys = this.options.keys(entry.item);
      if (batch.length < this.options.maxBatch && !keys.some((key) => used.has(key))) {
        batch.push(entry);
        for (const key of keys) used.add(key);
      } else {
        left.push(entry);
      }
    }
    this.waiting = left;
    return batch;
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((entry) => entry.item));
      batch.forEach((entry, i) => entry.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1 || isDatabaseUnavailable(error)) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      for (const entry of batch) {
        await this.write([entry.item]).then(([result]) => entry.resolve(result), entry.reject);
      }
    }
  }
}
