import type { RedisClients, RedisConnector } from './redis-clients';
import type { RedisTopology } from './redis-topology';

/** Where the processes of one service share their state, as configured. */
export type SharedStateConfig =
  | { readonly kind: 'memory' }
  | {
      readonly kind: 'redis';
      readonly topology: RedisTopology;
      /** Put before every key and channel, so that several deployments can share one Redis. */
      readonly keyPrefix: string;
      /** REDIS_MIN_REPLICAS_ACK: replicas that must hold a notification before its publish answers. */
      readonly minReplicasAck: number;
    };

/**
 * Where the processes of one service share their state: nowhere (one process keeps it all), or
 * on Redis under one key prefix, through the one factory of Redis connections.
 */
export type SharedState =
  { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly redis: RedisConnector; readonly keyPrefix: string; readonly minReplicasAck: number };

export function openSharedState(config: SharedStateConfig, clients: RedisClients): SharedState {
  if (config.kind === 'memory') return config;
  const { topology, ...rest } = config;
  return { ...rest, redis: clients.at(topology) };
}
