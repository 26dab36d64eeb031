import WebSocket from 'ws';
import { createRealtimeClient, type RealtimeClient, type TokenRequest } from '@mechamap/realtime-client';
import { createRealtimeApolloClient } from '../../examples/apollo/realtime-apollo';
import { createRealtimeUrqlClient } from '../../examples/urql/realtime-urql';
import { collector } from '../utils/collector';
import { freePort } from '../utils/free-port';
import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

/** The Apollo link and the urql exchange (through examples/apollo and examples/urql), driven the same way. */
const CLIENTS = [
  { name: 'Apollo Client (createRealtimeLink)', create: (realtime: RealtimeClient) => createRealtimeApolloClient(realtime) },
  { name: 'urql (realtimeExchange)', create: (realtime: RealtimeClient, httpUrl: string) => createRealtimeUrqlClient(realtime, httpUrl) },
] as const;

type Sent = { type: string; payload?: { variables?: Record<string, unknown> } };

/** A `ws` WebSocket that records what the client sends, to see the `after` it resubscribes with. */
function recordingWebSocket(sent: Sent[]) {
  return class RecordingWebSocket extends WebSocket {
    override send(data: string): void {
      sent.push(JSON.parse(data));
      super.send(data);
    }
  };
}

const publish = (url: string, userId: string, title: string) =>
  postGraphQL(url, PUBLISH_NOTIFICATION, { input: { userId, type: 'example', title } }, PUBLISHER_TOKEN);

const realtimeClients: RealtimeClient[] = [];
afterEach(async () => {
  await Promise.all(realtimeClients.splice(0).map((client) => client.dispose()));
});

describe.each(CLIENTS)('$name', ({ create }) => {
  const env = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() };

  it('reconnects after a restart (1012) and resumes from the last notification it saw, with no gap and no duplicate', async () => {
    const port = await freePort();
    let app: TestApp = await startTestApp({ ...env, PORT: String(port) });
    const other: TestApp = await startTestApp(env); // another process of the same service, on the same Redis
    const sent: Sent[] = [];
    const token = await userToken('501');
    const realtime = createRealtimeClient({ url: app.wsUrl, getToken: () => token, retry: { baseMs: 50 }, webSocketImpl: recordingWebSocket(sent) });
    realtimeClients.push(realtime);
    const example = create(realtime, app.url);
    const notifications = collector<string>();
    let live = app.expectSubscriptions('notification');
    example.watchNotifications('501', ({ title }) => notifications.push(title));
    await live();
    await publish(app.url, '501', 'first');
    await notifications.until(1);

    await app.stop(); // closes every socket with 1012
    await publish(other.url, '501', 'while away');
    app = await startTestApp({ ...env, PORT: String(port) });
    live = app.expectSubscriptions('notification');
    await live();
    await publish(app.url, '501', 'after the restart');
    await notifications.until(3);

    expect(notifications.received).toEqual(['first', 'while away', 'after the restart']);
    const subscribes = sent.filter((message) => message.type === 'subscribe');
    expect(subscribes.map((message) => message.payload?.variables?.['after'] ?? null)).toEqual([null, expect.any(String)]);
  });

  it('asks for a new token when the server refuses one (4403), then subscribes with it', async () => {
    const app = await startTestApp();
    const expired = await userToken('502', { expiresInSeconds: -60 });
    const fresh = await userToken('502');
    const asked: TokenRequest[] = [];
    const realtime = createRealtimeClient({
      url: app.wsUrl,
      getToken: (request) => (asked.push(request), request.refresh ? fresh : expired),
      retry: { baseMs: 50 },
      webSocketImpl: WebSocket,
    });
    realtimeClients.push(realtime);
    const example = create(realtime, app.url);
    const notifications = collector<string>();
    const live = app.expectSubscriptions('notification');
    example.watchNotifications('502', ({ title }) => notifications.push(title));
    await live();
    await publish(app.url, '502', 'with the fresh token');
    await notifications.until(1);

    expect(asked).toEqual([{ refresh: false }, { refresh: true }]);
    expect(notifications.received).toEqual(['with the fresh token']);
  });
});
