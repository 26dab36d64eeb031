import Redis from 'ioredis';
import { isolatedLaravelPrefix } from '../utils/laravel';
import { NOTIFICATION_SUBSCRIPTION } from '../utils/operations';
import { startPrivateRedis } from '../utils/private-redis';
import { startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';
import { pollUntil } from '../utils/poll';

const message = (title: string) =>
  `{"event":"Illuminate\\\\Notifications\\\\Events\\\\BroadcastNotificationCreated","data":{"title":"${title}","type":"App\\\\Notifications\\\\Ping"},"socket":null}`;

describe("when Laravel's Redis goes away", () => {
  it('the service keeps running, reconnects and reads the broadcasts again', async () => {
    const laravelRedis = await startPrivateRedis();
    const prefix = isolatedLaravelPrefix();
    const server = await startTestApp({ LARAVEL_REDIS_URL: laravelRedis.url, LARAVEL_REDIS_PREFIX: prefix });
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(95)}`).subscribe<{ notification: { title: string } }>(
      NOTIFICATION_SUBSCRIPTION,
      {
        userId: '95',
      },
    );
    await live();

    await laravelRedis.stop();
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    await laravelRedis.start();

    // PUBLISH answers how many subscribers received it: 0 until the service has subscribed again.
    const laravel = new Redis(laravelRedis.url);
    try {
      const publishAgain = () => laravel.publish(`${prefix}private-App.Models.User.95`, message('after the outage'));
      await pollUntil(publishAgain, { until: (receivers) => receivers > 0, what: 'the service subscribed to Laravel again' });
    } finally {
      laravel.disconnect();
    }
    expect((await subscription.next()).data!.notification.title).toBe('after the outage');
    await server.stop();
    await laravelRedis.stop();
  });
});
