import { Client } from '@urql/core';
import { NotificationsDocument, type Notification, type RealtimeClient } from '@mechamap/realtime-client';
import { realtimeExchange } from '@mechamap/realtime-client/urql';

/** urql with every operation (mutations such as `typing` too) over the realtime client. */
export function createRealtimeUrqlClient(realtime: RealtimeClient, httpUrl: string) {
  const client = new Client({ url: httpUrl, exchanges: [realtimeExchange(realtime, { allOperations: true })] });
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
  };
}
