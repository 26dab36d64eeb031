import type { Logger } from 'pino';
import type { WatchRedisClient } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import { createMemoryEventBus } from '../pubsub/memory-event-bus';
import { createRedisConnections } from '../pubsub/redis-connections';
import { createRedisEventBus } from '../pubsub/redis-event-bus';
import { createMemoryNotificationHistory } from './memory-notification-history';
import type { NotificationHistory, RetentionLimits } from './notification-history';
import { createRedisNotificationHistory } from './redis-notification-history';

export type EventBusConfig = { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string };

export interface Delivery {
  readonly bus: EventBus;
  readonly history: NotificationHistory;
}

/**
 * The bus and the notification history, side by side: in this process, or both on the same
 * Redis connections (closed with the bus, which owns them).
 */
export function createDelivery(config: EventBusConfig, limits: RetentionLimits, logger: Logger, watchRedisClient?: WatchRedisClient): Delivery {
  switch (config.kind) {
    case 'memory': {
      const bus = createMemoryEventBus();
      return { bus, history: createMemoryNotificationHistory(bus, limits) };
    }
    case 'redis': {
      const connections = createRedisConnections(config.url, logger);
      // The subscriber carries the bus; the commands connection publishes and keeps the history.
      watchRedisClient?.(connections.subscriber, 'bus');
      watchRedisClient?.(connections.commands, 'history');
      return {
        bus: createRedisEventBus({ connections, keyPrefix: config.keyPrefix, logger }),
        history: createRedisNotificationHistory({ connections, keyPrefix: config.keyPrefix, limits, logger }),
      };
    }
    default:
      throw new Error(`unknown event bus kind: ${(config as { kind: string }).kind}`);
  }
}
