import { errorCodes, postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION, PUBLISH_NOTIFICATIONS } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { unsignedToken, userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

interface NotificationData {
  notification: { id: string; userId: string; type: string; title: string; body: string | null; url: string | null; data: unknown; createdAt: string };
}

describe.each(BUSES)('notifications on the $name bus', (bus) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ ...bus.env(), PUBLISHER_TOKENS: `old-secret,${PUBLISHER_TOKEN}` });
  });

  const publish = (input: Record<string, unknown>, token: string | null = PUBLISHER_TOKEN) =>
    postGraphQL<{ publishNotification: { id: string; publishedAt: string } }>(server.url, PUBLISH_NOTIFICATION, { input }, token ?? undefined);

  function subscribeAs(userId: string, token: string) {
    const live = server.expectSubscriptions('notification');
    const client = connectClient(server.wsUrl, `Bearer ${token}`);
    const subscription = client.subscribe<NotificationData>(NOTIFICATION_SUBSCRIPTION, { userId });
    return { client, subscription, live };
  }

  it('delivers every field of a published notification to its user', async () => {
    const { subscription, live } = subscribeAs('41', await userToken(41));
    await live();
    const data = { threadId: 7, mentions: ['alice', 'bob'], nested: { ok: true } };
    const published = await publish({ userId: '41', type: 'thread.reply', title: 'New reply', body: 'Bob replied', url: '/threads/7', data });
    expect(published.errors).toBeUndefined();
    const result = await subscription.next();
    expect(result.data?.notification).toEqual({
      id: published.data?.publishNotification.id,
      userId: '41',
      type: 'thread.reply',
      title: 'New reply',
      body: 'Bob replied',
      url: '/threads/7',
      data,
      createdAt: published.data?.publishNotification.publishedAt,
    });
    expect(new Date(result.data!.notification.createdAt).toISOString()).toBe(result.data!.notification.createdAt);
    subscription.dispose();
  });

  it("delivers only the user's own notifications, in publish order, with increasing ids", async () => {
    const mine = subscribeAs('42', await userToken(42));
    await mine.live();
    const other = subscribeAs('43', await userToken(43));
    await other.live();

    const ids: string[] = [];
    for (let index = 0; index < 200; index += 1) {
      const response = await publish({ userId: index % 2 === 0 ? '42' : '43', type: 'count', title: `#${index}` });
      ids.push(response.data!.publishNotification.id);
    }
    const received = [];
    for (let index = 0; index < 100; index += 1) received.push((await mine.subscription.next()).data!.notification);
    expect(received.map((n) => n.title)).toEqual(Array.from({ length: 100 }, (_, i) => `#${i * 2}`));
    expect(received.every((n) => n.userId === '42')).toBe(true);
    expect(received.map((n) => n.id)).toEqual(ids.filter((_, i) => i % 2 === 0));
    const otherFirst = await other.subscription.next();
    expect(otherFirst.data!.notification.title).toBe('#1');
    mine.subscription.dispose();
    other.subscription.dispose();
  });

  it('accepts a numeric sub claim as the same user id', async () => {
    const { subscription, live: isLive } = subscribeAs('44', await userToken(44, { sub: 44 }));
    await isLive();
    await publish({ userId: '44', type: 't', title: 'numeric sub' });
    expect((await subscription.next()).data!.notification.title).toBe('numeric sub');
    subscription.dispose();
  });

  it.each([
    ['a bad signature', () => userToken(48, { secret: 'not-the-secret-at-all' })],
    ['an expired token', () => userToken(48, { expiresInSeconds: -60 })],
    ['an unsigned (alg none) token', async () => unsignedToken('48')],
    ['an HS512 token', () => userToken(48, { algorithm: 'HS512' })],
    ['something that is not a JWT', async () => 'not-a-jwt'],
  ])('closes the socket with 4403 for %s, before any subscription starts', async (_case, makeToken) => {
    const client = connectClient(server.wsUrl, `Bearer ${await makeToken()}`);
    const subscription = client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '48' });
    expect((await client.closed).code).toBe(4403);
    await expect(subscription.next()).rejects.toBeDefined();
  });

  it('lets only the publisher publish, with any of its rotated tokens', async () => {
    const input = { userId: '49', type: 't', title: 'x' };
    expect(errorCodes(await publish(input, null))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await publish(input, await userToken(49)))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await publish(input, await userToken(49, { roles: ['admin'] })))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await publish(input, 'neither-a-publisher-token-nor-a-jwt'))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await publish(input, await userToken(49, { expiresInSeconds: -5 })))).toEqual(['UNAUTHENTICATED']);
    expect((await publish(input, 'old-secret')).data?.publishNotification.id).toEqual(expect.any(String));
    expect((await publish(input, PUBLISHER_TOKEN)).data?.publishNotification.id).toEqual(expect.any(String));
  });

  it('refuses bad input with BAD_USER_INPUT and publishes none of it', async () => {
    const { subscription, live: isLive } = subscribeAs('50', await userToken(50));
    await isLive();
    expect(errorCodes(await publish({ userId: '50', type: 't', title: '   ' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ userId: '', type: 't', title: 'x' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ userId: '50', type: 't', title: 'x', data: { blob: 'x'.repeat(70_000) } }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ userId: '50', title: 'no type' }))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ userId: '50', type: 't', title: 'x', unknownField: 1 }))).toEqual(['BAD_USER_INPUT']);
    await publish({ userId: '50', type: 't', title: 'the only valid one' });
    expect((await subscription.next()).data!.notification.title).toBe('the only valid one');
    subscription.dispose();
  });

  const publishMany = (inputs: Array<Record<string, unknown>>, token: string | null = PUBLISHER_TOKEN) =>
    postGraphQL<{ publishNotifications: Array<{ id: string; publishedAt: string }> }>(server.url, PUBLISH_NOTIFICATIONS, { inputs }, token ?? undefined);

  it('publishes a batch in order, each to its own user, retained for replay', async () => {
    const first = subscribeAs('60', await userToken(60));
    await first.live();
    const second = subscribeAs('61', await userToken(61));
    await second.live();
    const inputs = Array.from({ length: 50 }, (_, index) => ({ userId: index % 2 === 0 ? '60' : '61', type: 'batch', title: `#${index}` }));
    const published = await publishMany(inputs);
    expect(published.errors).toBeUndefined();
    const results = published.data!.publishNotifications;
    expect(results).toHaveLength(50);
    for (const [subscription, parity] of [
      [first.subscription, 0],
      [second.subscription, 1],
    ] as const) {
      const expected = results.filter((_, index) => index % 2 === parity);
      for (const result of expected) {
        const { notification } = (await subscription.next()).data!;
        expect(notification.id).toBe(result.id);
        expect(notification.createdAt).toBe(result.publishedAt);
        expect(notification.title).toBe(inputs[results.indexOf(result)]!.title);
      }
    }
    // Retained like single publishes: a resubscribe after the first id replays the rest.
    const replayLive = server.expectSubscriptions('notification');
    const replay = connectClient(server.wsUrl, `Bearer ${await userToken(60)}`).subscribe<NotificationData>(
      'subscription ($userId: ID!, $after: ID) { notification(userId: $userId, after: $after) { id title } }',
      { userId: '60', after: results[0]!.id },
    );
    await replayLive();
    const replayed = [];
    for (let index = 2; index < 50; index += 2) replayed.push((await replay.next()).data!.notification.title);
    expect(replayed).toEqual(
      inputs
        .filter((_, index) => index % 2 === 0)
        .slice(1)
        .map((input) => input.title),
    );
    for (const subscription of [first.subscription, second.subscription, replay]) subscription.dispose();
  });

  it('refuses a whole batch when any input is invalid or it is too big, and only the publisher may send one', async () => {
    const { subscription, live } = subscribeAs('62', await userToken(62));
    await live();
    const valid = { userId: '62', type: 't', title: 'refused with the batch' };
    const refused = await publishMany([valid, valid, { userId: '62', type: 't', title: ' ' }, valid]);
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0]!.message).toContain('inputs[2]');
    expect(errorCodes(await publishMany([valid, { ...valid, data: { blob: 'x'.repeat(70_000) } }]))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publishMany(Array.from({ length: 1001 }, () => valid)))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publishMany(Array.from({ length: 20 }, () => ({ ...valid, body: 'x'.repeat(60_000) }))))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publishMany([valid], null))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await publishMany([valid], await userToken(62)))).toEqual(['FORBIDDEN']);
    expect((await publishMany([])).data?.publishNotifications).toEqual([]);
    await publish({ userId: '62', type: 't', title: 'the only valid one' });
    expect((await subscription.next()).data!.notification.title).toBe('the only valid one');
    subscription.dispose();
  });
});
