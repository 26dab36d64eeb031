import { errorCodes, postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITIES, PUBLISH_FORUM_ACTIVITY } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { transportsAndBuses } from '../utils/transports';
import type { TestSubscription } from '../utils/ws-client';

interface ActivityData {
  forumActivity: Record<string, unknown> & { title: string };
}

describe.each(transportsAndBuses(BUSES))('forum activity over $transport.name on the $bus.name bus', ({ transport, bus }) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp(bus.env());
  });

  const publish = (input: Record<string, unknown>, token?: string) =>
    postGraphQL<{ publishForumActivity: { id: string; publishedAt: string } }>(server.url, PUBLISH_FORUM_ACTIVITY, { input }, token);

  /** Subscribes each viewer and resolves once all their subscriptions are live. */
  async function subscribeAll(viewers: Array<{ token?: string; variables?: Record<string, unknown> }>) {
    const live = server.expectSubscriptions('forumActivity', viewers.length);
    const subscriptions = viewers.map(({ token, variables }) =>
      transport.connect(server, token).subscribe<ActivityData>(FORUM_ACTIVITY_SUBSCRIPTION, variables),
    );
    await live();
    return subscriptions;
  }

  /** Takes results until the marker arrives: everything before it is what the viewer saw. */
  async function titlesUntilMarker(subscription: TestSubscription<ActivityData>): Promise<string[]> {
    const titles: string[] = [];
    for (;;) {
      const { title } = (await subscription.next()).data!.forumActivity;
      if (title === 'marker') return titles;
      titles.push(title);
    }
  }

  it('delivers every field of an event', async () => {
    const [subscription] = await subscribeAll([{}]);
    const input = {
      kind: 'POST_CREATED',
      forumId: 'f1',
      threadId: 't1',
      postId: 'p1',
      actorId: 'u1',
      title: 'Bearing loads',
      excerpt: 'How do I size…',
      url: '/threads/t1#p1',
      data: { tags: ['bearings'] },
    };
    const published = await publish(input, PUBLISHER_TOKEN);
    expect((await subscription!.next()).data!.forumActivity).toEqual({
      ...input,
      id: published.data!.publishForumActivity.id,
      visibility: 'PUBLIC',
      occurredAt: published.data!.publishForumActivity.publishedAt,
    });
  });

  it('shows each event only to those its visibility allows, whatever they ask for', async () => {
    const [anonymous, member, moderator, admin] = await subscribeAll([
      {},
      { token: await userToken(1) },
      { token: await userToken(2, { roles: ['moderator'] }) },
      { token: await userToken(3, { roles: ['admin', 'editor'] }) },
    ]);
    for (const visibility of ['PUBLIC', 'MEMBERS', 'STAFF']) {
      await publish({ kind: 'THREAD_CREATED', forumId: 'f1', title: visibility, visibility }, PUBLISHER_TOKEN);
    }
    await publish({ kind: 'THREAD_CREATED', forumId: 'f1', title: 'marker' }, PUBLISHER_TOKEN);
    expect(await titlesUntilMarker(anonymous!)).toEqual(['PUBLIC']);
    expect(await titlesUntilMarker(member!)).toEqual(['PUBLIC', 'MEMBERS']);
    expect(await titlesUntilMarker(moderator!)).toEqual(['PUBLIC', 'MEMBERS', 'STAFF']);
    expect(await titlesUntilMarker(admin!)).toEqual(['PUBLIC', 'MEMBERS', 'STAFF']);
  });

  it('narrows by forumId, threadId and kinds, all of them together', async () => {
    const member = await userToken(4);
    const [byForum, byThread, byKinds, byAll] = await subscribeAll([
      { token: member, variables: { forumId: 'f2' } },
      { token: member, variables: { threadId: 't9' } },
      { token: member, variables: { kinds: ['POST_DELETED', 'REACTION_ADDED'] } },
      { token: member, variables: { forumId: 'f2', threadId: 't9', kinds: ['REACTION_ADDED'] } },
    ]);
    const events = [
      { kind: 'THREAD_CREATED', forumId: 'f2', title: 'f2 thread' },
      { kind: 'POST_CREATED', forumId: 'f3', threadId: 't9', title: 'f3 t9 post' },
      { kind: 'REACTION_ADDED', forumId: 'f2', threadId: 't9', title: 'f2 t9 reaction' },
      { kind: 'POST_DELETED', forumId: 'f3', threadId: 't1', title: 'f3 t1 deleted' },
      { kind: 'REACTION_ADDED', forumId: 'f2', threadId: 't9', title: 'f2 t9 members reaction', visibility: 'MEMBERS' },
      { kind: 'REACTION_ADDED', forumId: 'f2', threadId: 't9', title: 'f2 t9 staff reaction', visibility: 'STAFF' },
    ];
    for (const event of events) await publish(event, PUBLISHER_TOKEN);
    await publish({ kind: 'THREAD_CREATED', forumId: 'f2', threadId: 't9', title: 'marker' }, PUBLISHER_TOKEN);
    await publish({ kind: 'REACTION_ADDED', forumId: 'f2', threadId: 't9', title: 'marker' }, PUBLISHER_TOKEN);
    await publish({ kind: 'POST_DELETED', forumId: 'f2', threadId: 't9', title: 'marker' }, PUBLISHER_TOKEN);
    expect(await titlesUntilMarker(byForum!)).toEqual(['f2 thread', 'f2 t9 reaction', 'f2 t9 members reaction']);
    expect(await titlesUntilMarker(byThread!)).toEqual(['f3 t9 post', 'f2 t9 reaction', 'f2 t9 members reaction']);
    expect(await titlesUntilMarker(byKinds!)).toEqual(['f2 t9 reaction', 'f3 t1 deleted', 'f2 t9 members reaction']);
    expect(await titlesUntilMarker(byAll!)).toEqual(['f2 t9 reaction', 'f2 t9 members reaction']);
  });

  it('keeps publish order for a subscriber across visibility classes', async () => {
    const [staff] = await subscribeAll([{ token: await userToken(5, { roles: ['admin'] }) }]);
    const visibilities = ['PUBLIC', 'MEMBERS', 'STAFF'];
    const titles = Array.from({ length: 60 }, (_, index) => `${index}`);
    for (const [index, title] of titles.entries()) {
      await publish({ kind: 'POST_CREATED', forumId: 'f5', title, visibility: visibilities[index % 3] }, PUBLISHER_TOKEN);
    }
    await publish({ kind: 'POST_CREATED', forumId: 'f5', title: 'marker' }, PUBLISHER_TOKEN);
    expect(await titlesUntilMarker(staff!)).toEqual(titles);
  });

  it('shares one execution among subscribers of one class, counting each of them, until the last leaves', async () => {
    const metrics = server.app.metrics;
    const liveBefore = metrics.liveSubscriptions('forumActivity');
    const executionsBefore = server.app.sharedExecutionCount();
    const variables = { forumId: 'f7' };
    const tokens = await Promise.all([10, 11, 12].map((id) => userToken(id)));
    const [first, second, third] = await subscribeAll(tokens.map((token) => ({ token, variables })));
    const [anonymous] = await subscribeAll([{ variables }]);
    expect(metrics.liveSubscriptions('forumActivity')).toBe(liveBefore + 4);
    // One execution for the three members, one for the anonymous subscriber.
    expect(server.app.sharedExecutionCount()).toBe(executionsBefore + 2);

    await publish({ kind: 'POST_CREATED', forumId: 'f7', title: 'members only', visibility: 'MEMBERS' }, PUBLISHER_TOKEN);
    await publish({ kind: 'POST_CREATED', forumId: 'f8', title: 'other forum' }, PUBLISHER_TOKEN);
    await publish({ kind: 'POST_CREATED', forumId: 'f7', title: 'marker' }, PUBLISHER_TOKEN);
    for (const subscription of [first, second, third]) expect(await titlesUntilMarker(subscription!)).toEqual(['members only']);
    expect(await titlesUntilMarker(anonymous!)).toEqual([]);

    second!.dispose();
    await server.whenSubscriptions((live) => live.liveSubscriptions('forumActivity') === liveBefore + 3);
    await publish({ kind: 'POST_CREATED', forumId: 'f7', title: 'after one left', visibility: 'MEMBERS' }, PUBLISHER_TOKEN);
    await publish({ kind: 'POST_CREATED', forumId: 'f7', title: 'marker' }, PUBLISHER_TOKEN);
    for (const subscription of [first, third]) expect(await titlesUntilMarker(subscription!)).toEqual(['after one left']);

    for (const subscription of [first, third, anonymous]) subscription!.dispose();
    await server.whenSubscriptions((live) => live.liveSubscriptions('forumActivity') === liveBefore);
    // A group that ended starts afresh for the next subscriber.
    const [again] = await subscribeAll([{ token: tokens[0], variables }]);
    await publish({ kind: 'POST_CREATED', forumId: 'f7', title: 'marker' }, PUBLISHER_TOKEN);
    expect(await titlesUntilMarker(again!)).toEqual([]);
  });

  it('refuses publishes from anyone but the publisher and bad input, publishing nothing', async () => {
    const [watcher] = await subscribeAll([{ token: await userToken(6, { roles: ['admin'] }) }]);
    const input = { kind: 'THREAD_CREATED', forumId: 'f6', title: 'refused' };
    expect(errorCodes(await publish(input))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await publish(input, await userToken(6, { roles: ['admin'] })))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await publish(input, 'garbage'))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await publish({ ...input, kind: 'THREAD_EXPLODED' }, PUBLISHER_TOKEN))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ ...input, forumId: ' ' }, PUBLISHER_TOKEN))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ ...input, visibility: 'SECRET' }, PUBLISHER_TOKEN))).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await publish({ ...input, excerpt: 'x'.repeat(66_000) }, PUBLISHER_TOKEN))).toEqual(['BAD_USER_INPUT']);
    await publish({ kind: 'THREAD_CREATED', forumId: 'f6', title: 'marker' }, PUBLISHER_TOKEN);
    expect(await titlesUntilMarker(watcher!)).toEqual([]);
  });

  const publishMany = (inputs: Array<Record<string, unknown>>, token?: string) =>
    postGraphQL<{ publishForumActivities: Array<{ id: string; publishedAt: string }> }>(server.url, PUBLISH_FORUM_ACTIVITIES, { inputs }, token);

  it('publishes a batch in order, each event to those its visibility allows; all or nothing', async () => {
    const [anonymous, member] = await subscribeAll([{ variables: { forumId: 'f9' } }, { token: await userToken(20), variables: { forumId: 'f9' } }]);
    const inputs = Array.from({ length: 30 }, (_, index) => ({
      kind: 'POST_CREATED',
      forumId: index % 5 === 4 ? 'f10' : 'f9',
      title: `#${index}`,
      visibility: index % 3 === 0 ? 'MEMBERS' : 'PUBLIC',
    }));
    const refused = await publishMany([inputs[0]!, { ...inputs[1]!, forumId: ' ' }], PUBLISHER_TOKEN);
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0]!.message).toContain('inputs[1]');
    expect(errorCodes(await publishMany(inputs))).toEqual(['FORBIDDEN']);
    const published = await publishMany(inputs, PUBLISHER_TOKEN);
    expect(published.data!.publishForumActivities).toHaveLength(30);
    await publish({ kind: 'POST_CREATED', forumId: 'f9', title: 'marker' }, PUBLISHER_TOKEN);
    const inForum = inputs.filter((input) => input.forumId === 'f9');
    expect(await titlesUntilMarker(member!)).toEqual(inForum.map((input) => input.title));
    expect(await titlesUntilMarker(anonymous!)).toEqual(inForum.filter((input) => input.visibility === 'PUBLIC').map((input) => input.title));
  });
});
