import type { Logger } from 'pino';
import type { Topic } from '../events/topics';
import type { EventBus, Unsubscribe } from './event-bus';
import { redisCommand, type RedisConnections } from './redis-connections';

export interface ShardedEventBusOptions {
  /** Connections to a Redis Cluster; the subscriber made with sharded subscribers (one per master). */
  readonly connections: RedisConnections;
  readonly keyPrefix: string;
  readonly logger: Logger;
}

type Listener = (payload: unknown) => void;

/**
 * The bus on a Redis Cluster, with sharded pub/sub (Redis 7): SPUBLISH sends a message only to
 * the shard that owns its channel's slot, where SSUBSCRIBE listens, instead of to every node as
 * PUBLISH does. graphql-redis-subscriptions knows only SUBSCRIBE, hence this small bus: one
 * SSUBSCRIBE per channel however many listeners, messages parsed once and handed to each.
 * ioredis moves the subscriptions to the new master when a shard fails over.
 */
export function createShardedEventBus({ connections, keyPrefix, logger }: ShardedEventBusOptions): EventBus {
  const log = logger.child({ component: 'sharded-event-bus' });
  const { commands, subscriber } = connections;
  const listeners = new Map<string, Set<Listener>>();
  /** SSUBSCRIBEs under way, so that a second listener waits for the same confirmation. */
  const subscribing = new Map<string, Promise<unknown>>();

  subscriber.on('smessage', (channel: string, message: string) => {
    const forChannel = listeners.get(channel);
    if (!forChannel) return;
    let payload: unknown;
    try {
      payload = JSON.parse(message);
    } catch {
      payload = undefined;
    }
    if (typeof payload !== 'object' || payload === null) return log.warn({ channel }, 'dropped an unparsable bus message');
    for (const listener of forChannel) listener(payload);
  });

  async function listen(channel: string, listener: Listener): Promise<void> {
    let forChannel = listeners.get(channel);
    if (!forChannel) listeners.set(channel, (forChannel = new Set()));
    forChannel.add(listener);
    let confirmed = subscribing.get(channel);
    if (!confirmed) {
      confirmed = subscriber.ssubscribe(channel);
      subscribing.set(channel, confirmed);
    }
    try {
      await redisCommand(connections, () => confirmed);
    } catch (error) {
      forChannel.delete(listener);
      if (forChannel.size === 0) {
        listeners.delete(channel);
        subscribing.delete(channel);
      }
      throw error;
    }
  }

  async function stopListening(channel: string, listener: Listener): Promise<void> {
    const forChannel = listeners.get(channel);
    if (!forChannel?.delete(listener) || forChannel.size > 0) return;
    listeners.delete(channel);
    subscribing.delete(channel);
    await subscriber.sunsubscribe(channel).catch((error: Error) => log.debug({ err: error.message, channel }, 'sunsubscribe did not complete'));
  }

  return {
    publish<Payload>(topic: Topic<Payload>, payload: Payload): Promise<void> {
      return redisCommand(connections, async () => {
        await commands.spublish(keyPrefix + topic.channel, JSON.stringify(payload));
      });
    },

    async subscribe<Payload>(topic: Topic<Payload>, onEvent: (payload: Payload) => void): Promise<Unsubscribe> {
      const channel = keyPrefix + topic.channel;
      const listener = onEvent as Listener;
      await listen(channel, listener);
      return () => stopListening(channel, listener);
    },

    isConnected: () => connections.isConnected(),
    whenConnected: (timeoutMs) => connections.whenConnected(timeoutMs),
    close: () => connections.close(),
  };
}
