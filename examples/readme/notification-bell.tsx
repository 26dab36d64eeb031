import { RealtimeProvider, useConnectionState, useNotifications } from '@mechamap/realtime-client/react';
import { realtime } from './realtime';

function NotificationBell({ userId }: { userId: string }) {
  const notifications = useNotifications(userId); // newest first, none lost across reconnects
  const state = useConnectionState(); // 'connecting' | 'connected' | 'reconnecting' | 'offline'
  return (
    <div title={state}>
      🔔 {notifications.length}
      <ul>
        {notifications.map((n) => (
          <li key={n.id}>{n.title}</li>
        ))}
      </ul>
    </div>
  );
}

export const App = ({ userId }: { userId: string }) => (
  <RealtimeProvider client={realtime}>
    <NotificationBell userId={userId} />
  </RealtimeProvider>
);
