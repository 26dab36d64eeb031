import { isolatedLaravelPrefix, counterValue } from '../utils/laravel';
import { LARAVEL_PACKAGES, PHP, startLaravelFixture, type BroadcastRequest, type FixturePost, type LaravelFixture } from '../utils/laravel-fixture';
import { freePort } from '../utils/free-port';
import { describeWithProgram } from '../utils/programs';
import { REDIS_URL } from '../utils/redis';
import { subscribeOverSse } from '../utils/sse';
import { connectSseClient } from '../utils/sse-client';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { connectClient, failureCodes } from '../utils/ws-client';

const JWT_SECRET = 'laravel-authorization-test-secret';
const TTL_SECONDS = 2;

const NOTIFICATION = 'subscription ($userId: ID!) { notification(userId: $userId) { id userId type title body url data createdAt } }';
const FORUM_ACTIVITY = `subscription ($forumId: ID) { forumActivity(forumId: $forumId) {
  id kind forumId threadId postId actorId title excerpt url visibility data occurredAt } }`;
const THREAD_VIEWERS = 'subscription ($threadId: ID!) { threadViewers(threadId: $threadId) { threadId count viewers { id info } } }';
const TYPING = 'subscription ($threadId: ID!) { typing(threadId: $threadId) { threadId userId } }';
const PUBLISH = 'mutation ($input: PublishForumActivityInput!) { publishForumActivity(input: $input) { id } }';

type Activity = { forumActivity: Record<string, unknown> };

/** Post `postId`, by Mia (3). */
const reply = (forumId: number, threadId: number, postId: number): FixturePost => ({
  forumId,
  threadId,
  postId,
  actorId: 3,
  title: `Post ${postId}`,
  excerpt: `Excerpt ${postId}`,
  url: `/threads/${threadId}#post-${postId}`,
});

/** A PostCreated of post `postId` on `channel`, as MechaMap's controllers would broadcast it. */
const post = (channel: string, forumId: number, threadId: number, postId: number): BroadcastRequest => ({ channel, ...reply(forumId, threadId, postId) });

