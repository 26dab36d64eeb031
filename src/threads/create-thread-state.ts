import type { Logger } from 'pino';
import { createMemoryPresenceStore } from '../presence/memory-presence-store';
import type { PresenceStore, PresenceTiming } from '../presence/presence-store';
import { createRedisPresenceStore, READY_WAIT_MS } from '../presence/redis-presence-store';
import { onceReady } from '../pubsub/redis-command';
import type { SharedState } from '../redis/shared-state';
import { createMemoryThreadVisibilities, createRedisThreadVisibilities, type ThreadVisibilities } from './thread-visibilities';
import { createMemoryTypingSlots, createRedisTypingSlots, type TypingSlots } from './typing-slots';

/** The short-lived state of threads: who is present, the typing rate limit, each thread's visibility. */
export interface ThreadState {
  readonly presence: PresenceStore;
  readonly typingSlots: TypingSlots;
  readonly visibilities: ThreadVisibilities;
  /** Removes this process's presence and lets go of the connection. */
  close(): Promise<void>;
}

/** Thread state lives where the bus does: in Redis (one connection for all three) when the bus is Redis, else in this process. */
export function createThreadState(shared: SharedState, logger: Logger, timing?: PresenceTiming): ThreadState {
  if (shared.kind === 'memory') {
    const presence = createMemoryPresenceStore(timing);
    return { presence, typingSlots: createMemoryTypingSlots(), visibilities: createMemoryThreadVisibilities(), close: () => presence.close() };
  }
  const { keyPrefix } = shared;
  const redis = shared.redis.forCommands('threads');
  const presence = createRedisPresenceStore({ redis, keyPrefix, logger, timing });
  const typingSlots = createRedisTypingSlots(redis, keyPrefix);
  const visibilities = createRedisThreadVisibilities(redis, keyPrefix);
  const run = <Result>(command: () => Promise<Result>) => onceReady(redis, READY_WAIT_MS, command);
  return {
    presence,
    typingSlots: { claim: (...args) => run(() => typingSlots.claim(...args)) },
    visibilities: { set: (...args) => run(() => visibilities.set(...args)), get: (...args) => run(() => visibilities.get(...args)) },
    async close() {
      await presence.close();
      redis.disconnect();
    },
  };
}
