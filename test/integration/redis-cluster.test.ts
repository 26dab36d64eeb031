import { millisecondsUntilReady } from '../utils/readiness';
import { errorCodes, postGraphQL } from '../utils/http';
import { PUBLISH_NOTIFICATION, PUBLISH_NOTIFICATIONS } from '../utils/operations';
import { pollUntil } from '../utils/poll';
import { isolatedPrefix } from '../utils/redis';
import { useRedisCluster } from '../utils/redis-cluster';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

type Notification = { notification: { id: string; title: string } };
const SUBSCRIPTION = 'subscription ($userId: ID!, $after: ID) { notification(userId: $userId, after: $after) { id title } }';
const cluster = useRedisCluster();

describe('Redis Cluster (three masters, three replicas)', () => {
  jest.setTimeout(90_000);
  let app: TestApp;
  let keyPrefix: string;
  beforeAll(async () => {
    keyPrefix = isolatedPrefix();
    app = await startTestApp({ REDIS_CLUSTER_NODES: cluster.cluster().nodes, REDIS_KEY_PREFIX: keyPrefix, REPLAY_MAX_PER_USER: '10000' });
  });
  afterAll(() => app.stop());

  it("spreads 10,000 users' notifications over the three masters, each within ±25 % of a third of the commands", async () => {
    await cluster.cluster().resetCommandStats();
    const users = Array.from({ length: 10_000 }, (_, index) => `spread-${index}`);
    for (let start = 0; start < users.length; start += 500) {
      const inputs = users.slice(start, start + 500).map((userId) => ({ userId, type: 't', title: 'hello' }));
      const answer = await postGraphQL<{ publishNotifications: unknown[] }>(app.url, PUBLISH_NOTIFICATIONS, { inputs }, PUBLISHER_TOKEN);
      expect(answer.data?.publishNotifications).toHaveLength(inputs.length);
    }
    const calls = [...(await cluster.cluster().commandCalls()).values()];
    const total = calls.reduce((sum, count) => sum + count, 0);
    expect(calls).toHaveLength(3);
    expect(total).toBeGreaterThanOrEqual(users.length);
    for (const count of calls) {
      expect(count / total).toBeGreaterThan((1 / 3) * 0.75);
      expect(count / total).toBeLessThan((1 / 3) * 1.25);
    }
    console.info(
      `Redis Cluster: ${users.length} users' notifications, commands per master: ${calls.join(' / ')} (${calls.map((count) => ((100 * count) / total).toFixed(1)).join(' / ')} %)`,
    );
  });

  it("with REDIS_MIN_REPLICAS_ACK=1 answers a publish once the replica of the master holding the user's stream has it: UNAVAILABLE while that replica is stopped, and only for that master's users", async () => {
    const acking = await startTestApp({ REDIS_CLUSTER_NODES: cluster.cluster().nodes, REDIS_KEY_PREFIX: keyPrefix, REDIS_MIN_REPLICAS_ACK: '1' });
    const masterOfUser = (userId: number) => cluster.cluster().masterOf(`${keyPrefix}notifications:{${userId}}`);
    const userOnAnotherMaster = async (than: number) => {
      let userId = 200;
      while ((await masterOfUser(userId)) === than) userId += 1;
      return userId;
    };
    // Not the master the failover test below kills: its replica must be in step to take over.
    const paused = await userOnAnotherMaster(await masterOfUser(93));
    const pausedMaster = await masterOfUser(paused);
    const other = await userOnAnotherMaster(pausedMaster);
    const publish = (userId: number, title: string) =>
      postGraphQL<{ publishNotification: { id: string } }>(
        acking.url,
        PUBLISH_NOTIFICATION,
        { input: { userId: String(userId), type: 't', title } },
        PUBLISHER_TOKEN,
      );
    const publishToEach = (userIds: number[], title: string) =>
      postGraphQL<{ publishNotifications: unknown[] }>(
        acking.url,
        PUBLISH_NOTIFICATIONS,
        { inputs: userIds.map((userId) => ({ userId: String(userId), type: 't', title })) },
        PUBLISHER_TOKEN,
      );
    try {
      expect((await publish(paused, 'before')).data?.publishNotification.id).toEqual(expect.any(String));
      expect((await publishToEach([paused, other], 'before')).data?.publishNotifications).toHaveLength(2);

      const resume = await cluster.cluster().pauseReplicaOf(pausedMaster);
      try {
        expect(errorCodes(await publish(paused, 'while paused'))).toEqual(['UNAVAILABLE']);
        expect(errorCodes(await publishToEach([paused, other], 'while paused'))).toEqual(['UNAVAILABLE']);
        expect((await publish(other, 'while paused')).data?.publishNotification.id).toEqual(expect.any(String));
        expect((await publishToEach([other], 'while paused')).data?.publishNotifications).toHaveLength(1);
      } finally {
        resume();
      }
      await pollUntil(() => publish(paused, 'after'), {
        until: (answer) => answer.data?.publishNotification !== undefined,
        what: 'a publish acknowledged again',
      });
    } finally {
      await acking.stop();
    }
  });

  it("rides out the loss of a user's master: UNAVAILABLE in the gap, then the open subscription delivers again by itself and nothing acknowledged is lost", async () => {
    const userId = '93';
    const master = await cluster.cluster().masterOf(`${keyPrefix}notifications:{${userId}}`);
    const client = connectClient(app.wsUrl, `Bearer ${await userToken(Number(userId))}`);
    const live = app.expectSubscriptions('notification');
    const subscription = client.subscribe<Notification>(SUBSCRIPTION, { userId });
    await live();

    const acknowledged: Array<{ id: string; title: string }> = [];
    const refusals: Array<string | undefined> = [];
    let stopped = false;
    const publishing = (async () => {
      for (let index = 0; !stopped; index += 1) {
        const answer = await postGraphQL<{ publishNotification: { id: string } }>(
          app.url,
          PUBLISH_NOTIFICATION,
          { input: { userId, type: 't', title: `n${index}` } },
          PUBLISHER_TOKEN,
        );
        if (answer.data?.publishNotification) acknowledged.push({ id: answer.data.publishNotification.id, title: `n${index}` });
        else {
          refusals.push(...errorCodes(answer));
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    })();
    const acknowledgedCount = async (count: number, limitMs: number) => {
      const deadline = Date.now() + limitMs;
      while (acknowledged.length < count) {
        if (Date.now() > deadline) throw new Error(`fewer than ${count} publishes acknowledged within ${limitMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    };
    await acknowledgedCount(20, 30_000);
    const { killedAt, promotedAt } = await cluster.cluster().killMaster(master);
    // Only the killed master's shard was away: the service as a whole may never have been unready.
    const readyAfterPromotion = await millisecondsUntilReady(app.origin, 5000);
    const before = acknowledged.length;
    await acknowledgedCount(before + 20, 10_000);
    stopped = true;
    await publishing;

    expect(refusals.length).toBeGreaterThan(0);
    expect(new Set(refusals)).toEqual(new Set(['UNAVAILABLE']));
    // Read the open subscription up to the last acknowledged notification: no reconnect happened.
    const last = acknowledged.at(-1)!.title;
    const seen = new Set<string>();
    while (!seen.has(last)) seen.add((await subscription.next()).data!.notification.title);
    expect(await Promise.race([client.closed, Promise.resolve('still open')])).toBe('still open');
    const replayer = connectClient(app.wsUrl, `Bearer ${await userToken(Number(userId))}`);
    const replay = replayer.subscribe<Notification>(SUBSCRIPTION, { userId, after: '0-0' });
    const replayed = new Set<string>();
    while (!replayed.has(last)) replayed.add((await replay.next()).data!.notification.title);
    const lost = acknowledged.filter(({ title }) => !replayed.has(title));
    console.info(
      `Redis Cluster failover: master killed, replica took over after ${promotedAt - killedAt} ms; ready ${readyAfterPromotion} ms after; ` +
        `${acknowledged.length} acknowledged, ${lost.length} lost, ${refusals.length} refused (UNAVAILABLE)`,
    );
    await replayer.dispose();
    await client.dispose();
  });
});
