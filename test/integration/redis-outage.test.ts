import { errorCodes, postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { scrape, valueOf } from '../utils/prometheus-text';
import { startPrivateRedis } from '../utils/private-redis';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';
import { pollUntil } from '../utils/poll';

const RESUMING = 'subscription ($after: ID) { notification(userId: "80", after: $after) { id title } }';

/** Asks `probe` every 25 ms until it holds, and says how long that took. */
async function millisecondsUntil(what: string, probe: () => Promise<boolean>, limitMs: number): Promise<number> {
  const started = Date.now();
  await pollUntil(probe, { what, timeoutMs: limitMs, everyMs: 25 });
  return Date.now() - started;
}

describe('a Redis that goes away and comes back', () => {
  it('turns unready within 2 s, refuses publishes, recovers within 2 s, resubscribes, loses nothing accepted, and /metrics tells it all', async () => {
    const redis = await startPrivateRedis();
    const server = await startTestApp({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage:' });
    const token = `Bearer ${await userToken(80)}`;
    const readyStatus = async () => (await fetch(`${server.origin}/readyz`)).status;
    const publish = (title: string) =>
      postGraphQL<{ publishNotification: { id: string } }>(server.url, PUBLISH_NOTIFICATION, { input: { userId: '80', type: 't', title } }, PUBLISHER_TOKEN);

    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, token).subscribe<{ notification: { id: string; title: string } }>(RESUMING, {});
    await live();
    const before = (await publish('before')).data!.publishNotification.id;
    expect((await subscription.next()).data!.notification.title).toBe('before');

    await redis.stop();
    const unreadyAfter = await millisecondsUntil('readyz answering 503', async () => (await readyStatus()) === 503, 2000);
    const refused = await publish('during');
    expect(errorCodes(refused)).toEqual(['UNAVAILABLE']);
    expect(refused.data).toBeNull();
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    const duringOutage = await scrape(server.origin);
    expect(['commands', 'subscriber', 'threads'].map((role) => valueOf(duringOutage, 'realtime_redis_connected', { role }))).toEqual([0, 0, 0]);
    expect(valueOf(duringOutage, 'realtime_ready')).toBe(0);
    expect(valueOf(duringOutage, 'realtime_redis_reconnects_total', { role: 'commands' })).toBeGreaterThan(0);
    expect(valueOf(duringOutage, 'realtime_publish_outcomes_total', { field: 'publishNotification', code: 'UNAVAILABLE' })).toBe(1);

    const restartedAt = Date.now();
    await redis.start();
    const readyAgainAfter = await millisecondsUntil('readyz answering 200', async () => (await readyStatus()) === 200, 2000);
    await millisecondsUntil(
      'the service subscribed again',
      async () => (await redis.subscribersOf('outage:notification:{80}')) === 1,
      5000 - (Date.now() - restartedAt),
    );
    const resubscribedAfter = Date.now() - restartedAt;
    const recovered = await scrape(server.origin);
    expect(['commands', 'subscriber', 'threads'].map((role) => valueOf(recovered, 'realtime_redis_connected', { role }))).toEqual([1, 1, 1]);
    expect(valueOf(recovered, 'realtime_ready')).toBe(1);
    const after = (await publish('after')).data!.publishNotification.id;
    expect((await subscription.next()).data!.notification).toEqual({ id: after, title: 'after' });

    // A client that was away for all of it resumes from the last id it saw and finds what was accepted.
    const resumed = connectClient(server.wsUrl, token).subscribe<{ notification: { id: string; title: string } }>(RESUMING, { after: before });
    expect((await resumed.next()).data!.notification).toEqual({ id: after, title: 'after' });

    expect(unreadyAfter).toBeLessThanOrEqual(2000);
    expect(readyAgainAfter).toBeLessThanOrEqual(2000);
    expect(resubscribedAfter).toBeLessThanOrEqual(5000);
    await server.stop();
    await redis.stop();
  });
});
