import { presenceChangedTopic } from '../events/topics';
import type { EventBus, Unsubscribe } from '../pubsub/event-bus';
import type { PresenceSession, PresenceSnapshot, PresenceStore } from './presence-store';

export interface PresenceStreamOptions<View> {
  readonly bus: EventBus;
  readonly store: PresenceStore;
  readonly threadId: string;
  /** The session this stream makes present for as long as it runs. */
  readonly session: PresenceSession;
  /** What this subscriber may see of a snapshot; a view equal to the last one is not sent again. */
  readonly project: (snapshot: PresenceSnapshot) => View;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd?: () => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Being subscribed is being present. The stream listens to the thread's change channel first,
 * then enters the thread and announces it, so it misses no change made after it started; it
 * yields the thread's presence at once and again whenever someone enters or leaves (on any
 * process), and it also rereads every heartbeat so that the sessions of a dead process, which
 * announce nothing, vanish at most `expiryMs + heartbeatMs` after their last heartbeat.
 * Only the latest view waits for a slow reader. Ending the iterator leaves the thread.
 */
export async function openPresenceStream<View>(options: PresenceStreamOptions<View>): Promise<AsyncIterableIterator<View>> {
  const { bus, store, threadId, session, project, onEnd, onError } = options;
  const topic = presenceChangedTopic(threadId);
  let pending: { view: View } | null = null;
  let waiting: ((result: IteratorResult<View>) => void) | null = null;
  let lastKey: string | undefined;
  let ended = false;

  const deliver = (view: View) => {
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve({ value: view, done: false });
    } else {
      pending = { view };
    }
  };

  // Reads run one at a time; a change seen while one runs asks for exactly one more.
  let reading = false;
  let readAgain = false;
  async function reread(): Promise<void> {
    if (reading) {
      readAgain = true;
      return;
    }
    reading = true;
    try {
      do {
        readAgain = false;
        const view = project(await store.snapshot(threadId));
        const key = JSON.stringify(view);
        if (!ended && key !== lastKey) {
          lastKey = key;
          deliver(view);
        }
      } while (readAgain && !ended);
    } catch (error) {
      onError?.(error);
    } finally {
      reading = false;
    }
  }

  const unsubscribe: Unsubscribe = await bus.subscribe(topic, () => void reread());
  try {
    await store.enter(threadId, session);
    await bus.publish(topic, { threadId });
  } catch (error) {
    await Promise.allSettled([unsubscribe(), store.leave(threadId, session.sessionId)]);
    throw error;
  }
  const sweep = setInterval(() => void reread(), store.timing.heartbeatMs);
  await reread();

  const end = async (): Promise<IteratorResult<View>> => {
    if (!ended) {
      ended = true;
      clearInterval(sweep);
      pending = null;
      waiting?.({ value: undefined, done: true });
      waiting = null;
      await Promise.allSettled([unsubscribe()]);
      await store
        .leave(threadId, session.sessionId)
        .then(() => bus.publish(topic, { threadId }))
        .catch((error: unknown) => onError?.(error));
      onEnd?.();
    }
    return { value: undefined, done: true };
  };

  const iterator: AsyncIterableIterator<View> = {
    next(): Promise<IteratorResult<View>> {
      if (pending) {
        const { view } = pending;
        pending = null;
        return Promise.resolve({ value: view, done: false });
      }
      if (ended) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return: end,
    throw: async (error: unknown) => {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
