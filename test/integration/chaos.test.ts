import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { resumingSubscriber } from '../utils/resuming-subscriber';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

const NOTIFICATIONS = 5000;
const DISCONNECTS = 50;

describe('a subscriber on a network that keeps failing', () => {
  it(`receives all ${NOTIFICATIONS} notifications exactly once, in order, across ${DISCONNECTS} random disconnects`, async () => {
    const server = await startTestApp({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix(), REPLAY_MAX_PER_USER: String(NOTIFICATIONS) });
    const live = server.expectSubscriptions('notification');
    const subscriber = resumingSubscriber([server.wsUrl], '100', await userToken(100));
    await live();

    const disconnectAt = new Set<number>();
    while (disconnectAt.size < DISCONNECTS) disconnectAt.add(1 + Math.floor(Math.random() * (NOTIFICATIONS - 1)));
    const sent: string[] = [];
    for (let index = 0; index < NOTIFICATIONS; index += 1) {
      if (disconnectAt.has(index)) {
        await subscriber.connected();
        subscriber.terminate();
      }
      const response = await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '100', type: 't', title: `${index}` } }, PUBLISHER_TOKEN);
      expect(response.errors).toBeUndefined();
      sent.push(`${index}`);
    }
    await subscriber.received(NOTIFICATIONS);
    expect(subscriber.titles).toEqual(sent);
    expect(subscriber.connections()).toBe(DISCONNECTS + 1);
    await subscriber.dispose();
  }, 120_000);
});
