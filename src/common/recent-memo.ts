/**
 * `compute`, remembered for the last few hundred distinct keys: for values that repeat in runs, such as
 * the timestamps of one statement's rows (now() is the transaction's start, so a bulk sync's 10,000 rows
 * carry a handful of distinct values). When full it starts afresh rather than tracking age.
 */
export function recentMemo<K, V>(compute: (key: K) => V, capacity = 256): (key: K) => V {
  const known = new Map<K, V>();
  return (key) => {
    if (known.has(key)) return known.get(key) as V;
    const value = compute(key);
    if (known.size >= capacity) known.clear();
    known.set(key, value);
    return value;
  };
}
