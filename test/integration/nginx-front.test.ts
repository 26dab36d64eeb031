import WebSocket from 'ws';
import { startFakeReverb, type FakeReverb } from '../utils/fake-reverb';
import { postGraphQL } from '../utils/http';
import { NGINX, startNginx, type NginxTargets, type RunningNginx } from '../utils/nginx';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { describeWithProgram } from '../utils/programs';
import { startServicePair, type ServiceProcess } from '../utils/service-process';
import { subscribeOverSse } from '../utils/sse';
import { connectSseClient } from '../utils/sse-client';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';
import { pollUntil } from '../utils/poll';

/** Live subscriptions of `field` on each process, as their /metrics report them. */
async function liveCounts(processes: readonly ServiceProcess[], field: string): Promise<number[]> {
  return Promise.all(
    processes.map(async ({ origin }) => {
      const text = await (await fetch(`${origin}/metrics`)).text();
      const line = text.split('\n').find((entry) => entry.startsWith(`realtime_active_subscriptions{field="${field}"} `));
      return line ? Number(line.split(' ')[1]) : 0;
    }),
  );
}

/** Resolves once the processes' live counts of `field` are `expected`; other processes offer no event, so it asks /metrics a few ms apart. */
function waitForCounts(processes: readonly ServiceProcess[], field: string, expected: (counts: number[]) => boolean): Promise<number[]> {
  return pollUntil(() => liveCounts(processes, field), { until: expected, what: `the live ${field} counts` });
}

const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

