import type { ChainableCommander } from 'ioredis';
import type { Logger } from 'pino';
import type { NotificationEvent } from '../events/payloads';
import { notificationTopic } from '../events/topics';
import { BusUnavailableError } from '../pubsub/event-bus';
import { asBusUnavailable, REDIS_NOT_CONNECTED } from '../pubsub/redis-command';
import { redisCommand, type RedisConnections } from '../pubsub/redis-connections';
import type { RedisClient } from '../redis/redis-clients';
import { writeTogether } from '../redis/write-together';
import type { NotificationDraft, NotificationHistory, RetentionLimits } from './notification-history';

export interface RedisNotificationHistoryOptions {
  readonly connections: RedisConnections;
  readonly keyPrefix: string;
  readonly limits: RetentionLimits;
  /**
   * Replicas that must have taken a notification before its publish answers (Redis WAIT after
   * the script, on the same connection); 0 answers as soon as the master has it.
   */
  readonly minReplicasAck?: number;
  /** On a Redis Cluster: sharded publishes, and no pipeline or script spanning several users (slots). */
  readonly sharded?: boolean;
  readonly logger: Logger;
}

/** How long a publish waits for its replicas before answering UNAVAILABLE. */
export const REPLICA_ACK_TIMEOUT_MS = 1000;

/**
 * Appends to the user's stream, trims it by count and age, refreshes its expiry and publishes
 * the event with its position, all in one script: Redis runs it atomically, so an event is
 * either retained and published or neither. It publishes with ARGV[6]: PUBLISH, or SPUBLISH on a
 * cluster (the channel shares the stream's hash tag, so both are in the script's slot). The published message is the stored JSON with the
 * `id` spliced in front, so the bus carries exactly what subscribers receive.
 */
const RETAIN_AND_PUBLISH = `
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '*', 'e', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call(ARGV[6], ARGV[5], '{"id":"' .. id .. '",' .. string.sub(ARGV[1], 2))
return id
`;

/**
 * RETAIN_AND_PUBLISH for a whole batch in one script, so one atomic step: every event is
 * retained and published, in order, or (the script never ran) none is. KEYS are the events'
 * streams; ARGV is maxLen, minId, ttlMs, the publish command, then each event's JSON and channel.
 * Returns the ids.
 */
const RETAIN_AND_PUBLISH_MANY = `
local ids = {}
for i = 1, #KEYS do
  local json = ARGV[3 + 2 * i]
  local id = redis.call('XADD', KEYS[i], 'MAXLEN', ARGV[1], '*', 'e', json)
  redis.call('XTRIM', KEYS[i], 'MINID', ARGV[2])
  redis.call('PEXPIRE', KEYS[i], ARGV[3])
  redis.call(ARGV[4], ARGV[4 + 2 * i], '{"id":"' .. id .. '",' .. string.sub(json, 2))
  ids[i] = id
end
return ids
`;

type PublishCommand = 'PUBLISH' | 'SPUBLISH';
type RetainArgs = [stream: string, json: string, maxLen: number, minId: string, ttlMs: number, channel: string, publishCommand: PublishCommand];

interface RetainingCommands {
  retainAndPublish(...args: RetainArgs): Promise<string>;
  /** numberOfKeys, the keys, then maxLen, minId, ttlMs, the publish command and each event's JSON and channel. */
  retainAndPublishMany(...args: Array<string | number>): Promise<string[]>;
}
type RetainingRedis = RedisClient & RetainingCommands;
type RetainingPipeline = ChainableCommander & { [Name in keyof RetainingCommands]: (...args: Parameters<RetainingCommands[Name]>) => RetainingPipeline };

interface PendingPublish {
  readonly args: RetainArgs;
  readonly draft: NotificationDraft;
  resolve(event: NotificationEvent): void;
  reject(error: unknown): void;
}

