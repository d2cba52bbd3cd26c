/** Polls `condition` until it holds; fails with `what` (evaluated then, so it can say what was seen) after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  ms: number,
  what: string | (() => string),
  every = 10,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`${typeof what === 'string' ? what : what()} (within ${ms} ms)`);
    }
    await new Promise((r) => setTimeout(r, every));
  }
}

/** The middle sample (the upper one of an even count). */
export function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
