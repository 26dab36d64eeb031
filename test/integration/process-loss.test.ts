import { postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { startServicePair, waitForLiveSubscriptions, type ServiceProcess } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { resumingSubscriber } from '../utils/resuming-subscriber';
import { userToken } from '../utils/tokens';

describe('losing a process', () => {
  let first: ServiceProcess;
  let second: ServiceProcess;
  beforeEach(async () => {
    [first, second] = await startServicePair({ REPLAY_MAX_PER_USER: '1000' });
  }, 60_000);
  afterEach(() => {
    for (const service of [first, second]) service.child.kill('SIGKILL');
  });

  it.each([['SIGKILL'], ['SIGTERM']] as const)(
    'on %s, its clients resume on the other process and miss nothing, while every publish it accepted is delivered',
    async (signal) => {
      const token = await userToken(90);
      const subscriber = resumingSubscriber([second.wsUrl, first.wsUrl], '90', token);
      await waitForLiveSubscriptions(second.origin, 'notification', 1);

      // Published alternately to both processes; the second one dies half way.
      const accepted: string[] = [];
      for (let index = 0; index < 300; index += 1) {
        if (index === 150) second.child.kill(signal);
        const target = index % 2 === 0 ? first : second;
        const response = await postGraphQL(target.url, PUBLISH_NOTIFICATION, { input: { userId: '90', type: 't', title: `${index}` } }, PUBLISHER_TOKEN).catch(
          () => undefined,
        );
        if (response?.data) accepted.push(`${index}`);
      }
      await subscriber.received(accepted.length);
      expect(subscriber.titles).toEqual(accepted);
      expect(accepted.length).toBeGreaterThanOrEqual(225);
      if (signal === 'SIGTERM') expect(await second.exited).toBe(0);
      await subscriber.dispose();
    },
  );
});
