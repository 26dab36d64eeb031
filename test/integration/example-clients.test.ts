import WebSocket from 'ws';
import { createRealtimeApolloClient } from '../../examples/apollo/realtime-apollo';
import type { RealtimeSocketOptions } from '../../examples/realtime-socket';
import { createRealtimeUrqlClient } from '../../examples/urql/realtime-urql';
import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { freePort } from '../utils/free-port';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

interface Received {
  readonly id: string;
  readonly title: string;
}

/** The two example clients, driven the same way: the difference is a loop variable. */
const CLIENTS = [
  { name: 'Apollo Client', create: (options: RealtimeSocketOptions) => createRealtimeApolloClient(options) },
  { name: 'urql', create: (options: RealtimeSocketOptions) => createRealtimeUrqlClient({ ...options, httpUrl: options.url.replace(/^ws/, 'http') }) },
] as const;

/** A `ws` WebSocket that records what the client sends, to see the `after` it resubscribes with. */
function recordingWebSocket(sent: Array<{ type: string; payload?: { variables?: Record<string, unknown> } }>) {
  return class RecordingWebSocket extends WebSocket {
    override send(data: string): void {
      sent.push(JSON.parse(data));
      super.send(data);
    }
  };
}

/** Resolves with the notifications once `count` have arrived. */
function collector() {
  const received: Received[] = [];
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  return {
    received,
    push(notification: Received) {
      received.push({ id: notification.id, title: notification.title });
      for (const waiter of waiters.filter((w) => received.length >= w.count)) waiter.resolve();
    },
    until: (count: number) => new Promise<void>((resolve) => (received.length >= count ? resolve() : waiters.push({ count, resolve }))),
  };
}

const publish = (url: string, userId: string, title: string) =>
  postGraphQL(url, PUBLISH_NOTIFICATION, { input: { userId, type: 'example', title } }, PUBLISHER_TOKEN);

describe.each(CLIENTS)('the $name example', ({ create }) => {
  const env = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() };

  it('reconnects after a restart (1012) and resumes from the last notification it saw, with no gap and no duplicate', async () => {
    const port = await freePort();
    let app: TestApp = await startTestApp({ ...env, PORT: String(port) });
    const other: TestApp = await startTestApp(env); // another process of the same service, on the same Redis
    const sent: Array<{ type: string; payload?: { variables?: Record<string, unknown> } }> = [];
    const closes: number[] = [];
    const token = await userToken('501');
    const example = create({
      url: app.wsUrl,
      getToken: () => token,
      refreshToken: () => token,
      retryBaseMs: 50,
      webSocketImpl: recordingWebSocket(sent),
      onClosed: (code) => closes.push(code),
    });
    const notifications = collector();
    let live = app.expectSubscriptions('notification');
    const unsubscribe = example.watchNotifications('501', notifications.push);
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

    expect(closes).toContain(1012);
    expect(notifications.received.map((n) => n.title)).toEqual(['first', 'while away', 'after the restart']);
    const subscribes = sent.filter((message) => message.type === 'subscribe');
    expect(subscribes.map((message) => message.payload?.variables?.['after'] ?? null)).toEqual([null, notifications.received[0]!.id]);
    unsubscribe();
    await example.dispose();
  });

  it('asks for a new token when the server refuses one (4403), then subscribes with it', async () => {
    const app = await startTestApp();
    const expired = await userToken('502', { expiresInSeconds: -60 });
    const fresh = await userToken('502');
    const refreshToken = jest.fn(() => fresh);
    const closes: number[] = [];
    const example = create({
      url: app.wsUrl,
      getToken: () => expired,
      refreshToken,
      retryBaseMs: 50,
      webSocketImpl: WebSocket,
      onClosed: (code) => closes.push(code),
    });
    const notifications = collector();
    const live = app.expectSubscriptions('notification');
    const unsubscribe = example.watchNotifications('502', notifications.push);
    await live();
    await publish(app.url, '502', 'with the fresh token');
    await notifications.until(1);

    expect(closes[0]).toBe(4403);
    expect(refreshToken).toHaveBeenCalledTimes(1);
    expect(notifications.received.map((n) => n.title)).toEqual(['with the fresh token']);
    unsubscribe();
    await example.dispose();
  });
});
