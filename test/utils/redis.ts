import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createRedisClients } from '../../src/redis/redis-clients';
import type { RedisTopology } from '../../src/redis/redis-topology';
import type { SharedState } from '../../src/redis/shared-state';

export const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own, so that tests running side by side on one Redis never see each other. */
export const isolatedPrefix = (): string => `test:${randomUUID()}:`;

/** The two buses every behavioural suite runs over: the difference is only the environment. */
export const BUSES = [
  { name: 'memory', env: (): Record<string, string> => ({}) },
  { name: 'redis', env: (): Record<string, string> => ({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() }) },
] as const;

/** State shared on the test Redis (or the topology given) under a key prefix of its own, unless one is given. */
export function sharedRedis({
  topology = { kind: 'single', url: REDIS_URL },
  keyPrefix = isolatedPrefix(),
  minReplicasAck = 0,
}: { topology?: RedisTopology; keyPrefix?: string; minReplicasAck?: number } = {}): SharedState & { kind: 'redis' } {
  return { kind: 'redis', redis: createRedisClients(pino({ level: 'silent' })).at(topology), keyPrefix, minReplicasAck };
}
