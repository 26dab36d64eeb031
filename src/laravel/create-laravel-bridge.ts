import type { Plugin } from 'graphql-yoga';
import type { LaravelConfig } from '../config/config';
import type { NotificationHistory } from '../history/notification-history';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
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
  /** The service's shared Redis, where processes claim Laravel messages; absent with the in-memory bus. */
  readonly claims?: { readonly url: string; readonly keyPrefix: string };
}

/**
 * Laravel's own broadcasters, both ways in: the `redis` broadcaster read from Laravel's Redis,
 * and the Pusher HTTP API (a yoga plugin) for the `pusher`/`reverb` broadcaster. Whichever the
 * config turns on; both publish through one LaravelPublisher and one channel map.
 */
export function createLaravelBridge(config: LaravelConfig, { claims, ...dependencies }: LaravelBridgeDependencies) {
  const publisher = createLaravelPublisher({ channelMap: config.channelMap, ...dependencies });
  const consumer =
    config.redis &&
    createRedisBroadcastConsumer({ ...config.redis, publisher, claims, logger: dependencies.logger, watchRedisClient: dependencies.metrics.watchRedisClient });
  const plugins: Plugin[] = config.pusher
    ? [usePusherHttpApi({ credentials: config.pusher, publisher, maxBodyBytes: dependencies.maxPayloadBytes, logger: dependencies.logger })]
    : [];
  return {
    plugins,
    start: async (timeoutMs: number) => consumer?.start(timeoutMs),
    close: async () => consumer?.close(),
  };
}
