import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { Agent } from 'undici';
import WebSocket from 'ws';
import { startFakeReverb, type FakeReverb } from '../utils/fake-reverb';
import { postGraphQL } from '../utils/http';
import { MTAIL_PROGRAM } from '../utils/monitoring-files';
import { NGINX, NGINX_SITE, startNginx, type NginxTargets, type RunningNginx } from '../utils/nginx';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { pollUntil } from '../utils/poll';
import { describeWithProgram, findProgram } from '../utils/programs';
import { parsePrometheusText, scrape, valueOf } from '../utils/prometheus-text';
import { startServicePair, type ServiceProcess } from '../utils/service-process';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient, type TestClient, type TestSubscription } from '../utils/ws-client';

const MTAIL = findProgram('mtail');

/** The split as Prometheus would see it: deploy/mtail's program run by mtail over the whole access log. */
async function stackCounts(accessLogFile: string): Promise<{ graphql: number; reverb: number }> {
  const { stdout } = await promisify(execFile)(MTAIL!, [
    '--one_shot',
    '--one_shot_format=prometheus',
    '--progs',
    dirname(MTAIL_PROGRAM),
    '--logs',
    accessLogFile,
  ]);
  const samples = parsePrometheusText(stdout);
  return {
    graphql: valueOf(samples, 'nginx_realtime_stack_requests_total', { stack: 'graphql' }),
    reverb: valueOf(samples, 'nginx_realtime_stack_requests_total', { stack: 'reverb' }),
  };
}

/** stackCounts once the log holds `requests` of them: nginx writes a request's line after its response has gone out. */
function stackCountsOnceLogged(accessLogFile: string, requests: number): Promise<{ graphql: number; reverb: number }> {
  return pollUntil(() => stackCounts(accessLogFile), {
    until: ({ graphql, reverb }) => graphql + reverb >= requests,
    what: `${requests} /realtime/stack requests in the access log`,
  });
}

