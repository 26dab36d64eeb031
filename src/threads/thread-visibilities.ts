import type { Visibility } from '../events/payloads';
import type { RedisClient } from '../redis/redis-clients';

/**
 * The visibility the publisher gave each thread (`setThreadVisibility`), which decides who may
 * see its presence and typing. Shared by every process; every method rejects (never answers
 * falsely) when the store cannot be reached.
 */
export interface ThreadVisibilities {
  set(threadId: string, visibility: Visibility): Promise<void>;
  /** What the publisher set, or null for a thread it never described. */
  get(threadId: string): Promise<Visibility | null>;
}

export function createMemoryThreadVisibilities(): ThreadVisibilities {
  const visibilities = new Map<string, Visibility>();
  return {
    async set(threadId, visibility) {
      visibilities.set(threadId, visibility);
    },
    async get(threadId) {
      return visibilities.get(threadId) ?? null;
    },
  };
}

const VISIBILITIES: readonly Visibility[] = ['PUBLIC', 'MEMBERS', 'STAFF'];

/** One hash of every described thread. */
export function createRedisThreadVisibilities(redis: RedisClient, keyPrefix: string): ThreadVisibilities {
  const key = `${keyPrefix}thread-visibility`;
  return {
    async set(threadId, visibility) {
      await redis.hset(key, threadId, visibility);
    },
    async get(threadId) {
      const value = await redis.hget(key, threadId);
      return VISIBILITIES.find((visibility) => visibility === value) ?? null;
    },
  };
}
