import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { NotificationEvent } from '../events/payloads';
import { notificationTopic } from '../events/topics';
import { redisCommand, type RedisConnections } from '../pubsub/redis-connections';
import type { NotificationDraft, NotificationHistory, RetentionLimits } from './notification-history';

export interface RedisNotificationHistoryOptions {
  readonly connections: RedisConnections;
  readonly keyPrefix: string;
  readonly limits: RetentionLimits;
  readonly logger: Logger;
}

/**
 * Appends to the user's stream, trims it by count and age, refreshes its expiry and publishes
 * the event with its position, all in one script: Redis runs it atomically, so an event is
 * either retained and published or neither. The published message is the stored JSON with the
 * `id` spliced in front, so the bus carries exactly what subscribers receive.
 */
const RETAIN_AND_PUBLISH = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'e', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', ARGV[5], '{"id":"' .. id .. '",' .. string.sub(ARGV[1], 2))
return id
`;

type RetainingRedis = Redis & {
  retainAndPublish(stream: string, json: string, maxLen: number, minId: string, ttlMs: number, channel: string): Promise<string>;
};

export function createRedisNotificationHistory({ connections, keyPrefix, limits, logger }: RedisNotificationHistoryOptions): NotificationHistory {
  const log = logger.child({ component: 'redis-notification-history' });
  const redis = connections.commands as RetainingRedis;
  if (!redis.retainAndPublish) redis.defineCommand('retainAndPublish', { numberOfKeys: 1, lua: RETAIN_AND_PUBLISH });

  const streamKey = (userId: string) => `${keyPrefix}notifications:${userId}`;
  const maxAgeMs = limits.maxAgeSeconds * 1000;

  const command = <Result>(run: () => Promise<Result>) => redisCommand(connections, run);

  return {
    async publish(draft: NotificationDraft): Promise<NotificationEvent> {
      const json = JSON.stringify(draft);
      const channel = keyPrefix + notificationTopic(draft.userId).channel;
      const minId = `${Date.now() - maxAgeMs}-0`;
      const id = await command(() => redis.retainAndPublish(streamKey(draft.userId), json, limits.maxPerUser, minId, maxAgeMs, channel));
      return { id, ...draft };
    },

    async publishMany(drafts: readonly NotificationDraft[]): Promise<NotificationEvent[]> {
      if (drafts.length === 0) return [];
      const minId = `${Date.now() - maxAgeMs}-0`;
      // One transaction of the same script per event: each stays atomic, and the batch is
      // all or nothing (a connection lost before EXEC runs none of it), in one round trip.
      const ids = await command(async () => {
        const transaction = redis.multi() as unknown as RetainingRedis & { exec(): Promise<Array<[Error | null, unknown]> | null> };
        for (const draft of drafts) {
          const channel = keyPrefix + notificationTopic(draft.userId).channel;
          transaction.retainAndPublish(streamKey(draft.userId), JSON.stringify(draft), limits.maxPerUser, minId, maxAgeMs, channel);
        }
        const replies = await transaction.exec();
        if (!replies) throw new Error('the batch transaction was aborted');
        return replies.map(([error, id]) => {
          if (error) throw error;
          return id as string;
        });
      });
      return drafts.map((draft, index) => ({ id: ids[index]!, ...draft }));
    },

    async readAfter(userId: string, after: string): Promise<NotificationEvent[]> {
      const entries = await command(() => redis.xrange(streamKey(userId), `(${after}`, '+', 'COUNT', limits.maxPerUser));
      return entries.flatMap(([id, fields]) => {
        try {
          return [{ id, ...(JSON.parse(fields[1] as string) as NotificationDraft) }];
        } catch {
          log.warn({ userId, id }, 'dropped an unparsable retained notification');
          return [];
        }
      });
    },

  };
}