/** The staff preview cookies Laravel would set, signed with the nginx site's secret. */
function previewCookies(bucket: string, expiresAt: number, secret = /secure_link_md5 "[^"]* ([^"]+)";/.exec(readFileSync(NGINX_SITE, 'utf8'))![1]!): string {
  const signature = createHash('md5').update(`${expiresAt}${bucket} ${secret}`).digest('base64url');
  return `realtime_bucket=${bucket}; realtime_preview=${signature}; realtime_preview_expires=${expiresAt}`;
}

/** A browser tab: asks nginx which stack, then opens the client that stack speaks. */
interface Tab {
  readonly bucket: string;
  readonly userId: string;
  readonly stack: 'graphql' | 'reverb';
  readonly graphql?: { client: TestClient; subscription: TestSubscription<{ notification: { title: string } }> };
  readonly reverbGreeting?: string;
}

describeWithProgram(NGINX && MTAIL, 'nginx and mtail', 'the rollback drill: 90 % → 0 % with live sockets', () => {
  let processes: [ServiceProcess, ServiceProcess];
  let reverb: FakeReverb;
  let targets: NginxTargets;
  let nginx: RunningNginx;

  beforeAll(async () => {
    [processes, reverb] = await Promise.all([startServicePair(), startFakeReverb()]);
    targets = { realtime: processes.map(({ origin }) => new URL(origin).host), reverb: reverb.host, graphqlPercent: 90 };
    nginx = await startNginx(targets, { reloadable: true });
  });
  afterAll(async () => {
    await nginx?.stop();
    await reverb?.close();
  });

  // A connection of its own each time, as a browser's page load after a while has: a kept-alive
  // one could still reach a worker of the configuration before the reload.
  const stackFor = async (cookie: string) => {
    const dispatcher = new Agent({ pipelining: 0 });
    try {
      const response = await fetch(`${nginx.origin}/realtime/stack`, { headers: { cookie }, dispatcher } as RequestInit);
      return ((await response.json()) as { stack: 'graphql' | 'reverb' }).stack;
    } finally {
      await dispatcher.close();
    }
  };

  const openTab = async (bucket: string, userId: string): Promise<Tab> => {
    const stack = await stackFor(`realtime_bucket=${bucket}`);
    if (stack === 'graphql') {
      const client = connectClient(nginx.wsUrl, `Bearer ${await userToken(userId)}`);
      return { bucket, userId, stack, graphql: { client, subscription: client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId }) } };
    }
    const socket = new WebSocket(`${nginx.origin.replace('http', 'ws')}/app/app-key?protocol=7`);
    const reverbGreeting = await new Promise<string>((resolve, reject) => socket.once('message', (data) => resolve(String(data))).once('error', reject));
    socket.close();
    return { bucket, userId, stack, reverbGreeting };
  };

  const liveNotificationSubscriptions = async () => {
    const counts = await Promise.all(
      processes.map(async ({ origin }) => valueOf(await scrape(origin), 'realtime_active_subscriptions', { field: 'notification' })),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  };

  it('keeps live sockets through the reload, lands every user on the old stack on reconnect, and the log shows the split', async () => {
    const users = Array.from({ length: 24 }, (_, index) => ({ bucket: `drill-${index}`, userId: String(900 + index) }));
    const tabs = await Promise.all(users.map(({ bucket, userId }) => openTab(bucket, userId)));
    const onGraphql = tabs.filter((tab) => tab.stack === 'graphql');
    expect(onGraphql.length).toBeGreaterThanOrEqual(18);
    expect(tabs.filter((tab) => tab.stack === 'reverb').every((tab) => tab.reverbGreeting === 'reverb websocket /app/app-key?protocol=7')).toBe(true);
    while ((await liveNotificationSubscriptions()) < onGraphql.length) await new Promise((resolve) => setTimeout(resolve, 20));

    // The access log, read by mtail, says what the users saw: the share nginx gave GraphQL.
    const beforeRollback = { graphql: onGraphql.length, reverb: users.length - onGraphql.length };
    expect(await stackCountsOnceLogged(nginx.accessLogFile, users.length)).toEqual(beforeRollback);

    // Rollback, step 1: the split to 0 % and a reload. Open sockets stay where they are and still deliver.
    await nginx.reload({ ...targets, graphqlPercent: 0 });
    const someone = onGraphql[0]!;
    await postGraphQL(nginx.url, PUBLISH_NOTIFICATION, { input: { userId: someone.userId, type: 't', title: 'after the reload' } }, PUBLISHER_TOKEN);
    expect((await someone.graphql!.subscription.next()).data!.notification.title).toBe('after the reload');

    // Step 2: restart the GraphQL processes: every socket is told 1012 (Service Restart).
    for (const { child } of processes) child.kill('SIGTERM');
    const closes = await Promise.all(onGraphql.map((tab) => tab.graphql!.client.closed));
    expect(new Set(closes.map(({ code }) => code))).toEqual(new Set([1012]));

    // Every user reconnects as the frontend does after 1012: asks again, and lands on Reverb.
    const reconnected = await Promise.all(users.map(({ bucket, userId }) => openTab(bucket, userId)));
    expect(reconnected.map((tab) => tab.stack)).toEqual(users.map(() => 'reverb'));
    expect(reconnected.every((tab) => tab.reverbGreeting?.startsWith('reverb websocket'))).toBe(true);
    expect(await stackCountsOnceLogged(nginx.accessLogFile, 2 * users.length)).toEqual({
      graphql: beforeRollback.graphql,
      reverb: beforeRollback.reverb + users.length,
    });
  });

  it('still sends staff with a valid preview cookie to GraphQL at 0 %, and no one with a forged or expired one', async () => {
    const inAnHour = Math.floor(Date.now() / 1000) + 3600;
    expect(await stackFor(`realtime_bucket=staff-1`)).toBe('reverb');
    expect(await stackFor(previewCookies('staff-1', inAnHour))).toBe('graphql');
    expect(await stackFor(previewCookies('staff-1', inAnHour, 'guessed-secret'))).toBe('reverb');
    expect(await stackFor(previewCookies('staff-1', Math.floor(Date.now() / 1000) - 60))).toBe('reverb');
    // Bound to the bucket: another user's cookie jar with staff-1's preview signature is refused.
    expect(await stackFor(previewCookies('staff-1', inAnHour).replace('realtime_bucket=staff-1', 'realtime_bucket=member-2'))).toBe('reverb');
  });
});
