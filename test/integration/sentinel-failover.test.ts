import { millisecondsUntilReady } from '../utils/readiness';
import { compareStreamPositions } from '../../src/history/stream-position';
import { errorCodes, postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION } from '../utils/operations';
import { findProgram, describeWithProgram } from '../utils/programs';
import { isolatedPrefix } from '../utils/redis';
import { SENTINEL_MASTER_NAME, startSentinelGroup } from '../utils/redis-sentinel-group';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient, type TestSubscription } from '../utils/ws-client';

type Notification = { notification: { id: string; title: string } };
const SUBSCRIPTION = 'subscription ($userId: ID!, $after: ID) { notification(userId: $userId, after: $after) { id title } }';
/** A Redis stream position before any. */
const FROM_THE_START = '0-0';

/** Publishers at once, each one notification after another, so that some are in flight whenever the master dies. */
const PUBLISHERS = 4;

/** Publishes notifications until `stop()`, remembering what each publish answered. */
function publishUntilStopped(app: TestApp, userId: string) {
  const acknowledged: Array<{ id: string; title: string; sentAt: number; answeredAt: number }> = [];
  const refused: Array<{ title: string; codes: Array<string | undefined>; sentAt: number }> = [];
  let stopped = false;
  let next = 0;
  const publisher = async () => {
    while (!stopped) {
      const title = `n${(next += 1)}`;
      const sentAt = Date.now();
      const answer = await postGraphQL<{ publishNotification: { id: string } }>(
        app.url,
        PUBLISH_NOTIFICATION,
        { input: { userId, type: 't', title } },
        PUBLISHER_TOKEN,
      );
      if (answer.data?.publishNotification) acknowledged.push({ id: answer.data.publishNotification.id, title, sentAt, answeredAt: Date.now() });
      else {
        refused.push({ title, codes: errorCodes(answer), sentAt });
        // Refusals come back at once: a pause keeps four publishers from spinning through the gap.
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
  };
  const done = Promise.all(Array.from({ length: PUBLISHERS }, publisher));
  return {
    acknowledged,
    refused,
    /** Resolves once `count` publishes sent after `time` have been acknowledged. */
    async acknowledgedSince(time: number, limitMs: number, count = 1): Promise<void> {
      const deadline = Date.now() + limitMs;
      while (acknowledged.filter(({ sentAt }) => sentAt > time).length < count) {
        if (Date.now() > deadline) throw new Error(`no publish acknowledged within ${limitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async stop(): Promise<void> {
      stopped = true;
      await done;
    },
  };
}

/** Reads the subscription until `lastTitle` arrives; answers every title it saw, or fails saying how far it got. */
async function readThrough(subscription: TestSubscription<Notification>, lastTitle: string, what: string): Promise<Set<string>> {
  const titles = new Set<string>();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: nothing more after ${titles.size} notifications, waiting for ${lastTitle}`)), 15_000);
    });
    const { title } = (await Promise.race([subscription.next(), stalled]).finally(() => clearTimeout(timer))).data!.notification;
    titles.add(title);
    if (title === lastTitle) return titles;
  }
}

