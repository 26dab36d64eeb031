import { randomUUID } from 'node:crypto';

/**
 * Ids that increase within this process: milliseconds, then a sequence for events of the same
 * millisecond, like a Redis stream position.
 */
export function createSequentialIds(now: () => number = Date.now): () => string {
  let lastMs = 0;
  let sequence = 0;
  return () => {
    const ms = Math.max(now(), lastMs);
    sequence = ms === lastMs ? sequence + 1 : 0;
    lastMs = ms;
    return `${ms}-${sequence}`;
  };
}

export const randomId = (): string => randomUUID();
