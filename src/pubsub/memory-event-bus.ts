import type { Topic } from '../events/topics';
import type { EventBus, Unsubscribe } from './event-bus';

type Listener = (payload: unknown) => void;

/** The bus of a single process with no Redis: delivery is synchronous, in publish order. */
export function createMemoryEventBus(): EventBus {
  const listenersByChannel = new Map<string, Set<Listener>>();

  return {
    async publish<Payload>(topic: Topic<Payload>, payload: Payload): Promise<void> {
      const listeners = listenersByChannel.get(topic.channel);
      if (!listeners) return;
      for (const listener of [...listeners]) listener(payload);
    },

    async subscribe<Payload>(topic: Topic<Payload>, onEvent: (payload: Payload) => void): Promise<Unsubscribe> {
      const listener = onEvent as Listener;
      let listeners = listenersByChannel.get(topic.channel);
      if (!listeners) {
        listeners = new Set();
        listenersByChannel.set(topic.channel, listeners);
      }
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        if (listeners.size === 0) listenersByChannel.delete(topic.channel);
      };
    },

    isConnected: () => true,
    whenConnected: async () => {},
    close: async () => listenersByChannel.clear(),
  };
}
