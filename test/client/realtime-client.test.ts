import WebSocket from 'ws';
import {
  createRealtimeClient,
  ForumActivityDocument,
  NotificationsDocument,
  type ConnectionState,
  type RealtimeClient,
  type TokenRequest,
  type Environment,
} from '@mechamap/realtime-client';
import { collector } from '../utils/collector';
import { freePort } from '../utils/free-port';
import { postGraphQL } from '../utils/http';
import { PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

const clients: RealtimeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

function track(client: RealtimeClient) {
  clients.push(client);
  const states: ConnectionState[] = [client.state];
  client.onStateChange((state) => states.push(state));
  return {
    states,
    /** Resolves once the client is in `state`. */
    reach: (state: ConnectionState) =>
      new Promise<void>((resolve) => {
        if (client.state === state) return resolve();
        const stop = client.onStateChange((next) => next === state && (stop(), resolve()));
      }),
  };
}

const notify = (url: string, userId: string, title: string) =>
  postGraphQL(url, PUBLISH_NOTIFICATION, { input: { userId, type: 'test', title } }, PUBLISHER_TOKEN);

function watchNotifications(client: RealtimeClient, userId: string) {
  const received = collector<string>();
  client.subscribe(
    { query: NotificationsDocument, variables: { userId } },
    {
      next: ({ data }) => data && received.push(data.notification.title),
      error: (error) => received.push(`error: ${JSON.stringify(error)}`),
      complete: () => {},
    },
  );
  return received;
}

describe('createRealtimeClient against a live service', () => {
  const env = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() };

  it('reconnects after a restart (1012) and resumes notifications with no gap and no duplicate', async () => {
    const port = await freePort();
    let app: TestApp = await startTestApp({ ...env, PORT: String(port) });
    const other = await startTestApp(env); // another process of the service on the same Redis
    const token = await userToken('601');
    const client = createRealtimeClient({ url: app.wsUrl, getToken: () => token, webSocketImpl: WebSocket, retry: { baseMs: 50 } });
    const connection = track(client);
    let live = app.expectSubscriptions('notification');
    const received = watchNotifications(client, '601');
    await live();
    await notify(app.url, '601', 'first');
    await received.until(1);

    await app.stop(); // every socket closed with 1012
    await connection.reach('reconnecting');
    await notify(other.url, '601', 'while away');
    app = await startTestApp({ ...env, PORT: String(port) });
    live = app.expectSubscriptions('notification');
    await live();
    await notify(app.url, '601', 'after the restart');
    await received.until(3);

    expect(received.received).toEqual(['first', 'while away', 'after the restart']);
    expect(connection.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('connects with a fresh token before the current one expires, and misses no live forum activity meanwhile', async () => {
    const app = await startTestApp();
    const expiring = await userToken('602', { expiresInSeconds: 3 });
    const expiry = JSON.parse(Buffer.from(expiring.split('.')[1]!, 'base64url').toString()).exp * 1000;
    const fresh = await userToken('602');
    const asked: Array<{ at: number; request: TokenRequest }> = [];
    const client = createRealtimeClient({
      url: app.wsUrl,
      getToken: (request) => (asked.push({ at: Date.now(), request }), asked.length === 1 ? expiring : fresh),
      refreshBeforeExpiryMs: 1_000,
      webSocketImpl: WebSocket,
    });
    const connection = track(client);
    const live = app.expectSubscriptions('forumActivity');
    const received = collector<string>();
    client.subscribe(
      { query: ForumActivityDocument, variables: { forumId: 'f602' } },
      {
        next: ({ data }) => data && received.push(data.forumActivity.title ?? ''),
        error: (error) => received.push(`error: ${JSON.stringify(error)}`),
        complete: () => received.push('complete'),
      },
    );
    await live();
    // Publish without a pause from before the renewal until well after the old token expired (and the server closed its socket).
    const published: string[] = [];
    while (Date.now() < expiry + 700) {
      const title = `event ${published.length}`;
      await postGraphQL(app.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'f602', title } }, PUBLISHER_TOKEN);
      published.push(title);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await received.until(published.length);

    expect(received.received).toEqual(published);
    expect(asked.map(({ request }) => request.refresh)).toEqual([false, true]);
    expect(asked[1]!.at).toBeLessThan(expiry);
    expect(connection.states).toEqual(['connecting', 'connected']);
  });

  it('asks for a fresh token after the server refused one (4403), then subscribes with it', async () => {
    const app = await startTestApp();
    const expired = await userToken('603', { expiresInSeconds: -60 });
    const fresh = await userToken('603');
    const asked: TokenRequest[] = [];
    const client = createRealtimeClient({
      url: app.wsUrl,
      getToken: (request) => (asked.push(request), request.refresh ? fresh : expired),
      webSocketImpl: WebSocket,
      retry: { baseMs: 20 },
    });
    const live = app.expectSubscriptions('notification');
    const received = watchNotifications(client, '603');
    await live();
    await notify(app.url, '603', 'with the fresh token');
    await received.until(1);

    expect(asked).toEqual([{ refresh: false }, { refresh: true }]);
    expect(received.received).toEqual(['with the fresh token']);
  });

  it('keeps trying while getToken fails (Laravel answers 500 three times), then connects', async () => {
    const app = await startTestApp();
    const token = await userToken('604');
    let calls = 0;
    const client = createRealtimeClient({
      url: app.wsUrl,
      getToken: () => {
        if (++calls <= 3) throw new Error('Laravel answered 500');
        return token;
      },
      webSocketImpl: WebSocket,
      retry: { baseMs: 20 },
    });
    const connection = track(client);
    const live = app.expectSubscriptions('notification');
    const received = watchNotifications(client, '604');
    await connection.reach('connected');
    await live();
    await notify(app.url, '604', 'at last');
    await received.until(1);

    expect(calls).toBe(4);
    expect(connection.states).toEqual(['connecting', 'connected']);
    expect(received.received).toEqual(['at last']);
  });

  it('closes its socket while offline, and reconnects and catches up when back online', async () => {
    const app = await startTestApp(env);
    const token = await userToken('605');
    const network = fakeNetwork();
    const client = createRealtimeClient({ url: app.wsUrl, getToken: () => token, webSocketImpl: WebSocket, environment: network });
    const connection = track(client);
    let live = app.expectSubscriptions('notification');
    const received = watchNotifications(client, '605');
    await live();
    await notify(app.url, '605', 'before');
    await received.until(1);

    network.set(false);
    expect(client.state).toBe('offline');
    await app.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === 0);
    await notify(app.url, '605', 'while offline');
    live = app.expectSubscriptions('notification');
    network.set(true);
    await live();
    await received.until(2);

    expect(received.received).toEqual(['before', 'while offline']);
    expect(connection.states).toEqual(['connecting', 'connected', 'offline', 'reconnecting', 'connected']);
  });
  it('retries at once when the page is shown again, instead of waiting out its backoff', async () => {
    const port = await freePort();
    let app = await startTestApp({ PORT: String(port) });
    const token = await userToken('606');
    const network = fakeNetwork();
    const client = createRealtimeClient({
      url: app.wsUrl,
      getToken: () => token,
      webSocketImpl: WebSocket,
      environment: network,
      retry: { baseMs: 600_000, maxMs: 600_000 },
    });
    const connection = track(client);
    await connection.reach('connected');

    await app.stop();
    await connection.reach('reconnecting'); // and waiting: the first backoff is up to 10 minutes
    app = await startTestApp({ PORT: String(port) });
    network.show();
    await connection.reach('connected');

    expect(connection.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });
});

/** The browser's network as the client sees it (`navigator.onLine` and its events), switched by the test. */
function fakeNetwork(): Environment & { set(online: boolean): void; show(): void } {
  const listeners = new Map<string, Set<() => void>>();
  let online = true;
  return {
    get online() {
      return online;
    },
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set.add(listener));
      return () => set.delete(listener);
    },
    set(next) {
      online = next;
      for (const listener of listeners.get(next ? 'online' : 'offline') ?? []) listener();
    },
    show() {
      for (const listener of listeners.get('visible') ?? []) listener();
    },
  };
}
