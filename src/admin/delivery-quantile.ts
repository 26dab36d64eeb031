/**
 * The `quantile` of the deliveries between two readings of a cumulative histogram, as
 * Prometheus' histogram_quantile computes it (linear within the bucket it falls in; the upper
 * bound of the last finite bucket when it falls in +Inf). Null when nothing was delivered.
 */
export function quantileBetween(
  before: ReadonlyArray<readonly [number, number]>,
  after: ReadonlyArray<readonly [number, number]>,
  quantile: number,
): number | null {
  const countBefore = new Map(before);
  const buckets = after.map(([le, count]) => [le, count - (countBefore.get(le) ?? 0)] as const);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = quantile * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return lowerBound;
      return lowerBound + (le - lowerBound) * ((rank - lowerCount) / (count - lowerCount || 1));
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}
