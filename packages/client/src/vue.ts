import { inject, shallowReadonly, shallowRef, toValue, watchEffect, type InjectionKey, type MaybeRefOrGetter, type Plugin, type ShallowRef } from 'vue';
import {
  connectionStateView,
  fixedView,
  forumActivityView,
  notificationsView,
  threadViewersView,
  typingSignal,
  typingView,
  type ForumActivity,
  type ForumActivityFilter,
  type LiveView,
  type Notification,
  type ThreadViewers,
} from './live-views.js';
import type { ConnectionState, RealtimeClient } from './realtime-client.js';

export const REALTIME_CLIENT: InjectionKey<RealtimeClient> = Symbol('@mechamap/realtime-client');

/** `app.use(realtimePlugin(client))`: makes `client` the one every composable below uses. */
export function realtimePlugin(client: RealtimeClient): Plugin {
  return { install: (app) => void app.provide(REALTIME_CLIENT, client) };
}

export function useRealtimeClient(): RealtimeClient {
  const client = inject(REALTIME_CLIENT, null);
  if (!client) throw new Error('@mechamap/realtime-client/vue: install realtimePlugin(client) in the app');
  return client;
}

/** A read-only ref kept current by the view that `make` returns; made again when the refs it reads change. */
function useLiveView<Value>(make: (client: RealtimeClient) => LiveView<Value>): Readonly<ShallowRef<Value>> {
  const client = useRealtimeClient();
  const value = shallowRef() as ShallowRef<Value>;
  watchEffect((onCleanup) => {
    const view = make(client);
    value.value = view.get();
    onCleanup(view.subscribe(() => (value.value = view.get())));
  });
  return shallowReadonly(value);
}

const NONE: LiveView<readonly never[]> = fixedView([]);

/** The user's notifications while the component lives, newest first (resumed with no gap after every reconnect). */
export function useNotifications(userId: MaybeRefOrGetter<string | null | undefined>, limit?: number): Readonly<ShallowRef<readonly Notification[]>> {
  return useLiveView((client) => {
    const id = toValue(userId);
    return id ? notificationsView(client, id, limit) : NONE;
  });
}

/** Forum activity while the component lives, newest first. */
export function useForumActivity(filter: MaybeRefOrGetter<ForumActivityFilter> = {}, limit?: number): Readonly<ShallowRef<readonly ForumActivity[]>> {
  return useLiveView((client) => forumActivityView(client, toValue(filter), limit));
}

/** Who is reading the thread; while the component lives, the user is among them. */
export function useThreadViewers(threadId: MaybeRefOrGetter<string | null | undefined>): Readonly<ShallowRef<ThreadViewers | undefined>> {
  return useLiveView((client) => {
    const id = toValue(threadId);
    return id ? threadViewersView(client, id) : fixedView(undefined);
  });
}

/** The others typing in the thread, and `sayTyping` to call on every keystroke of the user's reply. */
export function useTyping(threadId: MaybeRefOrGetter<string | null | undefined>): {
  readonly typing: Readonly<ShallowRef<readonly string[]>>;
  readonly sayTyping: () => void;
} {
  const client = useRealtimeClient();
  const typing = useLiveView((client) => {
    const id = toValue(threadId);
    return id ? typingView(client, id) : NONE;
  });
  const signals = new Map<string, () => void>();
  const sayTyping = () => {
    const id = toValue(threadId);
    if (!id) return;
    if (!signals.has(id)) signals.set(id, typingSignal(client, id));
    signals.get(id)!();
  };
  return { typing, sayTyping };
}

/** `connecting`, `connected`, `reconnecting` or `offline`, for a banner. */
export function useConnectionState(): Readonly<ShallowRef<ConnectionState>> {
  return useLiveView(connectionStateView);
}
