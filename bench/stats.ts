/** The `p`-th percentile (0–100) of `values` by nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export const median = (values: readonly number[]): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Rounds for the report: enough digits to compare, not so many as to pretend precision. */
export const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);

/**
 * Milliseconds (fractional) on the machine's monotonic clock: the same clock in every process of
 * one machine, so a time taken in the publisher and one taken in a client process subtract.
 * (performance.timeOrigin + performance.now() does not: each process fixes its origin at start,
 * and under load those origins disagree by milliseconds.)
 */
export const wallClockMs = (): number => Number(process.hrtime.bigint()) / 1e6;
