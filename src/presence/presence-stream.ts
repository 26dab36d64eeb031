import { presenceChangedTopic } from '../events/topics';
import { createPushIterator } from '../lib/push-iterator';
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
  let lastKey: string | undefined;
  let unsubscribe: Unsubscribe = async () => {};
  let sweep: NodeJS.Timeout | undefined;
  const stream = createPushIterator<View>({
    latestOnly: true,
    onEnd: async () => {
      clearInterval(sweep);
      await Promise.allSettled([unsubscribe()]);
      await store
        .leave(threadId, session.sessionId)
        .then(() => bus.publish(topic, { threadId }))
        .catch((error: unknown) => onError?.(error));
      onEnd?.();
    },
  });

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
        if (!stream.isEnded() && key !== lastKey) {
          lastKey = key;
          stream.push(view);
        }
      } while (readAgain && !stream.isEnded());
    } catch (error) {
      onError?.(error);
    } finally {
      reading = false;
    }
  }

  unsubscribe = await bus.subscribe(topic, () => void reread());
  try {
    await store.enter(threadId, session);
    await bus.publish(topic, { threadId });
  } catch (error) {
    await Promise.allSettled([unsubscribe(), store.leave(threadId, session.sessionId)]);
    throw error;
  }
  sweep = setInterval(() => void reread(), store.timing.heartbeatMs);
  await reread();
  return stream.iterator;
}
