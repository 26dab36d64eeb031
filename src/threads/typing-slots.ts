import type { RedisClient } from '../redis/redis-clients';

/**
 * The typing rate limit: at most one typing broadcast per user and thread in a window.
 *
 * Guarantees, for every implementation: `claim` answers true at most once per `windowMs` for one
 * thread and user, across every process; it rejects (never answers falsely) when the store
 * cannot be reached.
 */
export interface TypingSlots {
  claim(threadId: string, userId: string, windowMs: number): Promise<boolean>;
}

/** The slots of a single process with no Redis. */
export function createMemoryTypingSlots(now: () => number = Date.now): TypingSlots {
  const claimedAt = new Map<string, number>();
  return {
    async claim(threadId, userId, windowMs) {
      const key = JSON.stringify([threadId, userId]);
      const at = now();
      const last = claimedAt.get(key);
      if (last !== undefined && at - last < windowMs) return false;
      for (const [other, at0] of claimedAt) if (at - at0 >= windowMs) claimedAt.delete(other);
      claimedAt.set(key, at);
      return true;
    },
  };
}

/** One key per slot, set only if absent and expiring with the window: the first claim wins. */
export function createRedisTypingSlots(redis: RedisClient, keyPrefix: string): TypingSlots {
  return {
    async claim(threadId, userId, windowMs) {
      const claimed = await redis.set(`${keyPrefix}typing-slot:${JSON.stringify([threadId, userId])}`, '1', 'PX', windowMs, 'NX');
      return claimed === 'OK';
    },
  };
}
