import { errorCodes, postGraphQL } from '../utils/http';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
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

describe.each(BUSES)('presence and typing on the $name bus', ({ env }) => {
  let app: TestApp;
  const bearer = async (userId: string, roles: string[] = []) => `Bearer ${await userToken(userId, { roles })}`;
  beforeAll(async () => {
    app = await startTestApp(env());
  });
  afterAll(() => app.stop());

  it('shows who is reading as they come and go; anonymous readers count but see no names', async () => {
    const thread = `t-${Math.random()}`;
    const alice = connectClient(app.wsUrl, await bearer('101'));
    const aliceViewers = alice.subscribe(VIEWERS, { threadId: thread });
    expect(await aliceViewers.next()).toEqual(view(thread, 1, ['101']));

    const bob = connectClient(app.wsUrl, await bearer('102'));
    const bobViewers = bob.subscribe(VIEWERS, { threadId: thread });
    expect(await bobViewers.next()).toEqual(view(thread, 2, ['101', '102']));
    expect(await aliceViewers.next()).toEqual(view(thread, 2, ['101', '102']));

    const anonymous = connectClient(app.wsUrl);
    const anonymousViewers = anonymous.subscribe(VIEWERS, { threadId: thread });
    expect(await anonymousViewers.next()).toEqual(view(thread, 3, []));
    expect(await aliceViewers.next()).toEqual(view(thread, 3, ['101', '102']));

    // A second tab of Bob's: still one Bob.
    const bobAgain = connectClient(app.wsUrl, await bearer('102'));
    const bobSecondTab = bobAgain.subscribe(VIEWERS, { threadId: thread });
    expect(await bobSecondTab.next()).toEqual(view(thread, 3, ['101', '102']));
    expect(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread })).toMatchObject({ status: 200, ...view(thread, 3, []) });
    expect(await postGraphQL(app.url, VIEWERS_QUERY, { threadId: thread }, await userToken('999'))).toMatchObject(view(thread, 3, ['101', '102']));

    anonymousViewers.dispose();
    expect(await aliceViewers.next()).toEqual(view(thread, 2, ['101', '102']));
    await bob.dispose();
    await bobAgain.dispose();
    expect(await aliceViewers.next()).toEqual(view(thread, 1, ['101']));
  });

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
