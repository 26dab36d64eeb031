import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Topic } from '../events/topics';
import { BusUnavailableError, type EventBus, type Unsubscribe } from './event-bus';

export interface RedisEventBusOptions {
  readonly url: string;
  /** Put before every channel name, so that several deployments can share one Redis. */
  readonly keyPrefix: string;
  readonly logger: Logger;
}

/** Reconnect quickly and forever: an outage must end as soon as Redis is back. */
const retryStrategy = (attempt: number): number => Math.min(50 * attempt, 1000);

const UNPARSABLE = Symbol('unparsable bus message');

/**
 * The bus shared by every process on one Redis. It holds two connections because a Redis
 * connection in subscriber mode cannot publish: one only subscribes (and resubscribes by itself
 * after a reconnect), the other only publishes and fails fast while disconnected instead of
 * queueing, so a publish never reports success for an event Redis has not taken.
 */
export function createRedisEventBus({ url, keyPrefix, logger }: RedisEventBusOptions): EventBus {
  const log = logger.child({ component: 'redis-event-bus' });
  const common: RedisOptions = { retryStrategy, lazyConnect: false };
  const publisher = new Redis(url, { ...common, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'mechamap-realtime:pub' });
  const subscriber = new Redis(url, { ...common, autoResubscribe: true, maxRetriesPerRequest: null, connectionName: 'mechamap-realtime:sub' });

  for (const [role, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    // Without an error listener ioredis reports every failed reconnect as an unhandled error.
    client.on('error', (error: Error) => log.warn({ role, err: error.message }, 'redis connection error'));
    client.on('ready', () => log.info({ role }, 'redis connection ready'));
    client.on('close', () => log.debug({ role }, 'redis connection closed'));
  }

  const pubsub = new RedisPubSub({
    publisher,
    subscriber,
    deserializer: (source, { channel }) => {
      try {
        return JSON.parse(source.toString('utf8'));
      } catch {
        log.warn({ channel }, 'dropped an unparsable bus message');
        return UNPARSABLE;
      }
    },
  });

  const isConnected = () => publisher.status === 'ready' && subscriber.status === 'ready';

  return {
    async publish<Payload>(topic: Topic<Payload>, payload: Payload): Promise<void> {
      if (!isConnected()) throw new BusUnavailableError('redis is not connected');
      try {
        await pubsub.publish(keyPrefix + topic.channel, payload);
      } catch (error) {
        throw new BusUnavailableError((error as Error).message);
      }
    },

    async subscribe<Payload>(topic: Topic<Payload>, onEvent: (payload: Payload) => void): Promise<Unsubscribe> {
      if (!isConnected()) throw new BusUnavailableError('redis is not connected');
      const id = await pubsub.subscribe<Payload | typeof UNPARSABLE>(keyPrefix + topic.channel, (message) => {
        if (message !== UNPARSABLE) onEvent(message);
      });
      return async () => pubsub.unsubscribe(id);
    },

    isConnected,

    whenConnected(timeoutMs: number): Promise<void> {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!isConnected()) return;
          cleanup();
          resolve();
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new BusUnavailableError(`redis not connected after ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          publisher.off('ready', check);
          subscriber.off('ready', check);
        };
        publisher.on('ready', check);
        subscriber.on('ready', check);
        check();
      });
    },

    async close(): Promise<void> {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
