import type { Logger } from 'pino';
import type { EventBus } from '../pubsub/event-bus';
import { createMemoryEventBus } from '../pubsub/memory-event-bus';
import { createRedisConnections } from '../pubsub/redis-connections';
import { createRedisEventBus } from '../pubsub/redis-event-bus';
import { createShardedEventBus } from '../pubsub/sharded-event-bus';
import type { SharedState } from '../redis/shared-state';
import { createMemoryNotificationHistory } from './memory-notification-history';
import type { NotificationHistory, RetentionLimits } from './notification-history';
import { createRedisNotificationHistory } from './redis-notification-history';

export interface Delivery {
  readonly bus: EventBus;
  readonly history: NotificationHistory;
}

/**
 * The bus and the notification history, side by side: in this process, or both on the same
 * Redis connections (closed with the bus, which owns them).
 */
export function createDelivery(shared: SharedState, limits: RetentionLimits, logger: Logger): Delivery {
  if (shared.kind === 'memory') {
    const bus = createMemoryEventBus();
    return { bus, history: createMemoryNotificationHistory(bus, limits) };
  }
  const { redis, keyPrefix, minReplicasAck } = shared;
  const connections = createRedisConnections(redis, logger);
  // A cluster's pub/sub is sharded: SPUBLISH and SSUBSCRIBE, in the bus and in the history's script.
  const sharded = redis.topology.kind === 'cluster';
  return {
    bus: (sharded ? createShardedEventBus : createRedisEventBus)({ connections, keyPrefix, logger }),
    history: createRedisNotificationHistory({ connections, keyPrefix, limits, minReplicasAck, sharded, logger }),
  };
}
