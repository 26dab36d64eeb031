import { print } from 'graphql';
import { NotificationsDocument } from '@mechamap/realtime-client';
import { createRealtimeSseClient } from '@mechamap/realtime-client/sse';

const sse = createRealtimeSseClient({
  url: 'https://realtime.mechamap.example/graphql/stream',
  getToken: () => localStorage.getItem('realtime-token'), // sent as Authorization: EventSource could not
});
sse.subscribe({ query: print(NotificationsDocument), variables: { userId: '42' } }, { next: console.log, error: console.error, complete: () => {} });
