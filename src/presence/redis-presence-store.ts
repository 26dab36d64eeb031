import Redis from 'ioredis';
import type { WatchRedisClient } from '../observability/metrics';
import type { Logger } from 'pino';
import type { Visibility } from '../events/payloads';
import { BusUnavailableError } from '../pubsub/event-bus';
import { DEFAULT_PRESENCE_TIMING, summarize, type PresenceSession, type PresenceStore, type PresenceTiming } from './presence-store';

export interface RedisPresenceStoreOptions {
  readonly url: string;
  /** The deployment's key prefix, the same one the bus puts before its channels. */
  readonly keyPrefix: string;
  readonly logger: Logger;
  readonly timing?: PresenceTiming;
  /** Told of the connection, to follow its state. */
  readonly watchRedisClient?: WatchRedisClient;
}

const READY_WAIT_MS = 2_000;
const retryStrategy = (attempt: number): number => Math.min(50 * attempt, 1000);

/**
 * Presence shared by every process on one Redis. Each thread is a sorted set of sessions scored
 * by their last heartbeat (ms since the epoch, by the clock of the process that wrote it, so
 * the processes' clocks must agree to well within `expiryMs`); every process rewrites the scores
 * of its own sessions every `heartbeatMs`, and a snapshot first drops the members older than
 * `expiryMs`. The key itself expires when no process refreshes it any more.
 *
 * One connection, failing fast while Redis is away (no offline queue), like the bus's publisher.
 */
export function createRedisPresenceStore({
  url,
  keyPrefix,
  logger,
  timing = DEFAULT_PRESENCE_TIMING,
  watchRedisClient,
}: RedisPresenceStoreOptions): PresenceStore {
  const log = logger.child({ component: 'redis-presence-store' });
  const redis = new Redis(url, { retryStrategy, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'mechamap-realtime:presence' });
  redis.on('error', (error: Error) => log.warn({ err: error.message }, 'redis connection error'));
  watchRedisClient?.(redis, 'presence');

  /** Waits a moment for a connection being made (at start, or after a blip) rather than failing at once. */
  const whenReady = (): Promise<void> =>
    redis.status === 'ready'
      ? Promise.resolve()
      : new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            redis.off('ready', onReady);
            reject(new Error(`redis not ready after ${READY_WAIT_MS} ms`));
          }, READY_WAIT_MS);
          const onReady = () => {
            clearTimeout(timer);
            resolve();
          };
          redis.once('ready', onReady);
        });

  const threadKey = (threadId: string) => `${keyPrefix}presence:${threadId}`;
  const member = (session: PresenceSession) =>
    JSON.stringify(session.info == null ? [session.sessionId, session.userId] : [session.sessionId, session.userId, session.info]);
  const keyTtlMs = timing.expiryMs * 3;
  /** This process's own sessions, by thread and session id, as their sorted-set members. */
  const local = new Map<string, Map<string, string>>();

  async function refreshLocalSessions(): Promise<void> {
    if (local.size === 0 || redis.status !== 'ready') return;
    const pipeline = redis.pipeline();
    const seen = Date.now();
    for (const [threadId, sessions] of local) {
      for (const value of sessions.values()) pipeline.zadd(threadKey(threadId), seen, value);
      pipeline.pexpire(threadKey(threadId), keyTtlMs);
    }
    await pipeline.exec();
  }
  const heartbeat = setInterval(() => {
    refreshLocalSessions().catch((error: Error) => log.warn({ err: error.message }, 'presence heartbeat failed'));
  }, timing.heartbeatMs);
  heartbeat.unref();

  return failingAsUnavailable(whenReady, {
    timing,
    async enter(threadId, session) {
      const value = member(session);
      let sessions = local.get(threadId);
      if (!sessions) local.set(threadId, (sessions = new Map()));
      sessions.set(session.sessionId, value);
      await redis.multi().zadd(threadKey(threadId), Date.now(), value).pexpire(threadKey(threadId), keyTtlMs).exec();
    },

    async leave(threadId, sessionId) {
      const sessions = local.get(threadId);
      const value = sessions?.get(sessionId);
      if (!sessions || value === undefined) return;
      sessions.delete(sessionId);
      if (sessions.size === 0) local.delete(threadId);
      await redis.zrem(threadKey(threadId), value);
    },

    async snapshot(threadId) {
      const key = threadKey(threadId);
      const results = await redis
        .multi()
        .zremrangebyscore(key, '-inf', `(${Date.now() - timing.expiryMs}`)
        .zrange(key, 0, -1)
        .exec();
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

    async claimTypingSlot(threadId, userId, windowMs) {
      const claimed = await redis.set(`${keyPrefix}typing-slot:${JSON.stringify([threadId, userId])}`, '1', 'PX', windowMs, 'NX');
      return claimed === 'OK';
    },

    async setThreadVisibility(threadId, visibility) {
      await redis.hset(`${keyPrefix}thread-visibility`, threadId, visibility);
    },

    async threadVisibility(threadId) {
      const value = await redis.hget(`${keyPrefix}thread-visibility`, threadId);
      return value === 'PUBLIC' || value === 'MEMBERS' || value === 'STAFF' ? (value as Visibility) : null;
    },

    async close() {
      clearInterval(heartbeat);
      // Leave at once rather than after `expiryMs`: a graceful stop is seen within a second.
      if (redis.status === 'ready' && local.size > 0) {
        const pipeline = redis.pipeline();
        for (const [threadId, sessions] of local) pipeline.zrem(threadKey(threadId), ...sessions.values());
        await pipeline.exec().catch((error: Error) => log.warn({ err: error.message }, 'could not remove sessions on close'));
      }
      local.clear();
      redis.disconnect();
    },
  });
}

/** A store that cannot reach Redis says so the way the bus does, so callers answer UNAVAILABLE. */
function failingAsUnavailable(whenReady: () => Promise<void>, store: PresenceStore): PresenceStore {
  const guard =
    <Args extends unknown[], Result>(method: (...args: Args) => Promise<Result>) =>
    async (...args: Args): Promise<Result> => {
      try {
        await whenReady();
        return await method(...args);
      } catch (error) {
        throw new BusUnavailableError(`presence store: ${(error as Error).message}`);
      }
    };
  return {
    timing: store.timing,
    enter: guard(store.enter),
    leave: guard(store.leave),
    snapshot: guard(store.snapshot),
    claimTypingSlot: guard(store.claimTypingSlot),
    setThreadVisibility: guard(store.setThreadVisibility),
    threadVisibility: guard(store.threadVisibility),
    close: store.close,
  };
}
