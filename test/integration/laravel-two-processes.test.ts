import { counterValue, isolatedLaravelPrefix, laravelRedis } from '../utils/laravel';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION } from '../utils/operations';
import { REDIS_URL } from '../utils/redis';
import { startServicePair, waitForLiveSubscriptions, type ServiceProcess } from '../utils/service-process';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';
import { pollUntil } from '../utils/poll';

const notification = (id: string, title: string) =>
  `{"event":"Illuminate\\\\Notifications\\\\Events\\\\BroadcastNotificationCreated","data":{"title":"${title}","id":"${id}","type":"App\\\\Notifications\\\\ThreadReplied","socket":null},"socket":null}`;

const RESUMING = /* GraphQL */ `
  subscription Resume($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      title
    }
  }
`;

const sample = (outcome: string) => `realtime_laravel_messages_total{source="redis",outcome="${outcome}"}`;

/** Both processes have handled `count` messages in all: each message published by one, dropped as a duplicate by the other. */
function handledByBoth(processes: ServiceProcess[], count: number): Promise<{ published: number; duplicate: number }> {
  const totals = async () => {
    const sums = { published: 0, duplicate: 0 };
    for (const process of processes) {
      sums.published += await counterValue(process.origin, sample('published'));
      sums.duplicate += await counterValue(process.origin, sample('duplicate'));
    }
    return sums;
  };
  return pollUntil(totals, { until: ({ published, duplicate }) => published + duplicate >= 2 * count, what: `${count} messages handled by both processes` });
}

describe("two processes reading Laravel's redis broadcaster from one Redis", () => {
  const laravelPrefix = isolatedLaravelPrefix();
  const laravel = laravelRedis(laravelPrefix);
  let processes: ServiceProcess[];
  beforeAll(async () => {
    processes = await startServicePair({ LARAVEL_REDIS_URL: REDIS_URL, LARAVEL_REDIS_PREFIX: laravelPrefix });
  }, 60_000);

  it('publish each Laravel message once: every subscriber, on either process, receives it exactly once, and it is retained once', async () => {
    const [first, second] = processes as [ServiceProcess, ServiceProcess];
    const token = `Bearer ${await userToken(90)}`;
    const onFirst = connectClient(first.wsUrl, token).subscribe<{ notification: { id: string; title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '90' });
    const onSecond = connectClient(second.wsUrl, token).subscribe<{ notification: { id: string; title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '90' });
    const activityOnFirst = connectClient(first.wsUrl).subscribe<{ forumActivity: { title: string } }>(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: '900' });
    const activityOnSecond = connectClient(second.wsUrl).subscribe<{ forumActivity: { title: string } }>(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: '900' });
    await Promise.all([
      waitForLiveSubscriptions(first.origin, 'notification', 1),
      waitForLiveSubscriptions(second.origin, 'notification', 1),
      waitForLiveSubscriptions(first.origin, 'forumActivity', 1),
      waitForLiveSubscriptions(second.origin, 'forumActivity', 1),
    ]);

    await laravel.publishRaw('private-App.Models.User.90', notification('c0ffee00-0000-4000-8000-000000000001', 'one'));
    await laravel.publishRaw('forum.900', '{"event":"ThreadCreated","data":{"title":"thread one"},"socket":null}');
    await laravel.publishRaw('private-App.Models.User.90', notification('c0ffee00-0000-4000-8000-000000000002', 'two'));
    await laravel.publishRaw('forum.900', '{"event":"ThreadCreated","data":{"title":"thread two"},"socket":null}');

    // Every process saw all four messages; for each, exactly one of them published it.
    expect(await handledByBoth(processes, 4)).toEqual({ published: 4, duplicate: 4 });

    // A duplicate would come between the two; each subscriber sees one, then two.
    for (const subscription of [onFirst, onSecond]) {
      expect((await subscription.next()).data!.notification.title).toBe('one');
      expect((await subscription.next()).data!.notification.title).toBe('two');
    }
    for (const subscription of [activityOnFirst, activityOnSecond]) {
      expect((await subscription.next()).data!.forumActivity.title).toBe('thread one');
      expect((await subscription.next()).data!.forumActivity.title).toBe('thread two');
    }

    // Retained once each: a replay of everything holds exactly the two.
    const replay = connectClient(second.wsUrl, token).subscribe<{ notification: { title: string } }>(RESUMING, { userId: '90', after: '0-0' });
    expect((await replay.next()).data!.notification.title).toBe('one');
    expect((await replay.next()).data!.notification.title).toBe('two');
    await laravel.publishRaw('private-App.Models.User.90', notification('c0ffee00-0000-4000-8000-000000000003', 'three'));
    expect((await replay.next()).data!.notification.title).toBe('three');
  });
});
