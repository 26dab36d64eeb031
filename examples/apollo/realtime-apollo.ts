import { ApolloClient, InMemoryCache } from '@apollo/client';
import { NotificationsDocument, type Notification, type RealtimeClient } from '@mechamap/realtime-client';
import { createRealtimeLink } from '@mechamap/realtime-client/apollo';

/** Apollo Client over the realtime client: it reconnects, renews its token and resumes notifications. */
export function createRealtimeApolloClient(realtime: RealtimeClient) {
  const client = new ApolloClient({ link: createRealtimeLink(realtime), cache: new InMemoryCache() });
  return {
    client,
    /** Calls `onNotification` with each of the user's notifications; returns the unsubscribe. */
    watchNotifications(userId: string, onNotification: (notification: Notification) => void, onError?: (error: unknown) => void): () => void {
      const subscription = client.subscribe({ query: NotificationsDocument, variables: { userId } }).subscribe({
        next: ({ data, error }) => {
          if (error) onError?.(error);
          else if (data) onNotification(data.notification);
        },
        error: (error: unknown) => onError?.(error),
      });
      return () => subscription.unsubscribe();
    },
  };
}