export function createRedisNotificationHistory({
  connections,
  keyPrefix,
  limits,
  minReplicasAck = 0,
  sharded = false,
  logger,
}: RedisNotificationHistoryOptions): NotificationHistory {
  const publishCommand: PublishCommand = sharded ? 'SPUBLISH' : 'PUBLISH';
  const log = logger.child({ component: 'redis-notification-history' });
  const redis = connections.commands as RetainingRedis;
  if (!redis.retainAndPublish) redis.defineCommand('retainAndPublish', { numberOfKeys: 1, lua: RETAIN_AND_PUBLISH });
  if (!redis.retainAndPublishMany) redis.defineCommand('retainAndPublishMany', { lua: RETAIN_AND_PUBLISH_MANY });

  // In the user's hash tag, with the user's channel (see topics.ts).
  const streamKey = (userId: string) => `${keyPrefix}notifications:{${userId}}`;
  const maxAgeMs = limits.maxAgeSeconds * 1000;

  const command = <Result>(run: () => Promise<Result>) => redisCommand(connections, run);

  /**
   * Publishes that arrive while the event loop handles one round of I/O (concurrent HTTP
   * requests) go to Redis in one write, flushed on setImmediate: each its own RETAIN_AND_PUBLISH
   * with its own reply, so each caller learns its own outcome; only the socket write (a system
   * call) is shared. When replicas must acknowledge, the round is a pipeline with WAIT after it.
   */
  let pending: PendingPublish[] = [];
  const flush = () => {
    const batch = pending;
    pending = [];
    if (minReplicasAck === 0) return sendTogether(batch);
    // A cluster's pipeline must stay within one slot (WAIT then reaches the user's master): a publish each.
    if (sharded) for (const one of batch) sendAcknowledged([one]);
    else sendAcknowledged(batch);
  };
  const settle = (one: PendingPublish, error: unknown, id: unknown) => {
    if (error) one.reject(asBusUnavailable(error));
    else one.resolve({ id: id as string, ...one.draft });
  };
  const sendTogether = (batch: PendingPublish[]) =>
    writeTogether(redis, () => {
      for (const one of batch) {
        redis.retainAndPublish(...one.args).then(
          (id) => settle(one, null, id),
          (error: unknown) => settle(one, error, null),
        );
      }
    });
  const sendAcknowledged = (batch: PendingPublish[]) => {
    const pipeline = redis.pipeline() as RetainingPipeline;
    for (const { args } of batch) pipeline.retainAndPublish(...args);
    execAcknowledged(pipeline).then(
      (replies) => {
        batch.forEach((one, index) => {
          const [error, id] = replies[index] ?? [new Error('the pipeline was aborted'), null];
          settle(one, error, id);
        });
      },
      (error: unknown) => batch.forEach((one) => settle(one, error, null)),
    );
  };

  /**
   * Runs the pipeline followed by WAIT (only when replicas must acknowledge): WAIT answers how many
   * replicas took every write this connection made before it, so one covers the whole pipeline.
   * Fewer than asked rejects the lot: the events may be on the master, but a failover could
   * lose them, so the publisher is not told they are safe.
   */
  async function execAcknowledged(pipeline: ChainableCommander): Promise<Array<[Error | null, unknown]>> {
    pipeline.wait(minReplicasAck, REPLICA_ACK_TIMEOUT_MS);
    const replies = (await pipeline.exec()) ?? [];
    const [error, acknowledged] = replies.pop() ?? [new Error('the pipeline was aborted'), 0];
    if (error || (acknowledged as number) < minReplicasAck) {
      log.warn({ acknowledged, minReplicasAck }, 'replicas did not acknowledge a publish in time');
      throw new BusUnavailableError(`${(acknowledged as number) ?? 0} of ${minReplicasAck} replicas acknowledged within ${REPLICA_ACK_TIMEOUT_MS} ms`);
    }
    return replies;
  }

  /**
   * One script for the whole batch: one atomic step (all retained and published, or none when
   * it never ran), one round trip, one command for Redis to parse.
   */
  async function retainAndPublishMany(drafts: readonly NotificationDraft[]): Promise<NotificationEvent[]> {
    const args: Array<string | number> = [drafts.length];
    for (const draft of drafts) args.push(streamKey(draft.userId));
    args.push(limits.maxPerUser, `${Date.now() - maxAgeMs}-0`, maxAgeMs, publishCommand);
    for (const draft of drafts) args.push(JSON.stringify(draft), keyPrefix + notificationTopic(draft.userId).channel);
    const ids = await command(async () => {
      if (minReplicasAck === 0) return redis.retainAndPublishMany(...args);
      const [[error, reply]] = (await execAcknowledged((redis.pipeline() as RetainingPipeline).retainAndPublishMany(...args))) as [[Error | null, string[]]];
      if (error) throw error;
      return reply;
    });
    if (!Array.isArray(ids) || ids.length !== drafts.length) throw new Error(`the batch script answered ${ids.length} ids for ${drafts.length} events`);
    return drafts.map((draft, index) => ({ id: ids[index]!, ...draft }));
  }

  return {
    // One promise per publish, settled by the flush (as `redisCommand` would settle it): this is every HTTP publish's path.
    publish(draft: NotificationDraft): Promise<NotificationEvent> {
      if (!connections.isConnected()) return Promise.reject(new BusUnavailableError(REDIS_NOT_CONNECTED));
      const json = JSON.stringify(draft);
      const channel = keyPrefix + notificationTopic(draft.userId).channel;
      const minId = `${Date.now() - maxAgeMs}-0`;
      const args: RetainArgs = [streamKey(draft.userId), json, limits.maxPerUser, minId, maxAgeMs, channel, publishCommand];
      return new Promise((resolve, reject) => {
        if (pending.push({ args, draft, resolve, reject }) === 1) setImmediate(flush);
      });
    },

    async publishMany(drafts: readonly NotificationDraft[]): Promise<NotificationEvent[]> {
      if (drafts.length === 0) return [];
      if (!sharded) return retainAndPublishMany(drafts);
      // On a cluster one script cannot span users (slots): one per user, all at once. Each
      // user's events are all or none; across users a failure can leave some published.
      const byUser = new Map<string, NotificationDraft[]>();
      for (const draft of drafts) byUser.set(draft.userId, [...(byUser.get(draft.userId) ?? []), draft]);
      const published = new Map<NotificationDraft, NotificationEvent>();
      await Promise.all(
        [...byUser.values()].map(async (own) => {
          const events = await retainAndPublishMany(own);
          own.forEach((draft, index) => published.set(draft, events[index]!));
        }),
      );
      return drafts.map((draft) => published.get(draft)!);
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
