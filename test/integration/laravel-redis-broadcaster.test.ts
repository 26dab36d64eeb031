import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION } from '../utils/operations';
import { counterValue, isolatedLaravelPrefix, laravelRedis, waitForCounter } from '../utils/laravel';
import { BUSES, REDIS_URL } from '../utils/redis';
import { startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

/**
 * Messages exactly as Laravel's RedisBroadcaster writes them: json_encode (slashes and non-ASCII
 * escaped) of {"event", "data", "socket"}, published on `<database.redis.options.prefix><channel>`.
 * Laravel before 11 leaves "socket" inside "data" too; both are accepted.
 */
const notificationMessage = (id: string, title: string) =>
  `{"event":"Illuminate\\\\Notifications\\\\Events\\\\BroadcastNotificationCreated","data":{"title":"${title}","body":"Ren\\u00e9 replied to \\"Gears\\"","url":"https:\\/\\/forum.mechamap.test\\/threads\\/345#post-6789","threadId":345,"id":"${id}","type":"App\\\\Notifications\\\\ThreadReplied","socket":null},"socket":null}`;

const postCreatedMessage =
  '{"event":"App\\\\Events\\\\PostCreated","data":{"post":{"id":6789,"thread_id":345,"excerpt":"First!"},"user_id":42,"url":"https:\\/\\/forum.mechamap.test\\/threads\\/345"},"socket":"1234.5678"}';

const RESUMING = /* GraphQL */ `
  subscription Resume($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      type
      title
      body
      url
      data
    }
  }
`;

describe.each(BUSES)("Laravel's redis broadcaster, on the $name bus", (bus) => {
  const prefix = isolatedLaravelPrefix();
  const laravel = laravelRedis(prefix);
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ ...bus.env(), LARAVEL_REDIS_URL: REDIS_URL, LARAVEL_REDIS_PREFIX: prefix });
  });

  it('delivers BroadcastNotificationCreated to the notifiable, retained and replayable with `after`', async () => {
    const live = server.expectSubscriptions('notification');
    const client = connectClient(server.wsUrl, `Bearer ${await userToken(42)}`);
    const subscription = client.subscribe<{ notification: { id: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '42' });
    await live();

    await laravel.publishRaw('private-App.Models.User.42', notificationMessage('9f1c1b6e-0000-4000-8000-000000000001', 'First reply'));
    await laravel.publishRaw('private-App.Models.User.42', notificationMessage('9f1c1b6e-0000-4000-8000-000000000002', 'Second reply'));
    const first = await subscription.next();
    expect(first.data!.notification).toEqual({
      id: expect.any(String),
      userId: '42',
      type: 'App\\Notifications\\ThreadReplied',
      title: 'First reply',
      body: 'René replied to "Gears"',
      url: 'https://forum.mechamap.test/threads/345#post-6789',
      data: {
        title: 'First reply',
        body: 'René replied to "Gears"',
        url: 'https://forum.mechamap.test/threads/345#post-6789',
        threadId: 345,
        id: '9f1c1b6e-0000-4000-8000-000000000001',
        type: 'App\\Notifications\\ThreadReplied',
      },
      createdAt: expect.any(String),
    });
    const second = await subscription.next();
    expect(second.data!.notification).toMatchObject({ title: 'Second reply' });

    const resumed = client.subscribe<{ notification: { id: string; title: string } }>(RESUMING, { userId: '42', after: first.data!.notification.id });
    expect((await resumed.next()).data!.notification).toMatchObject({ id: second.data!.notification.id, title: 'Second reply' });
  });

  it('delivers a forum event through the channel map, with the visibility of its channel', async () => {
    const live = server.expectSubscriptions('forumActivity', 2);
    const member = connectClient(server.wsUrl, `Bearer ${await userToken(7)}`).subscribe<{ forumActivity: Record<string, unknown> }>(
      FORUM_ACTIVITY_SUBSCRIPTION,
      {
        forumId: '12',
      },
    );
    const anonymous = connectClient(server.wsUrl).subscribe<{ forumActivity: Record<string, unknown> }>(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: '12' });
    await live();

    await laravel.publishRaw('private-forum.12', postCreatedMessage);
    await laravel.publishRaw('forum.12', '{"event":"thread.created","data":{"threadId":346,"title":"Public thread","socket":null},"socket":null}');
    expect((await member.next()).data!.forumActivity).toMatchObject({
      kind: 'POST_CREATED',
      forumId: '12',
      threadId: '345',
      postId: '6789',
      actorId: '42',
      excerpt: 'First!',
      url: 'https://forum.mechamap.test/threads/345',
      visibility: 'MEMBERS',
      data: { post: { id: 6789, thread_id: 345, excerpt: 'First!' }, user_id: 42, url: 'https://forum.mechamap.test/threads/345' },
    });
    expect((await member.next()).data!.forumActivity).toMatchObject({ kind: 'THREAD_CREATED', threadId: '346', visibility: 'PUBLIC' });
    // The anonymous subscriber never sees the MEMBERS event: its first is the public one.
    expect((await anonymous.next()).data!.forumActivity).toMatchObject({ kind: 'THREAD_CREATED', title: 'Public thread' });
  });

  it('counts unknown channels and events and malformed messages in /metrics, and carries on', async () => {
    const sample = (outcome: string) => `realtime_laravel_messages_total{source="redis",outcome="${outcome}"}`;
    const before = await Promise.all(['unknown_event', 'unknown_channel', 'malformed'].map((outcome) => counterValue(server.origin, sample(outcome))));
    await laravel.publishRaw('forum.12', '{"event":"App\\\\Events\\\\UserBanned","data":{"userId":3},"socket":null}');
    await laravel.publishRaw('forum.12', '{"event":"App\\\\Events\\\\UserBanned","data":{"userId":4},"socket":null}');
    await laravel.publishRaw('chat.room.1', '{"event":"MessageSent","data":{},"socket":null}');
    await laravel.publishRaw('forum.12', 'not json at all');
    await laravel.publishRaw('thread.9', '{"event":"ThreadUpdated","data":{"title":"no forum named"},"socket":null}');
    await waitForCounter(server.origin, sample('malformed'), before[2]! + 2);
    expect(await counterValue(server.origin, sample('unknown_event'))).toBe(before[0]! + 2);
    expect(await counterValue(server.origin, sample('unknown_channel'))).toBe(before[1]! + 1);

    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(43)}`).subscribe<{ notification: { title: string } }>(
      NOTIFICATION_SUBSCRIPTION,
      {
        userId: '43',
      },
    );
    await live();
    await laravel.publishRaw('private-App.Models.User.43', notificationMessage('9f1c1b6e-0000-4000-8000-000000000003', 'Still here'));
    expect((await subscription.next()).data!.notification.title).toBe('Still here');
  });
});
