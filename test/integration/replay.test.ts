import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { transportsAndBuses } from '../utils/transports';
import { failureCodes } from '../utils/ws-client';

const RESUMING = /* GraphQL */ `
  subscription Resume($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      title
    }
  }
`;

describe.each(transportsAndBuses(BUSES))('notification(userId, after) over $transport.name on the $bus.name bus', ({ transport, bus }) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp({ ...bus.env(), REPLAY_MAX_PER_USER: '5' });
  });

  const publish = async (userId: string, title: string) => {
    const response = await postGraphQL<{ publishNotification: { id: string } }>(
      server.url,
      PUBLISH_NOTIFICATION,
      { input: { userId, type: 't', title } },
      PUBLISHER_TOKEN,
    );
    return response.data!.publishNotification.id;
  };

  it('replays what was published after `after`, oldest first, then goes live', async () => {
    const ids = [];
    for (const title of ['a', 'b', 'c', 'd']) ids.push(await publish('60', title));
    const live = server.expectSubscriptions('notification');
    const subscription = transport.connect(server, await userToken(60)).subscribe<{ notification: { id: string; title: string } }>(RESUMING, {
      userId: '60',
      after: ids[1],
    });
    expect((await subscription.next()).data!.notification).toEqual({ id: ids[2], title: 'c' });
    expect((await subscription.next()).data!.notification).toEqual({ id: ids[3], title: 'd' });
    await live();
    const newId = await publish('60', 'e');
    expect((await subscription.next()).data!.notification).toEqual({ id: newId, title: 'e' });
  });

  it('replays all that is retained (REPLAY_MAX_PER_USER) for an `after` older than that', async () => {
    const ids = [];
    for (let index = 0; index < 8; index += 1) ids.push(await publish('61', `${index}`));
    const subscription = transport.connect(server, await userToken(61)).subscribe<{ notification: { id: string; title: string } }>(RESUMING, {
      userId: '61',
      after: ids[0],
    });
    const titles = [];
    for (let index = 0; index < 5; index += 1) titles.push((await subscription.next()).data!.notification.title);
    expect(titles).toEqual(['3', '4', '5', '6', '7']);
  });

  it('refuses an `after` that is not a notification id, and replays nothing to another user', async () => {
    const client = transport.connect(server, await userToken(62));
    expect(failureCodes(await client.subscribe(RESUMING, { userId: '62', after: 'yesterday' }).failure())).toEqual(['BAD_USER_INPUT']);
    expect(failureCodes(await client.subscribe(RESUMING, { userId: '60', after: '0-0' }).failure())).toEqual(['FORBIDDEN']);
  });
});
