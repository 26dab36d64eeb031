import { ApolloClient, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { NotificationsDocument, type NotificationsSubscription } from '../generated/graphql';
import { createRealtimeSocket, type RealtimeSocketOptions } from '../realtime-socket';

export type Notification = NotificationsSubscription['notification'];

/** Apollo Client over the service's WebSocket: reconnects on 1012, refreshes the token on 4403, resumes with `after`. */
export function createRealtimeApolloClient(options: RealtimeSocketOptions) {
  const socket = createRealtimeSocket(options);
  const client = new ApolloClient({ link: new GraphQLWsLink(socket), cache: new InMemoryCache() });
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
    async dispose(): Promise<void> {
      client.stop();
      await socket.dispose();
    },
  };
}
