import { errorCodes, postGraphQL } from '../utils/http';
import { pollUntil } from '../utils/poll';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { transportsAndBuses } from '../utils/transports';
import { connectClient, failureCodes } from '../utils/ws-client';

const VIEWERS = /* GraphQL */ `
  subscription Viewers($threadId: ID!) {
    threadViewers(threadId: $threadId) {
      threadId
      count
      viewers {
        id
      }
    }
  }
`;
const VIEWER_COUNT = /* GraphQL */ `
  subscription ViewerCount($threadId: ID!) {
    threadViewers(threadId: $threadId) {
      count
    }
  }
`;
const VIEWERS_QUERY = /* GraphQL */ `
  query ViewersNow($threadId: ID!) {
    threadViewers(threadId: $threadId) {
      threadId
      count
      viewers {
        id
      }
    }
  }
`;
const TYPING = /* GraphQL */ `
  subscription Typing($threadId: ID!) {
    typing(threadId: $threadId) {
      threadId
      userId
      at
    }
  }
`;
const TYPE = /* GraphQL */ `
  mutation Type($threadId: ID!) {
    typing(threadId: $threadId)
  }
`;
const SET_VISIBILITY = /* GraphQL */ `
  mutation Visibility($threadId: ID!, $visibility: Visibility!) {
    setThreadVisibility(threadId: $threadId, visibility: $visibility)
  }
`;

const view = (threadId: string, count: number, ids: string[]) => ({ data: { threadViewers: { threadId, count, viewers: ids.map((id) => ({ id })) } } });

describe.each(transportsAndBuses(BUSES))('thread viewers over $transport.name on the $bus.name bus', ({ transport, bus }) => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp(bus.env());
  });
  afterAll(() => app.stop());
  const viewersOf = (token: string | undefined, threadId: string, query = VIEWERS) => transport.connect(app, token).subscribe(query, { threadId });

  it('shows who is reading as they come and go; anonymous readers count but see no names', async () => {
    const thread = `t-${Math.random()}`;
    const aliceViewers = viewersOf(await userToken('101'), thread);
    expect(await aliceViewers.next()).toEqual(view(thread, 1, ['101']));

    const bobViewers = viewersOf(await userToken('102'), thread);
    expect(await bobViewers.next()).toEqual(view(thread, 2, ['101', '102']));
    expect(await aliceViewers.next()).toEqual(view(thread, 2, ['101', '102']));

    const anonymousViewers = viewersOf(undefined, thread);
    expect(await anonymousViewers.next()).toEqual(view(thread, 3, []));
    expect(await aliceViewers.next()).toEqual(view(thread, 3, ['101', '102']));

    // A second tab of Bob's: still one Bob.
    const bobSecondTab = viewersOf(await userToken('102'), thread);
    expect(await bobSecondTab.next()).toEqual(view(thread, 3, ['101', '102']));
    expect(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread })).toMatchObject({ status: 200, ...view(thread, 3, []) });
    expect(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread }, await userToken('999'))).toMatchObject(view(thread, 3, ['101', '102']));

    anonymousViewers.dispose();
    expect(await aliceViewers.next()).toEqual(view(thread, 2, ['101', '102']));
    bobViewers.dispose();
    bobSecondTab.dispose();
    expect(await aliceViewers.next()).toEqual(view(thread, 1, ['101']));
  });

  it('shares one execution among the viewers of a thread who may see the same, each of them present', async () => {
    const thread = `t-${Math.random()}`;
    const executionsBefore = app.app.sharedExecutionCount();
    const subscriptions = [];
    // Each waits for its first view, which counts it: every viewer is present, sharing or not.
    const members = ['401', '402', '403'];
    for (const [index, id] of members.entries()) {
      const subscription = viewersOf(await userToken(id), thread);
      expect(await subscription.next()).toEqual(view(thread, index + 1, members.slice(0, index + 1)));
      subscriptions.push(subscription);
    }
    for (const count of [4, 5]) {
      const anonymous = viewersOf(undefined, thread);
      expect(await anonymous.next()).toEqual(view(thread, count, []));
      subscriptions.push(anonymous);
    }
    const staff = viewersOf(await userToken('404', { roles: ['moderator'] }), thread);
    expect(await staff.next()).toEqual(view(thread, 6, [...members, '404']));
    const countOnly = viewersOf(await userToken('405'), thread, VIEWER_COUNT);
    expect(await countOnly.next()).toEqual({ data: { threadViewers: { count: 7 } } });
    subscriptions.push(staff, countOnly);
    // The members, the anonymous readers, staff, and the members' other selection.
    expect(app.app.sharedExecutionCount()).toBe(executionsBefore + 4);

    for (const subscription of subscriptions) subscription.dispose();
    await pollUntil(() => app.app.sharedExecutionCount(), { until: (count) => count === executionsBefore, what: 'every execution of the thread ended' });
    await pollUntil(() => postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread }), {
      until: (answer) => JSON.stringify(answer.data) === JSON.stringify(view(thread, 0, []).data),
      what: 'every viewer left the thread',
    });
  });
});

