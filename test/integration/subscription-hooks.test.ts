import { graphQLError } from '../../src/graphql/errors';
import type { SubscriptionAuthorizationRequest } from '../../src/graphql/subscriptions/pipeline';
import { postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { TRANSPORTS } from '../utils/transports';
import { failureCodes } from '../utils/ws-client';

type Activity = { forumActivity: { title: string } };

const HIDDEN_IN_A_FRAGMENT = /* GraphQL */ `
  subscription Hidden($forumId: ID) {
    ...Activity
  }
  fragment Activity on Subscription {
    forumActivity(forumId: $forumId) {
      title
    }
  }
`;

// The pipeline's hooks, where decisions made outside the service (Laravel's) plug in: the same
// for every transport, with the caller's own token only when the app is told to keep it.
describe.each(TRANSPORTS)('subscription hooks over $name', (transport) => {
  let server: TestApp;
  const asked: SubscriptionAuthorizationRequest[] = [];
  beforeAll(async () => {
    server = await startTestApp({}, undefined, {
      keepBearerTokens: true,
      subscriptionHooks: {
        async authorize(request) {
          asked.push(request);
          if (request.field === 'forumActivity' && request.args['forumId'] === 'closed') throw graphQLError('FORBIDDEN', 'Laravel says no.');
        },
        // Events titled "for even" reach only users with an even id, decided after a wait (as a
        // cache miss would); every other event at once.
        deliverTo: (_field, event, subscriber) => {
          if ((event as { title?: string }).title !== 'for even') return true;
          const even = subscriber.caller.kind === 'user' && Number(subscriber.caller.user.id) % 2 === 0;
          return new Promise((resolve) => setTimeout(() => resolve(even), 20));
        },
      },
    });
  });

  it('asks `authorize` once per subscriber with the coerced arguments and the bearer token, and refuses with what it throws', async () => {
    const token = await userToken(30);
    const refused = transport.connect(server, token).subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'closed' });
    expect(failureCodes(await refused.failure())).toEqual(['FORBIDDEN']);
    expect(asked.at(-1)).toMatchObject({ field: 'forumActivity', args: { forumId: 'closed' }, bearerToken: token, caller: { kind: 'user' } });
    // A fragment does not hide the field from the hook.
    const hidden = transport.connect(server, token).subscribe(HIDDEN_IN_A_FRAGMENT, { forumId: 'closed' });
    expect(failureCodes(await hidden.failure())).toEqual(['FORBIDDEN']);

    const live = server.expectSubscriptions('notification');
    const notifications = transport.connect(server, token).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '30' });
    await live();
    expect(asked.at(-1)).toMatchObject({ field: 'notification', args: { userId: '30' }, bearerToken: token });
    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '30', type: 't', title: 'allowed' } }, PUBLISHER_TOKEN);
    expect(await notifications.next()).toMatchObject({ data: { notification: { title: 'allowed' } } });
  });

  it('filters each event of a shared execution per subscriber with `deliverTo`', async () => {
    const live = server.expectSubscriptions('forumActivity', 2);
    const [even, odd] = await Promise.all([userToken(40), userToken(41)]).then((tokens) =>
      tokens.map((token) => transport.connect(server, token).subscribe<Activity>(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'hooks' })),
    );
    await live();
    for (const title of ['for even', 'for all']) {
      await postGraphQL(
        server.url,
        PUBLISH_FORUM_ACTIVITY,
        { input: { kind: 'POST_CREATED', forumId: 'hooks', title, visibility: 'MEMBERS' } },
        PUBLISHER_TOKEN,
      );
    }
    expect((await even!.next()).data!.forumActivity.title).toBe('for even');
    expect((await even!.next()).data!.forumActivity.title).toBe('for all');
    expect((await odd!.next()).data!.forumActivity.title).toBe('for all');
  });
});

describe.each(TRANSPORTS)('bearer tokens over $name', (transport) => {
  it('are not kept unless the app is told to', async () => {
    const asked: SubscriptionAuthorizationRequest[] = [];
    const server = await startTestApp({}, undefined, { subscriptionHooks: { authorize: async (request) => void asked.push(request) } });
    const live = server.expectSubscriptions('notification');
    transport.connect(server, await userToken(31)).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '31' });
    await live();
    expect(asked).toEqual([expect.objectContaining({ field: 'notification', bearerToken: undefined })]);
  });
});
