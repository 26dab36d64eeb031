import { createRealtimeClient } from '@mechamap/realtime-client';

export const realtime = createRealtimeClient({
  url: 'wss://realtime.mechamap.example/graphql',
  // Asked before every connection. `refresh` is true after the server refused the token (4403)
  // and shortly before it expires: answer a new one. A throw (Laravel down) is retried with backoff.
  getToken: async ({ refresh }) => {
    const response = await fetch(`/realtime/token${refresh ? '?fresh=1' : ''}`, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`realtime token: HTTP ${response.status}`);
    return ((await response.json()) as { token: string }).token;
  },
});
