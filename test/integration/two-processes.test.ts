import { postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { startServicePair, waitForLiveSubscriptions, type ServiceProcess } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

describe('two processes on one Redis', () => {
  let first: ServiceProcess;
  let second: ServiceProcess;
  beforeAll(async () => {
    [first, second] = await startServicePair();
  }, 60_000);

  it("deliver each other's publishes, notifications and forum activity alike", async () => {
    const token = `Bearer ${await userToken(30)}`;
    const onFirst = connectClient(first.wsUrl, token);
    const onSecond = connectClient(second.wsUrl, token);
    const notificationsOnFirst = onFirst.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '30' });
    const activityOnSecond = onSecond.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'f30' });
    await waitForLiveSubscriptions(first.origin, 'notification', 1);
    await waitForLiveSubscriptions(second.origin, 'forumActivity', 1);

    await postGraphQL(second.url, PUBLISH_NOTIFICATION, { input: { userId: '30', type: 't', title: 'from the second' } }, PUBLISHER_TOKEN);
    await postGraphQL(first.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'f30', title: 'from the first' } }, PUBLISHER_TOKEN);

    expect(await notificationsOnFirst.next()).toMatchObject({ data: { notification: { userId: '30', title: 'from the second' } } });
    expect(await activityOnSecond.next()).toMatchObject({ data: { forumActivity: { forumId: 'f30', title: 'from the first' } } });
  });

  it('exit with 0 on SIGTERM, closing sockets with the restart code', async () => {
    const client = connectClient(second.wsUrl);
    client.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, {});
    await waitForLiveSubscriptions(second.origin, 'forumActivity', 2);
    second.child.kill('SIGTERM');
    expect((await client.closed).code).toBe(1012);
    expect(await second.exited).toBe(0);
  });
});