describeWithProgram(NGINX, 'nginx', 'docker/nginx.conf with its site in front of two processes on one Redis', () => {
  let processes: ServiceProcess[];
  let reverb: FakeReverb;
  let targets: NginxTargets;
  let nginx: RunningNginx;

  beforeAll(async () => {
    [processes, reverb] = await Promise.all([startServicePair(), startFakeReverb()]);
    targets = { realtime: processes.map(({ origin }) => new URL(origin).host), reverb: reverb.host };
    nginx = await startNginx(targets);
  }, 60_000);

  afterAll(async () => {
    await nginx?.stop();
    await reverb?.close();
    for (const { child } of processes ?? []) child.kill('SIGKILL');
  });

  it('passes nginx -t once rendered for loopback ports', () => {
    expect(nginx.testOutput).toContain('syntax is ok');
    expect(nginx.testOutput).toContain('test is successful');
  });

  it('spreads WebSockets over both processes (least_conn) and delivers a publish sent through nginx to each', async () => {
    const token = `Bearer ${await userToken(71)}`;
    const firstTab = connectClient(nginx.wsUrl, token).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '71' });
    await waitForCounts(processes, 'notification', (counts) => sum(counts) === 1);
    const secondTab = connectClient(nginx.wsUrl, token).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '71' });
    expect(await waitForCounts(processes, 'notification', (counts) => sum(counts) === 2)).toEqual([1, 1]);

    const published = await postGraphQL<{ publishNotification: { id: string } }>(
      nginx.url,
      PUBLISH_NOTIFICATION,
      { input: { userId: '71', type: 't', title: 'through nginx' } },
      PUBLISHER_TOKEN,
    );
    expect(published.errors).toBeUndefined();
    const id = published.data!.publishNotification.id;
    expect(await firstTab.next()).toMatchObject({ data: { notification: { id, title: 'through nginx' } } });
    expect(await secondTab.next()).toMatchObject({ data: { notification: { id, title: 'through nginx' } } });
    firstTab.dispose();
    secondTab.dispose();
  });

  it('streams SSE subscriptions through nginx as events happen', async () => {
    const stream = await subscribeOverSse(nginx.url, FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'f72' });
    expect(stream.status).toBe(200);
    await waitForCounts(processes, 'forumActivity', (counts) => sum(counts) === 1);
    await postGraphQL(nginx.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'THREAD_CREATED', forumId: 'f72', title: 'over SSE' } }, PUBLISHER_TOKEN);
    expect(await stream.next()).toMatchObject({ data: { forumActivity: { forumId: 'f72', title: 'over SSE' } } });
    stream.close();
  });

  it("serves graphql-sse's single connection mode, whichever process each of its requests reaches", async () => {
    const client = connectSseClient(`${nginx.url}/stream`, { singleConnection: true });
    const activity = [client.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'f73' }), client.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'f73' })];
    await client.whenAccepted(2);
    // least_conn sends the operations to the process without the stream; both run where the stream is.
    expect(await waitForCounts(processes, 'forumActivity', (counts) => sum(counts) === 2)).toContain(2);
    await postGraphQL(nginx.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'THREAD_CREATED', forumId: 'f73', title: 'one stream' } }, PUBLISHER_TOKEN);
    for (const operation of activity) expect(await operation.next()).toMatchObject({ data: { forumActivity: { forumId: 'f73', title: 'one stream' } } });
    client.dispose();
    await waitForCounts(processes, 'forumActivity', (counts) => sum(counts) === 0);
  });

  it('answers /healthz and /readyz from the processes', async () => {
    expect((await fetch(`${nginx.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${nginx.origin}/readyz`)).status).toBe(200);
  });

  it("routes laravel-echo's WebSockets and the Pusher HTTP API to the old Reverb", async () => {
    const socket = new WebSocket(`${nginx.wsUrl.replace('/graphql', '')}/app/app-key?protocol=7`);
    const greeting = await new Promise<string>((resolve, reject) => {
      socket.once('message', (data) => resolve(String(data)));
      socket.once('error', reject);
    });
    expect(greeting).toBe('reverb websocket /app/app-key?protocol=7');
    socket.close();
    expect(await (await fetch(`${nginx.origin}/apps/1/events`, { method: 'POST', body: '{}' })).text()).toBe('reverb POST /apps/1/events');
  });

  describe('the split', () => {
    const users = Array.from({ length: 200 }, (_, index) => `bucket-${index}`);
    const stackOf = async (origin: string, bucket?: string, requestOrigin?: string) => {
      const response = await fetch(`${origin}/realtime/stack`, {
        headers: { ...(bucket ? { cookie: `realtime_bucket=${bucket}` } : {}), ...(requestOrigin ? { origin: requestOrigin } : {}) },
      });
      return { response, stack: ((await response.json()) as { stack: string }).stack };
    };
    const onGraphql = async (origin: string) => {
      const stacks = await Promise.all(users.map(async (user) => (await stackOf(origin, user)).stack));
      return new Set(users.filter((_, index) => stacks[index] === 'graphql'));
    };

    it('names a stack per user, the same on every request, about the configured 50%', async () => {
      const first = await onGraphql(nginx.origin);
      const again = await onGraphql(nginx.origin);
      expect([...again]).toEqual([...first]);
      expect(first.size).toBeGreaterThan(70);
      expect(first.size).toBeLessThan(130);
      const withoutCookie = await Promise.all([1, 2, 3].map(async () => (await stackOf(nginx.origin)).stack));
      expect(new Set(withoutCookie).size).toBe(1);
    });

    it('answers with no-store, and with CORS credentials only for the forum origin', async () => {
      const allowed = await stackOf(nginx.origin, 'x', 'https://mechamap.example');
      expect(allowed.response.headers.get('cache-control')).toBe('no-store');
      expect(allowed.response.headers.get('access-control-allow-origin')).toBe('https://mechamap.example');
      expect(allowed.response.headers.get('access-control-allow-credentials')).toBe('true');
      const foreign = await stackOf(nginx.origin, 'x', 'https://elsewhere.example');
      expect(foreign.response.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('keeps every user already on GraphQL there as the share grows, and the rollback sends everyone to Reverb', async () => {
      const atFifty = await onGraphql(nginx.origin);
      const shares = new Map<number, Set<string>>();
      for (const graphqlPercent of [75, 90, 100, 0]) {
        const shifted = await startNginx({ ...targets, graphqlPercent });
        shares.set(graphqlPercent, await onGraphql(shifted.origin));
        await shifted.stop();
      }
      let previous = atFifty;
      for (const percent of [75, 90, 100]) {
        const current = shares.get(percent)!;
        expect([...previous].filter((user) => !current.has(user))).toEqual([]);
        expect(current.size).toBeGreaterThan(previous.size);
        previous = current;
      }
      expect(shares.get(100)!.size).toBe(users.length);
      expect(shares.get(0)!.size).toBe(0);
    });
  });
});
