/**
 * How long to wait before reconnect `attempt` (0 for the first after a loss): "full jitter", a
 * random time up to `baseMs * 2^attempt` capped at `maxMs`, so that the tabs a restart closed at
 * once do not all come back at once.
 */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  return Math.random() * Math.min(baseMs * 2 ** attempt, maxMs);
}
