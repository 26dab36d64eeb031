import Pusher from 'pusher';
import { signPusherRequest } from '../../src/laravel/pusher-signature';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION } from '../utils/operations';
import { counterValue } from '../utils/laravel';
import { BUSES } from '../utils/redis';
import { startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

const credentials = { appId: '1001', key: 'mechamap-key', secret: 'mechamap-secret-for-tests' };

/** The real `pusher` server SDK, which signs as Laravel's pusher-php-server does, pointed at the service. */
const pusherFor = (server: TestApp, overrides: Partial<typeof credentials> = {}) => {
  const { port } = new URL(server.origin);
  return new Pusher({ ...credentials, ...overrides, host: '127.0.0.1', port, useTLS: false });
};

describe.each(BUSES)('the Pusher HTTP API, on the $name bus', (bus) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({
      ...bus.env(),
      MAX_PAYLOAD_BYTES: '4096',
      PUSHER_APP_ID: credentials.appId,
      PUSHER_APP_KEY: credentials.key,
      PUSHER_APP_SECRET: credentials.secret,
    });
  });

  it('`trigger` of a notification reaches the notifiable and answers {} like Pusher', async () => {
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(51)}`).subscribe<{ notification: Record<string, unknown> }>(
      NOTIFICATION_SUBSCRIPTION,
      {
        userId: '51',
      },
    );
    await live();
    const response = await pusherFor(server).trigger('private-App.Models.User.51', 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated', {
      id: 'b2c1',
      type: 'App\\Notifications\\ThreadReplied',
      title: 'Over the Pusher API',
      url: '/threads/1',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect((await subscription.next()).data!.notification).toMatchObject({
      userId: '51',
      type: 'App\\Notifications\\ThreadReplied',
      title: 'Over the Pusher API',
      url: '/threads/1',
      data: { id: 'b2c1' },
    });
  });

  it('`trigger` on several channels and `triggerBatch` reach forumActivity subscribers, in order', async () => {
    const live = server.expectSubscriptions('forumActivity');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(52)}`).subscribe<{ forumActivity: Record<string, unknown> }>(
      FORUM_ACTIVITY_SUBSCRIPTION,
      { forumId: '77' },
    );
    await live();
    const pusher = pusherFor(server);
    await pusher.trigger(['forum.77', 'private-forum.77'], 'App\\Events\\ThreadCreated', { thread_id: 1, title: 'Both ways' });
    await pusher.triggerBatch([
      { channel: 'forum.77', name: 'post.created', data: JSON.stringify({ post_id: 2, thread_id: 1 }) },
      { channel: 'private-staff.forum.77', name: 'post.deleted', data: JSON.stringify({ post_id: 3 }) },
      { channel: 'private-forum.77', name: 'reaction.added', data: JSON.stringify({ post_id: 2 }) },
    ]);
    const received = [];
    for (let index = 0; index < 4; index += 1) received.push((await subscription.next()).data!.forumActivity);
    // The STAFF event is not for a member.
    expect(received.map(({ kind, visibility }) => `${String(kind)} ${String(visibility)}`)).toEqual([
      'THREAD_CREATED PUBLIC',
      'THREAD_CREATED MEMBERS',
      'POST_CREATED PUBLIC',
      'REACTION_ADDED MEMBERS',
    ]);
  });

  it('refuses a wrong secret with 401 and publishes nothing', async () => {
    const live = server.expectSubscriptions('forumActivity');
    const subscription = connectClient(server.wsUrl).subscribe<{ forumActivity: { title: string } }>(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: '78' });
    await live();
    const refused = await pusherFor(server, { secret: 'not-the-secret' })
      .trigger('forum.78', 'ThreadCreated', { title: 'forged' })
      .then(
        () => undefined,
        (error: Pusher.RequestError) => error,
      );
    expect(refused).toMatchObject({ status: 401 });
    expect(JSON.parse(refused!.body!)).toEqual({ error: 'Invalid auth_signature.' });
    const refusedKey = await pusherFor(server, { key: 'other-key' })
      .trigger('forum.78', 'ThreadCreated', { title: 'forged' })
      .then(
        () => undefined,
        (error: Pusher.RequestError) => error,
      );
    expect(refusedKey).toMatchObject({ status: 401 });

    await pusherFor(server).trigger('forum.78', 'ThreadCreated', { title: 'genuine' });
    expect((await subscription.next()).data!.forumActivity.title).toBe('genuine');
  });

  it('answers 404 for another app id, 413 over MAX_PAYLOAD_BYTES, 400 for a body it cannot read, 401 when signed long ago', async () => {
    const rejected = await pusherFor(server, { appId: '999' })
      .trigger('forum.1', 'ThreadCreated', {})
      .then(
        () => undefined,
        (error: Pusher.RequestError) => error,
      );
    expect(rejected).toMatchObject({ status: 404 });

    const post = async (path: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)) => {
      const query = signPusherRequest(credentials, 'POST', path, body, nowSeconds);
      return fetch(`${server.origin}${path}?${query}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    };
    const huge = JSON.stringify({ name: 'ThreadCreated', channels: ['forum.1'], data: JSON.stringify({ title: 'x'.repeat(5000) }) });
    expect((await post('/apps/1001/events', huge)).status).toBe(413);
    const unreadable = await post('/apps/1001/batch_events', '{"events": []}');
    expect(unreadable.status).toBe(400);
    expect(await unreadable.json()).toEqual({ error: 'The body must be {"batch": [...]}.' });
    const old = await post('/apps/1001/events', '{"name":"ThreadCreated","channels":["forum.1"],"data":"{}"}', Math.floor(Date.now() / 1000) - 601);
    expect(old.status).toBe(401);
    expect((await fetch(`${server.origin}/apps/1001/channels`)).status).toBe(404);
  });

  it('counts an unknown event and answers 200, as Pusher accepts any event', async () => {
    const sample = 'realtime_laravel_messages_total{source="pusher",outcome="unknown_event"}';
    const before = await counterValue(server.origin, sample);
    expect((await pusherFor(server).trigger('forum.1', 'App\\Events\\UserBanned', {})).status).toBe(200);
    expect(await counterValue(server.origin, sample)).toBe(before + 1);
  });
});
