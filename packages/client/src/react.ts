import { createContext, createElement, useContext, useMemo, useSyncExternalStore, type ReactNode } from 'react';
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

const RealtimeContext = createContext<RealtimeClient | null>(null);

/** Makes `client` the one every hook below uses. */
export function RealtimeProvider({ client, children }: { readonly client: RealtimeClient; readonly children?: ReactNode }) {
  return createElement(RealtimeContext.Provider, { value: client }, children);
}

export function useRealtimeClient(): RealtimeClient {
  const client = useContext(RealtimeContext);
  if (!client) throw new Error('@mechamap/realtime-client/react: wrap the app in <RealtimeProvider client={…}>');
  return client;
}

function useLiveView<Value>(make: (client: RealtimeClient) => LiveView<Value>, key: unknown[]): Value {
  const client = useRealtimeClient();
  const view = useMemo(() => make(client), [client, ...key]);
  return useSyncExternalStore(view.subscribe, view.get, view.get);
}

const NONE: LiveView<readonly never[]> = fixedView([]);

/** The user's notifications while mounted, newest first (resumed with no gap after every reconnect). Nothing for null. */
export function useNotifications(userId: string | null | undefined, limit?: number): readonly Notification[] {
  return useLiveView((client) => (userId ? notificationsView(client, userId, limit) : NONE), [userId, limit]);
}

/** Forum activity while mounted, newest first. */
export function useForumActivity(filter: ForumActivityFilter = {}, limit?: number): readonly ForumActivity[] {
  return useLiveView((client) => forumActivityView(client, filter, limit), [JSON.stringify(filter), limit]);
}

/** Who is reading the thread; while mounted, the user is among them. */
export function useThreadViewers(threadId: string | null | undefined): ThreadViewers | undefined {
  return useLiveView((client) => (threadId ? threadViewersView(client, threadId) : fixedView(undefined)), [threadId]);
}

/** The others typing in the thread, and `sayTyping` to call on every keystroke of the user's reply. */
export function useTyping(threadId: string | null | undefined): { readonly typing: readonly string[]; readonly sayTyping: () => void } {
  const client = useRealtimeClient();
  const typing = useLiveView((client) => (threadId ? typingView(client, threadId) : NONE), [threadId]);
  const sayTyping = useMemo(() => (threadId ? typingSignal(client, threadId) : () => {}), [client, threadId]);
  return { typing, sayTyping };
}

/** `connecting`, `connected`, `reconnecting` or `offline`, for a banner. */
export function useConnectionState(): ConnectionState {
  return useLiveView(connectionStateView, []);
}
