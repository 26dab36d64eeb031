import { Client, subscriptionExchange } from '@urql/core';
import { NotificationsDocument, type NotificationsSubscription } from '../generated/graphql';
import { createRealtimeSocket, type RealtimeSocketOptions } from '../realtime-socket';

export type Notification = NotificationsSubscription['notification'];

/**
 * urql over the service's WebSocket, for every operation (mutations such as `typing` too):
 * reconnects on 1012, refreshes the token on 4403, resumes notifications with `after`.
 */
export function createRealtimeUrqlClient(options: RealtimeSocketOptions & { readonly httpUrl: string }) {
  const socket = createRealtimeSocket(options);
  const client = new Client({
    url: options.httpUrl,
    exchanges: [
      subscriptionExchange({
        enableAllOperations: true,
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return {
    client,
    /** Calls `onNotification` with each of the user's notifications; returns the unsubscribe. */
    watchNotifications(userId: string, onNotification: (notification: Notification) => void, onError?: (error: unknown) => void): () => void {
      const { unsubscribe } = client.subscription(NotificationsDocument, { userId }).subscribe((result) => {
        if (result.error) onError?.(result.error);
        else if (result.data) onNotification(result.data.notification);
      });
      return unsubscribe;
    },
    async dispose(): Promise<void> {
      await socket.dispose();
    },
  };
}
