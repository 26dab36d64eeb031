import type { ConnectionState, RealtimeClient } from './realtime-client.js';
import {
  ForumActivityDocument,
  NotificationsDocument,
  SayTypingDocument,
  ThreadViewersDocument,
  TypingDocument,
  type ForumActivitySubscription,
  type ForumActivitySubscriptionVariables,
  type NotificationsSubscription,
  type ThreadViewersSubscription,
} from './generated/graphql.js';

export type Notification = NotificationsSubscription['notification'];
export type ForumActivity = ForumActivitySubscription['forumActivity'];
export type ForumActivityFilter = ForumActivitySubscriptionVariables;
export type ThreadViewers = ThreadViewersSubscription['threadViewers'];

/**
 * A value that live events keep current, in the shape React's `useSyncExternalStore` and Vue's
 * refs want: `get` answers the same object until it changes. The subscription runs while it
 * has listeners.
 */
export interface LiveView<Value> {
  get(): Value;
  subscribe(onChange: () => void): () => void;
}

function liveView<Value>(initial: Value, start: (update: (change: (current: Value) => Value) => void) => () => void): LiveView<Value> {
  let value = initial;
  let stop: (() => void) | undefined;
  const listeners = new Set<() => void>();
  const update = (change: (current: Value) => Value) => {
    value = change(value);
    for (const listener of listeners) listener();
  };
  return {
    get: () => value,
    subscribe(onChange) {
      listeners.add(onChange);
      stop ??= start(update);
      return () => {
        listeners.delete(onChange);
        if (listeners.size > 0) return;
        stop?.();
        stop = undefined;
      };
    },
  };
}

/** A view that never changes: what a hook shows before it has what it needs (no user, no thread). */
export function fixedView<Value>(value: Value): LiveView<Value> {
  return { get: () => value, subscribe: () => () => {} };
}

const ignoreEnd = { error: () => {}, complete: () => {} };

/** The user's notifications since the view started, newest first, at most `limit`. */
export function notificationsView(client: RealtimeClient, userId: string, limit = 50): LiveView<readonly Notification[]> {
  return liveView<readonly Notification[]>([], (update) =>
    client.subscribe(
      { query: NotificationsDocument, variables: { userId } },
      { ...ignoreEnd, next: ({ data }) => data && update((list) => [data.notification, ...list].slice(0, limit)) },
    ),
  );
}

/** Forum activity the user may see since the view started, newest first, at most `limit`. */
export function forumActivityView(client: RealtimeClient, filter: ForumActivityFilter = {}, limit = 50): LiveView<readonly ForumActivity[]> {
  return liveView<readonly ForumActivity[]>([], (update) =>
    client.subscribe(
      { query: ForumActivityDocument, variables: filter },
      { ...ignoreEnd, next: ({ data }) => data && update((list) => [data.forumActivity, ...list].slice(0, limit)) },
    ),
  );
}

/** Who is reading the thread (undefined until the server answers); watching it is being present. */
export function threadViewersView(client: RealtimeClient, threadId: string): LiveView<ThreadViewers | undefined> {
  return liveView<ThreadViewers | undefined>(undefined, (update) =>
    client.subscribe({ query: ThreadViewersDocument, variables: { threadId } }, { ...ignoreEnd, next: ({ data }) => data && update(() => data.threadViewers) }),
  );
}

/** The ids of the others typing in the thread; each is forgotten `forgetAfterMs` after their last keystroke signal. */
export function typingView(client: RealtimeClient, threadId: string, forgetAfterMs = 3_000): LiveView<readonly string[]> {
  return liveView<readonly string[]>([], (update) => {
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    const stop = client.subscribe(
      { query: TypingDocument, variables: { threadId } },
      {
        ...ignoreEnd,
        next: ({ data }) => {
          if (!data) return;
          const { userId } = data.typing;
          clearTimeout(timers.get(userId));
          timers.set(
            userId,
            setTimeout(() => (timers.delete(userId), update((ids) => ids.filter((id) => id !== userId))), forgetAfterMs),
          );
          update((ids) => (ids.includes(userId) ? ids : [...ids, userId]));
        },
      },
    );
    return () => {
      stop();
      for (const timer of timers.values()) clearTimeout(timer);
    };
  });
}

/**
 * Tells the others in the thread that the user is typing, at most once per `minIntervalMs`
 * (the server ignores more within 2 s anyway): call it on every keystroke.
 */
export function typingSignal(client: RealtimeClient, threadId: string, minIntervalMs = 2_000): () => void {
  let lastSent = -Infinity;
  return () => {
    if (Date.now() - lastSent < minIntervalMs) return;
    lastSent = Date.now();
    client.request({ query: SayTypingDocument, variables: { threadId } }).catch(() => (lastSent = -Infinity));
  };
}

export function connectionStateView(client: RealtimeClient): LiveView<ConnectionState> {
  return { get: () => client.state, subscribe: (onChange) => client.onStateChange(onChange) };
}
