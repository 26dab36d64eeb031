import type { Logger } from 'pino';
import { onceReady } from '../pubsub/redis-command';
import type { RedisClient } from '../redis/redis-clients';
import { DEFAULT_PRESENCE_TIMING, summarize, type PresenceSession, type PresenceStore, type PresenceTiming } from './presence-store';

export interface RedisPresenceStoreOptions {
  /** A command connection, which the store uses but does not close. */
  readonly redis: RedisClient;
  /** The deployment's key prefix, the same one the bus puts before its channels. */
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly timing?: PresenceTiming;
}

/** How long a call waits for a connection being made (at start, or after a blip) rather than failing at once. */
export const READY_WAIT_MS = 2_000;

/**
 * Presence shared by every process on one Redis. Each thread is a sorted set of sessions scored
 * by their last heartbeat (ms since the epoch, by the clock of the process that wrote it, so
 * the processes' clocks must agree to well within `expiryMs`); every process rewrites the scores
 * of its own sessions every `heartbeatMs`, and a snapshot first drops the members older than
 * `expiryMs`. The key itself expires when no process refreshes it any more.
 *
 * Every call rejects with BusUnavailableError when Redis cannot be reached, so callers answer
 * UNAVAILABLE as they do for the bus.
 */
export function createRedisPresenceStore({ redis, keyPrefix, logger, timing = DEFAULT_PRESENCE_TIMING }: RedisPresenceStoreOptions): PresenceStore {
  const log = logger.child({ component: 'redis-presence-store' });
  const run = <Result>(command: () => Promise<Result>) => onceReady(redis, READY_WAIT_MS, command);

  const threadKey = (threadId: string) => `${keyPrefix}presence:{${threadId}}`;
  const member = (session: PresenceSession) =>
    JSON.stringify(session.info == null ? [session.sessionId, session.userId] : [session.sessionId, session.userId, session.info]);
  const keyTtlMs = timing.expiryMs * 3;
  /** This process's own sessions, by thread and session id, as their sorted-set members. */
  const local = new Map<string, Map<string, string>>();

  async function refreshLocalSessions(): Promise<void> {
    if (local.size === 0 || redis.status !== 'ready') return;
    const seen = Date.now();
    // A pipeline per thread: on a cluster one may not span slots. Sent in the same turn, they still leave together.
    await Promise.all(
      [...local].map(([threadId, sessions]) => {
        const pipeline = redis.pipeline();
        for (const value of sessions.values()) pipeline.zadd(threadKey(threadId), seen, value);
        return pipeline.pexpire(threadKey(threadId), keyTtlMs).exec();
      }),
    );
  }
  const heartbeat = setInterval(() => {
    refreshLocalSessions().catch((error: Error) => log.warn({ err: error.message }, 'presence heartbeat failed'));
  }, timing.heartbeatMs);
  heartbeat.unref();

  return {
    timing,
    async enter(threadId, session) {
      const value = member(session);
      let sessions = local.get(threadId);
      if (!sessions) local.set(threadId, (sessions = new Map<string, string>()));
      sessions.set(session.sessionId, value);
      await run(() => redis.multi().zadd(threadKey(threadId), Date.now(), value).pexpire(threadKey(threadId), keyTtlMs).exec());
    },

    async leave(threadId, sessionId) {
      const sessions = local.get(threadId);
      const value = sessions?.get(sessionId);
      if (!sessions || value === undefined) return;
      sessions.delete(sessionId);
      if (sessions.size === 0) local.delete(threadId);
      await run(() => redis.zrem(threadKey(threadId), value));
    },

    async snapshot(threadId) {
      const key = threadKey(threadId);
      const results = await run(() =>
        redis
          .multi()
          .zremrangebyscore(key, '-inf', `(${Date.now() - timing.expiryMs}`)
          .zrange(key, 0, -1)
          .exec(),
      );
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('presence snapshot was aborted');
      const members = results[1]![1] as string[];
      return summarize(
        members.flatMap((value) => {
          try {
            const [sessionId, userId, info] = JSON.parse(value) as [string, string | null, unknown?];
            return [{ sessionId, userId, info }];
          } catch {
            log.warn({ threadId }, 'dropped an unparsable presence member');
            return [];
          }
        }),
      );
    },

    async close() {
      clearInterval(heartbeat);
      // Leave at once rather than after `expiryMs`: a graceful stop is seen within a second.
      if (redis.status === 'ready' && local.size > 0) {
        await Promise.all([...local].map(([threadId, sessions]) => redis.zrem(threadKey(threadId), ...sessions.values()))).catch((error: Error) =>
          log.warn({ err: error.message }, 'could not remove sessions on close'),
        );
      }
      local.clear();
    },
  };
}
