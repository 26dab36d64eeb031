import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { Logger } from 'pino';
import type { Topic } from '../events/topics';
import type { EventBus, Unsubscribe } from './event-bus';
import { redisCommand, type RedisConnections } from './redis-connections';

export interface RedisEventBusOptions {
  readonly connections: RedisConnections;
  /** Put before every channel name, so that several deployments can share one Redis. */
  readonly keyPrefix: string;
  readonly logger: Logger;
}

/** The bus shared by every process on one Redis, over connections it is given. */
export function createRedisEventBus({ connections, keyPrefix, logger }: RedisEventBusOptions): EventBus {
  const log = logger.child({ component: 'redis-event-bus' });
  // No deserializer: RedisPubSub would copy each message into a Buffer for it. Its own
  // JSON.parse hands on the raw string when a message is not JSON; every event is an object.
  const pubsub = new RedisPubSub({ publisher: connections.commands, subscriber: connections.subscriber });

  return {
    publish<Payload>(topic: Topic<Payload>, payload: Payload): Promise<void> {
      return redisCommand(connections, () => pubsub.publish(keyPrefix + topic.channel, payload));
    },

    async subscribe<Payload>(topic: Topic<Payload>, onEvent: (payload: Payload) => void): Promise<Unsubscribe> {
      const id = await redisCommand(connections, () =>
        pubsub.subscribe<unknown>(keyPrefix + topic.channel, (message) => {
          if (typeof message === 'object' && message !== null) onEvent(message as Payload);
          else log.warn({ channel: topic.channel }, 'dropped an unparsable bus message');
        }),
      );
      return async () => pubsub.unsubscribe(id);
    },

    isConnected: () => connections.isConnected(),
    whenConnected: (timeoutMs) => connections.whenConnected(timeoutMs),
    close: () => connections.close(),
  };
}
