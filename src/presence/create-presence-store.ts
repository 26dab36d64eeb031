import type { Logger } from 'pino';
import type { WatchRedisClient } from '../observability/metrics';
import type { Config } from '../config/config';
import { createMemoryPresenceStore } from './memory-presence-store';
import type { PresenceStore, PresenceTiming } from './presence-store';
import { createRedisPresenceStore } from './redis-presence-store';

/** Presence lives where the bus does: in Redis when the bus is Redis, else in this process. */
export function createPresenceStore(config: Config['bus'], logger: Logger, watchRedisClient?: WatchRedisClient, timing?: PresenceTiming): PresenceStore {
  switch (config.kind) {
    case 'memory':
      return createMemoryPresenceStore(timing);
    case 'redis':
      return createRedisPresenceStore({ url: config.url, keyPrefix: config.keyPrefix, logger, timing, watchRedisClient });
    default:
      throw new Error(`unknown presence store kind: ${(config as { kind: string }).kind}`);
  }
}
