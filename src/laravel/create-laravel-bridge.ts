import type { Plugin } from 'graphql-yoga';
import type { NotificationHistory } from '../history/notification-history';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { RedisClients } from '../redis/redis-clients';
import type { SharedState } from '../redis/shared-state';
import type { LaravelConfig } from './laravel-config';
import { createLaravelPublisher } from './laravel-publisher';
import { createRedisBroadcastConsumer } from './redis-broadcast-consumer';
import { usePusherHttpApi } from './use-pusher-http-api';

export interface LaravelBridgeDependencies {
  readonly bus: EventBus;
  readonly history: NotificationHistory;
  readonly metrics: Metrics;
  readonly nextForumActivityId: () => string;
  readonly maxPayloadBytes: number;
  readonly logger: Logger;
  /** The service's shared state: on Redis, processes claim Laravel messages there. */
  readonly shared: SharedState;
  /** Makes the connection to Laravel's Redis. */
  readonly redisClients: RedisClients;
}

/**
 * Laravel's own broadcasters, both ways in: the `redis` broadcaster read from Laravel's Redis,
 * and the Pusher HTTP API (a yoga plugin) for the `pusher`/`reverb` broadcaster. Whichever the
 * config turns on; both publish through one LaravelPublisher and one channel map.
 */
export function createLaravelBridge(config: LaravelConfig, { shared, redisClients, ...dependencies }: LaravelBridgeDependencies) {
  const publisher = createLaravelPublisher({ channelMap: config.channelMap, ...dependencies });
  const consumer =
    config.redis &&
    createRedisBroadcastConsumer({
      subscriber: redisClients.at(config.redis.topology).forSubscribing('laravel-subscriber', { lazy: true }),
      prefix: config.redis.prefix,
      publisher,
      claims: shared.kind === 'redis' ? { redis: shared.redis.forCommands('laravel-claims', { lazy: true }), keyPrefix: shared.keyPrefix } : undefined,
      logger: dependencies.logger,
    });
  const plugins: Plugin[] = config.pusher
    ? [usePusherHttpApi({ credentials: config.pusher, publisher, maxBodyBytes: dependencies.maxPayloadBytes, logger: dependencies.logger })]
    : [];
  return {
    plugins,
    start: async (timeoutMs: number) => consumer?.start(timeoutMs),
    close: async () => consumer?.close(),
  };
}
