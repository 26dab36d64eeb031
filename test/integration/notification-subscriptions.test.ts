import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { transportsAndBuses } from '../utils/transports';

const RESUMING = /* GraphQL */ `
  subscription Resume($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      title
    }
  }
`;
const TITLES_ONLY = /* GraphQL */ `
  subscription {
    notification(userId: "70") {
      title
    }
  }
`;

type Received = { notification: { id?: string; title: string } };

// One user's subscriptions share the user's queue and, when they ask the same, one execution
// per event: each must still get its own replay, its own selection and the bus's order.
describe.each(transportsAndBuses(BUSES))("one user's several notification subscriptions over $transport.name on the $bus.name bus", ({ transport, bus }) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp(bus.env());
  });

  const publish = async (title: string) => {
    const response = await postGraphQL<{ publishNotification: { id: string } }>(
      server.url,
      PUBLISH_NOTIFICATION,
      { input: { userId: '70', type: 't', title } },
      PUBLISHER_TOKEN,
    );
    return response.data!.publishNotification.id;
  };
  const titlesOf = async (subscription: { next(): Promise<{ data?: Received | null }> }, count: number) => {
    const titles = [];
    for (let index = 0; index < count; index += 1) titles.push((await subscription.next()).data!.notification.title);
    return titles;
  };

  it('replays from each one its own position, then delivers every live event to all in publish order', async () => {
    const ids = [];
    for (const title of ['a', 'b', 'c', 'd']) ids.push(await publish(title));
    const token = await userToken(70);
    const first = transport.connect(server, token);
    const second = transport.connect(server, token);
    const live = server.expectSubscriptions('notification', 5);
    const fromA = first.subscribe<Received>(RESUMING, { userId: '70', after: ids[0] });
    const fromC = first.subscribe<Received>(RESUMING, { userId: '70', after: ids[2] });
    const liveOnly = first.subscribe<Received>(RESUMING, { userId: '70' });
    const liveOnlyElsewhere = second.subscribe<Received>(RESUMING, { userId: '70' });
    const titlesOnly = second.subscribe<Received>(TITLES_ONLY);
    await live();
    for (const title of ['e', 'f', 'g']) await publish(title);

    expect(await titlesOf(fromA, 6)).toEqual(['b', 'c', 'd', 'e', 'f', 'g']);
    expect(await titlesOf(fromC, 4)).toEqual(['d', 'e', 'f', 'g']);
    expect(await titlesOf(liveOnly, 3)).toEqual(['e', 'f', 'g']);
    expect(await titlesOf(liveOnlyElsewhere, 3)).toEqual(['e', 'f', 'g']);
    const selected = await titlesOnly.next();
    expect(selected.data).toEqual({ notification: { title: 'e' } });
  });
});
