import { WriteBatcher } from './write-batcher.js';

interface Call {
  items: string[];
  finish(outcome?: Error): void;
}

/** A batcher over a write whose calls stay open until the test finishes them. */
function harness(options: {
  maxInFlight?: number;
  maxBatch?: number;
  failAlone?: (item: string) => boolean;
}) {
  const calls: Call[] = [];
  const batcher = new WriteBatcher<string, string>(
    (items) =>
      new Promise((resolve, reject) => {
        calls.push({
          items,
          finish: (error) => {
            const failing = items.length === 1 && options.failAlone?.(items[0]);
            if (error) reject(error);
            else if (failing) reject(new Error(`constraint on ${items[0]}`));
            else resolve(items.map((item) => `done:${item}`));
          },
        });
      }),
    {
      maxInFlight: options.maxInFlight ?? 1,
      maxBatch: options.maxBatch ?? 10,
      // An item's keys: its name before the '#', so 'a#1' and 'a#2' share one.
      keys: (item) => [item.split('#')[0]],
    },
  );
  return { calls, batcher };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('WriteBatcher', () => {
  it('sends a lone item at once, as a batch of one', async () => {
    const { calls, batcher } = harness({});
    const result = batcher.submit('a');
    expect(calls.map((c) => c.items)).toEqual([['a']]);
    calls[0].finish();
    await expect(result).resolves.toBe('done:a');
  });

  it('gathers what arrives while the batches in flight run into the next batch, in arrival order', async () => {
    const { calls, batcher } = harness({ maxInFlight: 2 });
    const results = ['a', 'b', 'c', 'd', 'e'].map((item) => batcher.submit(item));
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b']]);
    calls[1].finish();
    await settled();
    expect(calls.map((c) => c.items)).toEqual([['a'], ['b'], ['c', 'd', 'e']]);
    calls[0].finish();
    calls[2].finish();
    await expect(Promise.all(results)).resolves.toEqual(['done:a', 'done:b', 'done:c', 'done:d', 'done:e']);
  });

  it('never puts two items sharing a key in one batch; the later one waits for a later batch', async () => {
    const { calls, batcher } = harness({});
    const results = ['x', 'a#1', 'b', 'a#2', 'c'].map((item) => batcher.submit(item));
    calls[0].finish();
    await settled();
    expect(calls[1].items).toEqual(['a#1', 'b', 'c']);
    calls[1].finish();
    await settled();
    expect(calls[2].items).toEqual(['a#2']);
    calls[2].finish();
    await expect(Promise.all(results)).resolves.toHaveLength(5);
  });

  it('takes at most maxBatch items into one batch', async () => {
    const { calls, batcher } = harness({ maxBatch: 2 });
    const results = ['x', 'a', 'b', 'c'].map((item) => batcher.submit(item));
    calls[0].finish();
    await settled();
    expect(calls[1].items).toEqual(['a', 'b']);
    calls[1].finish();
    await settled();
    expect(calls[2].items).toEqual(['c']);
    calls[2].finish();
    await expect(Promise.all(results)).resolves.toHaveLength(4);
  });

  it('after a failed batch, writes each item alone so that only the failing item’s caller sees the error', async () => {
    const { calls, batcher } = harness({ failAlone: (item) => item === 'bad' });
    const first = batcher.submit('x');
    const results = ['a', 'bad', 'c'].map((item) => batcher.submit(item).catch((e: Error) => e.message));
    calls[0].finish();
    await settled();
    calls[1].finish(new Error('unique violation somewhere in the batch'));
    for (let i = 2; i < 5; i++) {
      await settled();
      calls[i].finish();
    }
    expect(calls.slice(2).map((c) => c.items)).toEqual([['a'], ['bad'], ['c']]);
    await expect(first).resolves.toBe('done:x');
    await expect(Promise.all(results)).resolves.toEqual(['done:a', 'constraint on bad', 'done:c']);
  });

  it('when the database is unavailable, every item of the batch gets that error and nothing is retried', async () => {
    const { calls, batcher } = harness({});
    const first = batcher.submit('x');
    const results = ['a', 'b'].map((item) => batcher.submit(item).catch((e: Error) => e.message));
    calls[0].finish();
    await settled();
    calls[1].finish(new Error('Connection terminated unexpectedly'));
    await expect(Promise.all(results)).resolves.toEqual([
      'Connection terminated unexpectedly',
      'Connection terminated unexpectedly',
    ]);
    await first;
    expect(calls).toHaveLength(2);
  });
});