describeWithProgram(PHP, LARAVEL_PACKAGES, "Laravel's routes/channels.php decides who sees what (LARAVEL_AUTH_URL), on a real Laravel", () => {
  let service: TestApp;
  let laravel: LaravelFixture;
  const token: Record<number, string> = {};

  beforeAll(async () => {
    const redisPrefix = isolatedLaravelPrefix();
    const laravelPort = await freePort();
    service = await startTestApp({
      JWT_SECRET,
      LARAVEL_REDIS_URL: REDIS_URL,
      LARAVEL_REDIS_PREFIX: redisPrefix,
      LARAVEL_AUTH_URL: `http://127.0.0.1:${laravelPort}/realtime/broadcasting/auth`,
      LARAVEL_AUTH_TTL_SECONDS: String(TTL_SECONDS),
      LARAVEL_AUTH_TIMEOUT_MS: '1000',
    });
    laravel = await startLaravelFixture({
      port: laravelPort,
      realtimeUrl: service.origin,
      publisherToken: PUBLISHER_TOKEN,
      jwtSecret: JWT_SECRET,
      redisPrefix,
    });
    for (const user of [1, 2, 3]) token[user] = await laravel.token(user);
  });

  const publish = async (input: Record<string, unknown>) => {
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${PUBLISHER_TOKEN}` },
      body: JSON.stringify({ query: PUBLISH, variables: { input } }),
    });
    const body = (await response.json()) as { errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
  };

  it('$user->notify() through the broadcast channel arrives as a notification, every field and the notification id intact', async () => {
    const live = service.expectSubscriptions('notification');
    const alice = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe(NOTIFICATION, { userId: '1' });
    await live();
    await laravel.notify(1, 'broadcast', { title: 'Bo replied', body: 'to "Gears"', url: '/threads/345', threadId: 345 });
    const { data } = await alice.next();
    expect(data?.['notification']).toEqual({
      id: expect.any(String),
      userId: '1',
      type: 'App\\Notifications\\SomethingHappened',
      title: 'Bo replied',
      body: 'to "Gears"',
      url: '/threads/345',
      data: {
        title: 'Bo replied',
        body: 'to "Gears"',
        url: '/threads/345',
        threadId: 345,
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'App\\Notifications\\SomethingHappened',
      },
      createdAt: expect.any(String),
    });
  });

  it("the guide's via() during the split: RealtimeChannel publishes through clients/php from inside the app, with the id that marks Laravel's database row read", async () => {
    const live = service.expectSubscriptions('notification');
    const alice = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe(NOTIFICATION, { userId: '1' });
    await live();
    await laravel.notify(1, 'split', { title: 'Mentioned', url: '/threads/345' });
    const { data } = await alice.next();
    const notification = data?.['notification'] as { data: { id: string } };
    expect(notification).toMatchObject({
      userId: '1',
      type: 'App\\Notifications\\ThreadReplied',
      title: 'Mentioned',
      url: '/threads/345',
      data: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), title: 'Mentioned', url: '/threads/345' },
    });
    // `broadcast` went to Reverb's connection (the `log` broadcaster here), with the same id.
    await laravel.logged(new RegExp(`"id": "${notification.data.id}"`));
    expect(await laravel.markRead(1, notification.data.id)).toEqual(expect.any(String));
  });

  it("public, private and presence broadcasts: forum 7's members receive its private activity over WebSocket, SSE and graphql-sse, a non-member never does", async () => {
    const live = service.expectSubscriptions('forumActivity', 7);
    const aliceWs = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe<Activity>(FORUM_ACTIVITY, { forumId: '7' });
    const aliceSse = await subscribeOverSse(service.url, FORUM_ACTIVITY, {}, token[1]);
    const bobWs = connectClient(service.wsUrl, `Bearer ${token[2]}`).subscribe<Activity>(FORUM_ACTIVITY, {});
    const bobSse = await subscribeOverSse(service.url, FORUM_ACTIVITY, {}, token[2]);
    const anonymous = connectClient(service.wsUrl).subscribe<Activity>(FORUM_ACTIVITY, {});
    // graphql-sse's own client at /graphql/stream, in its single connection mode.
    const streamUrl = service.url.replace(/\/graphql$/, '/graphql/stream');
    const aliceStream = connectSseClient(streamUrl, { token: () => token[1], singleConnection: true }).subscribe<Activity>(FORUM_ACTIVITY, {});
    const bobStream = connectSseClient(streamUrl, { token: () => token[2], singleConnection: true }).subscribe<Activity>(FORUM_ACTIVITY, {});
    await live();
    try {
      await laravel.broadcast(post('private-forum.7', 7, 777, 101));
      await laravel.broadcast(post('forum.1', 1, 345, 102));
      await laravel.broadcast(post('presence-thread.777', 7, 777, 103));
      await laravel.broadcast(post('forum.1', 1, 345, 104));

      expect((await aliceWs.next()).data?.forumActivity).toEqual({
        id: expect.any(String),
        kind: 'POST_CREATED',
        forumId: '7',
        threadId: '777',
        postId: '101',
        actorId: '3',
        title: 'Post 101',
        excerpt: 'Excerpt 101',
        url: '/threads/777#post-101',
        visibility: 'MEMBERS',
        data: { forumId: 7, threadId: 777, postId: 101, user_id: 3, title: 'Post 101', excerpt: 'Excerpt 101', url: '/threads/777#post-101' },
        occurredAt: expect.any(String),
      });
      expect((await aliceWs.next()).data?.forumActivity).toMatchObject({ postId: '103', threadId: '777' });
      const postIdsOf = async (next: () => Promise<unknown>, count: number) => {
        const ids: unknown[] = [];
        for (let i = 0; i < count; i += 1) {
          const result = (await next()) as { data?: Activity; payload?: { data?: Activity } };
          ids.push((result.data ?? result.payload?.data)?.forumActivity['postId']);
        }
        return ids;
      };
      expect(await postIdsOf(aliceSse.next, 4)).toEqual(['101', '102', '103', '104']);
      // The public posts on either side of the private ones: nothing private came in between.
      expect(await postIdsOf(() => bobWs.next(), 2)).toEqual(['102', '104']);
      expect(await postIdsOf(bobSse.next, 2)).toEqual(['102', '104']);
      expect(await postIdsOf(() => anonymous.next(), 2)).toEqual(['102', '104']);
      expect(await postIdsOf(() => aliceStream.next(), 4)).toEqual(['101', '102', '103', '104']);
      expect(await postIdsOf(() => bobStream.next(), 2)).toEqual(['102', '104']);
      expect(await counterValue(service.origin, 'realtime_laravel_auth_requests_total{outcome="refused"}')).toBeGreaterThan(0);
    } finally {
      aliceSse.close();
      bobSse.close();
    }
  });

  it("broadcastConnections() [null, 'realtime'] publishes to Reverb's connection and the service; when the first connection fails, the service gets nothing; the guide's one queued job per connection gets through", async () => {
    const live = service.expectSubscriptions('forumActivity');
    const anonymous = connectClient(service.wsUrl).subscribe<Activity>(FORUM_ACTIVITY, { forumId: '1' });
    await live();
    expect(await laravel.splitBroadcast('log', 1, 345, 'Both stacks')).toBe(200);
    expect((await anonymous.next()).data?.forumActivity).toMatchObject({ kind: 'THREAD_CREATED', forumId: '1', threadId: '345', title: 'Both stacks' });
    await laravel.logged(/Broadcasting \[App\\Events\\ThreadCreated\] on channels \[forum\.1\]/);

    expect(await laravel.splitBroadcast('unreachable', 1, 345, 'Reverb down')).toBe(500);
    // One queued event per connection instead (the guide's broadcastVia() lines): each job stands alone.
    expect(await laravel.broadcastVia('unreachable', reply(1, 345, 601))).toBe(2);
    expect(await laravel.workQueue({ 'broadcasting.default': 'unreachable' })).toEqual({ processed: 1, released: 0, failed: 1 });
    expect((await anonymous.next()).data?.forumActivity).toMatchObject({ kind: 'POST_CREATED', forumId: '1', postId: '601' });
  });

  it("presence carries what channels.php returned (info.name); a refused user gets FORBIDDEN and never appears in anyone's list", async () => {
    type Viewers = { threadViewers: { count: number; viewers: Array<{ id: string; info: { name: string } }> } };
    const alice = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe<Viewers>(THREAD_VIEWERS, { threadId: '777' });
    expect((await alice.next()).data?.threadViewers).toEqual({ threadId: '777', count: 1, viewers: [{ id: '1', info: { id: 1, name: 'Alice' } }] });

    const bob = connectClient(service.wsUrl, `Bearer ${token[2]}`);
    expect(failureCodes(await bob.subscribe(THREAD_VIEWERS, { threadId: '777' }).failure())).toEqual(['FORBIDDEN']);
    expect(failureCodes(await bob.subscribe(TYPING, { threadId: '777' }).failure())).toEqual(['FORBIDDEN']);
    const asBob = (query: string) =>
      fetch(service.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token[2]}` },
        body: JSON.stringify({ query }),
      }).then((response) => response.json() as Promise<{ errors?: unknown[] }>);
    expect(failureCodes((await asBob('{ threadViewers(threadId: "777") { count } }')).errors)).toEqual(['FORBIDDEN']);
    expect(failureCodes((await asBob('mutation { typing(threadId: "777") }')).errors)).toEqual(['FORBIDDEN']);
    expect(failureCodes(await connectClient(service.wsUrl).subscribe(THREAD_VIEWERS, { threadId: '777' }).failure())).toEqual(['UNAUTHENTICATED']);

    const mia = connectClient(service.wsUrl, `Bearer ${token[3]}`);
    mia.subscribe(THREAD_VIEWERS, { threadId: '777' });
    expect((await alice.next()).data?.threadViewers).toEqual({
      threadId: '777',
      count: 2,
      viewers: [
        { id: '1', info: { id: 1, name: 'Alice' } },
        { id: '3', info: { id: 3, name: 'Mia' } },
      ],
    });

    const live = service.expectSubscriptions('typing');
    const aliceSeesTyping = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe<{ typing: unknown }>(TYPING, { threadId: '777' });
    await live();
    const typed = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token[3]}` },
      body: JSON.stringify({ query: 'mutation { typing(threadId: "777") }' }),
    }).then((response) => response.json());
    expect(typed).toEqual({ data: { typing: true } });
    expect((await aliceSeesTyping.next()).data?.typing).toEqual({ threadId: '777', userId: '3' });
  });

  it('removing the membership row stops delivery within the TTL, on open subscriptions: activity, and presence (she leaves the list)', async () => {
    type Viewers = { threadViewers: { viewers: Array<{ id: string }> } };
    const live = service.expectSubscriptions('forumActivity');
    const mia = connectClient(service.wsUrl, `Bearer ${token[3]}`);
    const miaActivity = mia.subscribe<Activity>(FORUM_ACTIVITY, { forumId: '7' });
    await live();
    const miaPresence = mia.subscribe<Viewers>(THREAD_VIEWERS, { threadId: '777' });
    await miaPresence.next();
    const alice = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe<Viewers>(THREAD_VIEWERS, { threadId: '777' });
    expect((await alice.next()).data?.threadViewers.viewers.map((viewer) => viewer.id)).toEqual(['1', '3']);
    await laravel.broadcast(post('private-forum.7', 7, 777, 201));
    expect((await miaActivity.next()).data?.forumActivity).toMatchObject({ postId: '201' });

    await laravel.removeMembership(3, 7);
    const removedAt = Date.now();
    expect(failureCodes(await miaPresence.failure())).toEqual(['FORBIDDEN']);
    expect(Date.now() - removedAt).toBeLessThan(TTL_SECONDS * 1000 + 1500);
    expect((await alice.next()).data?.threadViewers.viewers.map((viewer) => viewer.id)).toEqual(['1']);

    await new Promise((resolve) => setTimeout(resolve, Math.max(0, removedAt + TTL_SECONDS * 1000 + 200 - Date.now()))); // the TTL is a clock: what is tested is that it ran out
    await laravel.broadcast(post('private-forum.7', 7, 777, 202));
    await laravel.broadcast(post('forum.7', 7, 777, 203));
    expect((await miaActivity.next()).data?.forumActivity).toMatchObject({ postId: '203', visibility: 'PUBLIC' });
  });

  it('Laravel stopped: public activity goes on, nothing private leaks, presence is UNAVAILABLE, /readyz stays 200; back: it all resumes', async () => {
    const live = service.expectSubscriptions('forumActivity');
    const alice = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe<Activity>(FORUM_ACTIVITY, { forumId: '7' });
    await live();
    await laravel.stop();
    try {
      await new Promise((resolve) => setTimeout(resolve, TTL_SECONDS * 1000 + 200)); // let Alice's decision expire
      await publish({ kind: 'POST_CREATED', forumId: '7', postId: '301', channel: 'private-forum.7' });
      await publish({ kind: 'POST_CREATED', forumId: '7', postId: '302', channel: 'forum.7' });
      expect((await alice.next()).data?.forumActivity).toMatchObject({ postId: '302' });
      const viewers = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe(THREAD_VIEWERS, { threadId: '777' });
      expect(failureCodes(await viewers.failure())).toEqual(['UNAVAILABLE']);
      expect((await fetch(`${service.origin}/readyz`)).status).toBe(200);
      expect(await counterValue(service.origin, 'realtime_laravel_auth_unavailable')).toBe(1);
    } finally {
      await laravel.start();
    }
    // A client retries; Laravel answers again within a second of being back (an unavailable answer is reused that long).
    let marker = 400;
    for (;;) {
      marker += 2;
      await publish({ kind: 'POST_CREATED', forumId: '7', postId: String(marker), channel: 'private-forum.7' });
      await publish({ kind: 'POST_CREATED', forumId: '7', postId: String(marker + 1), channel: 'forum.7' });
      const first = (await alice.next()).data?.forumActivity;
      if (first?.['postId'] === String(marker)) break;
      expect(first).toMatchObject({ postId: String(marker + 1) });
    }
    expect((await alice.next()).data?.forumActivity).toMatchObject({ postId: String(marker + 1) });
    for (;;) {
      const viewers = connectClient(service.wsUrl, `Bearer ${token[1]}`).subscribe<{ threadViewers: unknown }>(THREAD_VIEWERS, { threadId: '777' });
      const result = await viewers.next();
      if (!result.errors) break;
      expect(failureCodes(result.errors)).toEqual(['UNAVAILABLE']);
      await new Promise((resolve) => setTimeout(resolve, 200)); // a client's retry delay
    }
    expect(await counterValue(service.origin, 'realtime_laravel_auth_unavailable')).toBe(0);
  });
});
