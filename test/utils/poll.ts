import { setTimeout as sleep } from 'node:timers/promises';

export interface PollOptions<T> {
  /** Whether a value read is the one waited for; by default, any truthy value. */
  readonly until?: (value: T) => boolean;
  /** What is waited for, for the message when it does not come. */
  readonly what: string;
  /** Below jest's 30 s, so that this message, not jest's, says what was missing. */
  readonly timeoutMs?: number;
  readonly everyMs?: number;
}

/**
 * Reads `read` every `everyMs` until `until` accepts the value, and resolves with it. Only for
 * what offers no event to await: another process's /metrics, a certificate on disk, a Redis
 * PUBLISH's receiver count. Rejects, naming `what` and the last value, once `timeoutMs` passed.
 */
export async function pollUntil<T>(read: () => T | Promise<T>, options: PollOptions<T>): Promise<T> {
  const { until = Boolean, what, timeoutMs = 20_000, everyMs = 20 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last read: ${JSON.stringify(value)})`);
    await sleep(everyMs);
  }
}
