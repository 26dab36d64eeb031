import type { Logger } from 'pino';
import type { EventBus } from './event-bus';
import { createMemoryEventBus } from './memory-event-bus';
import { createRedisEventBus } from './redis-event-bus';

export type EventBusConfig = { readonly kind: 'memory' } | { readonly kind: 'redis'; readonly url: string; readonly keyPrefix: string };

export function createEventBus(config: EventBusConfig, logger: Logger): EventBus {
  switch (config.kind) {
    case 'memory':
      return createMemoryEventBus();
    case 'redis':
      return createRedisEventBus({ url: config.url, keyPrefix: config.keyPrefix, logger });
    default:
      throw new Error(`unknown event bus kind: ${(config as { kind: string }).kind}`);
  }
}
