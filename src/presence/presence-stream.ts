import { presenceChangedTopic } from '../events/topics';
import { createPushIterator } from '../lib/push-iterator';
import type { EventBus, Unsubscribe } from '../pubsub/event-bus';
import type { PresenceSession, PresenceSnapshot, PresenceStore } from './presence-store';

export interface PresenceStreamOptions<View> {
  readonly bus: EventBus;
  readonly store: PresenceStore;
  readonly threadId: string;
  /** What the stream's subscribers may see of a snapshot. */
  readonly project: (snapshot: PresenceSnapshot) => View;
  /** Called once when the stream ends, however it ends. */
  readonly onEnd?: () => void;
  readonly onError?: (error: unknown) => void;
}

/** A session's presence in a thread: announced once entered, then left. */
export interface ThreadPresence {
  /** Tells every watcher of the thread (on any process) that it changed; when the bus cannot, they see it at their next heartbeat's read. */
  announce(): Promise<void>;
  /** Takes the session out of the thread and announces it; a failure only leaves it to expire. */
  leave(): Promise<void>;
}

/**
 * Being subscribed is being present: makes `session` present in the thread (every snapshot on
 * any process includes it) until `leave`. Entering announces nothing yet: the subscriber
 * watches first, then `announce`s, so the change it makes reaches it too.
 */
export async function enterThread(bus: EventBus, store: PresenceStore, threadId: string, session: PresenceSession): Promise<ThreadPresence> {
  const topic = presenceChangedTopic(threadId);
  await store.enter(threadId, session);
  const announce = () => bus.publish(topic, { threadId }).catch(() => {});
  return {
    announce,
    leave: () =>
      store
        .leave(threadId, session.sessionId)
        .then(announce)
        .catch(() => {}),
  };
}

/**
 * The thread's presence as it changes: the stream listens to the thread's change channel first,
 * then yields the thread's presence at once and again whenever someone enters or leaves (on any
 * process); it also rereads every heartbeat so that the sessions of a dead process, which
 * announce nothing, vanish at most `expiryMs + heartbeatMs` after their last heartbeat. Every
 * read is yielded, changed or not (whoever shares the stream decides what is news to whom);
 * only the latest view waits for a slow reader.
 */
export async function watchPresence<View>(options: PresenceStreamOptions<View>): Promise<AsyncIterableIterator<View>> {
  const { bus, store, threadId, project, onEnd, onError } = options;
  const topic = presenceChangedTopic(threadId);
  let unsubscribe: Unsubscribe = async () => {};
  let sweep: NodeJS.Timeout | undefined;
  const stream = createPushIterator<View>({
    latestOnly: true,
    onEnd: async () => {
      clearInterval(sweep);
      await Promise.allSettled([unsubscribe()]);
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
        if (!stream.isEnded()) stream.push(view);
      } while (readAgain && !stream.isEnded());
    } catch (error) {
      onError?.(error);
    } finally {
      reading = false;
    }
  }

  unsubscribe = await bus.subscribe(topic, () => void reread());
  sweep = setInterval(() => void reread(), store.timing.heartbeatMs);
  await reread();
  return stream.iterator;
}