describe.each(BUSES)('presence and typing on the $name bus', ({ env }) => {
  let app: TestApp;
  const bearer = async (userId: string, roles: string[] = []) => `Bearer ${await userToken(userId, { roles })}`;
  beforeAll(async () => {
    app = await startTestApp(env());
  });
  afterAll(() => app.stop());

  it('tells the others who is typing, never the typist, at most once per 2 s per user and thread', async () => {
    const thread = `t-${Math.random()}`;
    const live = app.expectSubscriptions('typing', 2);
    const alice = connectClient(app.wsUrl, await bearer('201'));
    const bob = connectClient(app.wsUrl, await bearer('202'));
    const aliceSees = alice.subscribe(TYPING, { threadId: thread });
    const bobSees = bob.subscribe(TYPING, { threadId: thread });
    await live();

    const aliceToken = await userToken('201');
    expect(await postGraphQL(app.url, TYPE, { threadId: thread }, aliceToken)).toMatchObject({ data: { typing: true } });
    expect(await postGraphQL(app.url, TYPE, { threadId: thread }, aliceToken)).toMatchObject({ data: { typing: false } });
    // Over the WebSocket too, as a browser would.
    expect(await bob.subscribe(TYPE, { threadId: thread }).next()).toEqual({ data: { typing: true } });

    const first = await bobSees.next();
    expect(first).toMatchObject({ data: { typing: { threadId: thread, userId: '201' } } });
    expect(Date.parse((first.data as { typing: { at: string } }).typing.at)).toBeGreaterThan(Date.now() - 5_000);
    // Alice's first event is Bob's typing: her own was never sent back to her.
    expect(await aliceSees.next()).toMatchObject({ data: { typing: { threadId: thread, userId: '202' } } });
  });

  it('refuses typing to anonymous callers and keeps thread visibility on the server', async () => {
    const thread = `t-${Math.random()}`;
    expect(errorCodes(await postGraphQL(app.url, TYPE, { threadId: thread }))).toEqual(['UNAUTHENTICATED']);
    expect(failureCodes(await connectClient(app.wsUrl).subscribe(TYPING, { threadId: thread }).failure())).toEqual(['UNAUTHENTICATED']);

    expect(errorCodes(await postGraphQL(app.url, SET_VISIBILITY, { threadId: thread, visibility: 'STAFF' }, await userToken('1')))).toEqual(['FORBIDDEN']);
    expect(await postGraphQL(app.url, SET_VISIBILITY, { threadId: thread, visibility: 'STAFF' }, PUBLISHER_TOKEN)).toMatchObject({
      data: { setThreadVisibility: true },
    });
    expect(
      failureCodes(
        await connectClient(app.wsUrl, await bearer('301'))
          .subscribe(VIEWERS, { threadId: thread })
          .failure(),
      ),
    ).toEqual(['FORBIDDEN']);
    expect(failureCodes(await connectClient(app.wsUrl).subscribe(VIEWERS, { threadId: thread }).failure())).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await postGraphQL(app.url, TYPE, { threadId: thread }, await userToken('301')))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread }, await userToken('301')))).toEqual(['FORBIDDEN']);
    const moderator = connectClient(app.wsUrl, await bearer('302', ['moderator']));
    expect(await moderator.subscribe(VIEWERS, { threadId: thread }).next()).toEqual(view(thread, 1, ['302']));

    await postGraphQL(app.url, SET_VISIBILITY, { threadId: thread, visibility: 'MEMBERS' }, PUBLISHER_TOKEN);
    expect(errorCodes(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread }))).toEqual(['UNAUTHENTICATED']);
    expect(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread }, await userToken('301'))).toMatchObject(view(thread, 1, ['302']));
  });
});