describeWithProgram(findProgram('redis-sentinel'), 'redis-sentinel', 'Redis through Sentinel', () => {
  jest.setTimeout(120_000);

  it('rides out the loss of the master: UNAVAILABLE in the gap, ready within 5 s of the promotion, live again without reconnecting, nothing acknowledged lost with REDIS_MIN_REPLICAS_ACK=1', async () => {
    // Two replicas, so that after one is promoted the other can still acknowledge.
    const group = await startSentinelGroup({ replicas: 2 });
    const sentinelEnv = { REDIS_SENTINELS: group.sentinels, REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME, REPLAY_MAX_PER_USER: '100000' };
    // Side by side through the same failover: one waits for a replica, one does not.
    const services = {
      acknowledged: {
        app: await startTestApp({
          ...sentinelEnv,
          REDIS_KEY_PREFIX: isolatedPrefix(),
          REDIS_MIN_REPLICAS_ACK: '1',
          LOG_LEVEL: process.env['SENTINEL_TEST_LOG_LEVEL'] ?? 'silent',
        }),
        userId: '91',
      },
      unacknowledged: {
        app: await startTestApp({ ...sentinelEnv, REDIS_KEY_PREFIX: isolatedPrefix(), LOG_LEVEL: process.env['SENTINEL_TEST_LOG_LEVEL'] ?? 'silent' }),
        userId: '92',
      },
    };
    const runs = await Promise.all(
      Object.values(services).map(async ({ app, userId }) => {
        const client = connectClient(app.wsUrl, `Bearer ${await userToken(Number(userId))}`);
        const live = app.expectSubscriptions('notification');
        const subscription = client.subscribe<Notification>(SUBSCRIPTION, { userId });
        await live();
        return { app, userId, client, subscription, publishing: publishUntilStopped(app, userId) };
      }),
    );
    const [acknowledged, unacknowledged] = runs as [(typeof runs)[number], (typeof runs)[number]];
    await Promise.all(runs.map(({ publishing }) => publishing.acknowledgedSince(Date.now(), 30_000, 50)));

    const { killedAt, promotedAt } = await group.killMaster();
    // On failure, say what Redis and the Sentinels saw.
    const unexpected = (error: Error) => {
      console.error(`${error.message}\n${group.logs()}`);
      throw error;
    };
    const readyAfterPromotion = await Promise.all(runs.map(({ app }) => millisecondsUntilReady(app.origin, 5000 + 1000))).catch(unexpected);
    // With REDIS_MIN_REPLICAS_ACK=1 publishes are accepted again once the remaining replica follows the new master.
    await Promise.all(runs.map(({ publishing }) => publishing.acknowledgedSince(promotedAt, 10_000))).catch(unexpected);
    await Promise.all(runs.map(({ publishing }) => publishing.stop()));

    for (const { publishing, subscription, client, app, userId } of runs) {
      // (a) Every publish not acknowledged was refused as UNAVAILABLE, and some were: the gap was seen.
      expect(publishing.refused.length).toBeGreaterThan(0);
      expect(new Set(publishing.refused.flatMap(({ codes }) => codes))).toEqual(new Set(['UNAVAILABLE']));
      // (b) The subscription opened before the failover delivers what was published after it, on the same socket.
      // Acknowledgements arrive in the order of the stream: the last one is the latest position.
      const lastTitle = publishing.acknowledged.reduce((latest, event) => (compareStreamPositions(event.id, latest.id) > 0 ? event : latest)).title;
      const live = await readThrough(subscription, lastTitle, `the open subscription of user ${userId}`);
      expect(live.has(lastTitle)).toBe(true);
      expect(await Promise.race([client.closed, Promise.resolve('still open')])).toBe('still open');
      // (c) A client resuming from the start finds what was acknowledged (measured for both).
      const replayer = connectClient(app.wsUrl, `Bearer ${await userToken(Number(userId))}`);
      const replayed = await readThrough(
        replayer.subscribe<Notification>(SUBSCRIPTION, { userId, after: FROM_THE_START }),
        lastTitle,
        `the replay of user ${userId}`,
      );
      const lost = publishing.acknowledged.filter(({ title }) => !replayed.has(title));
      Object.assign(publishing, { lost });
      await replayer.dispose();
    }
    const lostOf = (run: typeof acknowledged) => (run.publishing as unknown as { lost: Array<{ title: string; answeredAt: number }> }).lost;
    expect(lostOf(acknowledged)).toEqual([]);
    expect(readyAfterPromotion.every((ms) => ms <= 5000)).toBe(true);

    const unacknowledgedLost = lostOf(unacknowledged);
    console.info(
      [
        `sentinel failover: master killed, replica promoted after ${promotedAt - killedAt} ms; ready again ${readyAfterPromotion.join(' / ')} ms after the promotion`,
        `REDIS_MIN_REPLICAS_ACK=1: ${acknowledged.publishing.acknowledged.length} acknowledged, 0 lost, ${acknowledged.publishing.refused.length} refused (UNAVAILABLE)`,
        `REDIS_MIN_REPLICAS_ACK=0: ${unacknowledged.publishing.acknowledged.length} acknowledged, ${unacknowledgedLost.length} lost` +
          (unacknowledgedLost.length > 0
            ? ` (acknowledged ${killedAt - unacknowledgedLost[0]!.answeredAt} ms to ${killedAt - unacknowledgedLost.at(-1)!.answeredAt} ms before the kill)`
            : '') +
          `, ${unacknowledged.publishing.refused.length} refused (UNAVAILABLE)`,
      ].join('\n'),
    );
    await Promise.all(runs.map(({ client }) => client.dispose()));
    await Promise.all(runs.map(({ app }) => app.stop()));
    await group.stop();
  });
});
