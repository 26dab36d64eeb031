import { print } from 'graphql';
import WebSocket from 'ws';
import { createApp, effectScope, ref, watch, type Ref } from 'vue';
import { createRealtimeClient, NotificationsDocument, type RealtimeClient } from '@mechamap/realtime-client';
import { createRealtimeSseClient } from '@mechamap/realtime-client/sse';
import { realtimePlugin, useConnectionState, useForumActivity, useNotifications, useThreadViewers, useTyping } from '@mechamap/realtime-client/vue';
import { postGraphQL } from '../utils/http';
import { PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

/** Resolves once `predicate` holds for the ref's value. */
function until<Value>(source: Readonly<Ref<Value>>, predicate: (value: Value) => boolean): Promise<Value> {
  if (predicate(source.value)) return Promise.resolve(source.value);
  return new Promise((resolve) => {
    const stop = watch(source, (value) => predicate(value) && (stop(), resolve(value)));
  });
}

const clients: RealtimeClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
});

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});

async function clientFor(userId: string): Promise<RealtimeClient> {
  const token = await userToken(userId);
  const client = createRealtimeClient({ url: app.wsUrl, getToken: () => token, webSocketImpl: WebSocket });
  clients.push(client);
  return client;
}

/** Runs composables as a component's setup would: inside the app (for inject) and an effect scope (for cleanup). */
function setup<Result>(client: RealtimeClient, composables: () => Result) {
  const scope = effectScope();
  const result = createApp({})
    .use(realtimePlugin(client))
    .runWithContext(() => scope.run(composables)!);
  return { ...result, unmount: () => scope.stop() };
}

describe('the Vue composables against a live service', () => {
  it('keep notifications, forum activity, presence, typing and the connection state current, and stop with the component', async () => {
    const thread = ref('vue-1');
    const live = app.expectSubscriptions('threadViewers', 2);
    const alice = setup(await clientFor('721'), () => ({
      state: useConnectionState(),
      notifications: useNotifications('721'),
      activity: useForumActivity({ forumId: 'vue-forum' }),
      viewers: useThreadViewers(thread),
      typing: useTyping(thread).typing,
    }));
    const bob = setup(await clientFor('722'), () => ({ viewers: useThreadViewers('vue-1'), typing: useTyping('vue-1') }));
    await live();

    await until(alice.state, (state) => state === 'connected');
    await until(alice.viewers, (viewers) => viewers?.viewers.length === 2);
    expect(alice.viewers.value?.viewers.map(({ id }) => id)).toEqual(['721', '722']);

    bob.typing.sayTyping();
    await until(alice.typing, (ids) => ids.length === 1);
    expect(alice.typing.value).toEqual(['722']);

    await postGraphQL(app.url, PUBLISH_NOTIFICATION, { input: { userId: '721', type: 'test', title: 'for Alice' } }, PUBLISHER_TOKEN);
    await postGraphQL(app.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'THREAD_CREATED', forumId: 'vue-forum', title: 'a new thread' } }, PUBLISHER_TOKEN);
    await until(alice.notifications, (list) => list.length === 1);
    await until(alice.activity, (list) => list.length === 1);
    expect(alice.notifications.value.map((n) => n.title)).toEqual(['for Alice']);
    expect(alice.activity.value.map((a) => a.title)).toEqual(['a new thread']);

    thread.value = 'vue-2'; // Alice moves to another thread: she leaves the first
    await until(bob.viewers, (viewers) => viewers?.viewers.length === 1);
    expect(bob.viewers.value?.viewers.map(({ id }) => id)).toEqual(['722']);
    await until(alice.viewers, (viewers) => viewers?.threadId === 'vue-2');

    alice.unmount();
    await app.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === 0 && metrics.liveSubscriptions('forumActivity') === 0);
    bob.unmount();
  });
});

describe('createRealtimeSseClient', () => {
  it('subscribes over SSE (single connection, the default) with the token in an Authorization header (fetch, not EventSource)', async () => {
    const sse = createRealtimeSseClient({ url: `${app.url}/stream`, getToken: () => userToken('731') });
    const live = app.expectSubscriptions('notification');
    const titles: string[] = [];
    const received = new Promise<void>((resolve, reject) => {
      const stop = sse.subscribe<{ notification: { title: string } }>(
        { query: print(NotificationsDocument), variables: { userId: '731' } },
        { next: ({ data }) => data && (titles.push(data.notification.title), stop(), resolve()), error: reject, complete: () => {} },
      );
    });
    await live();
    await postGraphQL(app.url, PUBLISH_NOTIFICATION, { input: { userId: '731', type: 'test', title: 'over SSE' } }, PUBLISHER_TOKEN);
    await received;
    sse.dispose();
    expect(titles).toEqual(['over SSE']);
  });
});
