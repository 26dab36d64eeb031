import { readFileSync } from 'node:fs';
import { errorCodes, postGraphQL } from '../utils/http';
import { dashboardExpressions, metricNamesIn, MTAIL_PROGRAM, rules } from '../utils/monitoring-files';
import { PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { openRawSocket } from '../utils/raw-socket';
import { scrape, valueOf, type Sample } from '../utils/prometheus-text';
import { REDIS_URL, isolatedPrefix } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

const RESUMING = /* GraphQL */ `
  subscription Resume($userId: ID!, $after: ID) {
    notification(userId: $userId, after: $after) {
      id
      title
    }
  }
`;

/**
 * One service on Redis, given the traffic a rollout sees (subscribers, a resume, publishes that
 * succeed and fail, bad tokens on both transports), then scraped as Prometheus would.
 */
describe('/metrics after some traffic', () => {
  let server: TestApp;
  let samples: Sample[];

  const publish = (userId: string, title: string, token = PUBLISHER_TOKEN) =>
    postGraphQL<{ publishNotification: { id: string } }>(server.url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title } }, token);

  beforeAll(async () => {
    server = await startTestApp({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() });
    const first = (await publish('80', 'first')).data!.publishNotification.id;
    await publish('80', 'second');

    // A subscriber that resumes after `first`: one replay, of one notification; then one live delivery.
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(80)}`).subscribe<{ notification: { title: string } }>(RESUMING, {
      userId: '80',
      after: first,
    });
    expect((await subscription.next()).data!.notification.title).toBe('second');
    await live();
    await publish('80', 'live');
    expect((await subscription.next()).data!.notification.title).toBe('live');

    // Refused publishes: a signed-in user (FORBIDDEN), an invalid input (BAD_USER_INPUT).
    expect(errorCodes(await publish('80', 'not yours', await userToken(81)))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '80', type: 't' } }, PUBLISHER_TOKEN))).toEqual([
      'BAD_USER_INPUT',
    ]);
    // Bad tokens: expired over HTTP (through the fast path, handed to Yoga), a wrong secret on a WebSocket.
    expect(errorCodes(await publish('80', 'expired', await userToken(80, { expiresInSeconds: -10 })))).toEqual(['UNAUTHENTICATED']);
    const refused = connectClient(server.wsUrl, `Bearer ${await userToken(80, { secret: 'not-ours' })}`);
    expect((await refused.closed).code).toBe(4403);

    samples = await scrape(server.origin);
  });

  it('counts publish outcomes by mutation and extensions.code, the HTTP fast path included', () => {
    expect(valueOf(samples, 'realtime_publish_outcomes_total', { field: 'publishNotification', code: 'OK' })).toBe(3);
    expect(valueOf(samples, 'realtime_publish_outcomes_total', { field: 'publishNotification', code: 'FORBIDDEN' })).toBe(1);
    expect(valueOf(samples, 'realtime_publish_outcomes_total', { field: 'publishNotification', code: 'BAD_USER_INPUT' })).toBe(1);
  });

  it('counts each refused token once, by reason', () => {
    expect(valueOf(samples, 'realtime_auth_failures_total', { reason: 'expired' })).toBe(1);
    expect(valueOf(samples, 'realtime_auth_failures_total', { reason: 'bad_signature' })).toBe(1);
    expect(valueOf(samples, 'realtime_auth_failures_total')).toBe(2);
  });

  it('counts WebSocket closes by code, and a refused connection as a failed one', () => {
    expect(valueOf(samples, 'realtime_websocket_connections_opened_total')).toBe(2);
    expect(valueOf(samples, 'realtime_websocket_closes_total', { code: '4403' })).toBe(1);
    expect(valueOf(samples, 'realtime_websocket_connection_failures_total', { code: '4403' })).toBe(1);
    expect(valueOf(samples, 'realtime_websocket_connections')).toBe(1);
  });

  it('counts replays served and the notifications they replayed', () => {
    expect(valueOf(samples, 'realtime_replays_total')).toBe(1);
    expect(valueOf(samples, 'realtime_notifications_replayed_total')).toBe(1);
  });

  it('has the delivery latency in buckets that resolve 1 to 100 ms', () => {
    const bounds = samples
      .filter((sample) => sample.name === 'realtime_delivery_latency_seconds_bucket' && sample.labels['field'] === 'notification')
      .map((sample) => sample.labels['le']);
    expect(bounds).toEqual(expect.arrayContaining(['0.001', '0.002', '0.005', '0.01', '0.02', '0.05', '0.075', '0.1']));
    expect(valueOf(samples, 'realtime_delivery_latency_seconds_count', { field: 'notification' })).toBe(2);
  });

  it('reports each Redis role connected', () => {
    for (const role of ['commands', 'subscriber', 'threads']) expect(valueOf(samples, 'realtime_redis_connected', { role })).toBe(1);
  });
});

/**
 * Read by the rules or the dashboard, yet not exported by a service without TLS: each is
 * checked where it comes from.
 */
const EXPORTED_ELSEWHERE: Record<string, () => void> = {
  // Prometheus' own, per scrape target.
  up: () => {},
  // Exported with TLS on: test/integration/tls.test.ts checks its value.
  realtime_tls_certificate_expiry_timestamp_seconds: () => {},
  // nginx's access log through mtail: the program must declare it.
  nginx_realtime_stack_requests_total: () => expect(readFileSync(MTAIL_PROGRAM, 'utf8')).toMatch(/^counter nginx_realtime_stack_requests_total by stack$/m),
};

describe('every metric the dashboard and the alert rules read', () => {
  const recorded = new Set(rules().flatMap((rule) => (rule.record ? [rule.record] : [])));
  const read = [...new Set([...rules().map((rule) => rule.expr), ...dashboardExpressions()].flatMap(metricNamesIn))].sort();

  it('reads some of each kind (the extraction sees them)', () => {
    expect(read).toEqual(expect.arrayContaining(['realtime_delivery_latency_seconds_bucket', 'realtime:delivery_latency_seconds:p99_5m', 'up']));
  });

  it('is exported by a live service, recorded by a rule, or comes from a known place', async () => {
    const server = await startTestApp({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() });
    // Some traffic, so that labelled series exist: a subscriber, a delivery, a failed connection.
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(90)}`).subscribe<{ notification: { title: string } }>(RESUMING, {
      userId: '90',
    });
    await live();
    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '90', type: 't', title: 'hello' } }, PUBLISHER_TOKEN);
    await subscription.next();
    expect((await connectClient(server.wsUrl, 'Bearer not-a-token').closed).code).toBe(4403);
    const exported = new Set((await scrape(server.origin)).map((sample) => sample.name));

    const missing = read.filter((name) => !exported.has(name) && !recorded.has(name) && !(name in EXPORTED_ELSEWHERE));
    expect(missing).toEqual([]);
    for (const name of read.filter((name) => name in EXPORTED_ELSEWHERE)) EXPORTED_ELSEWHERE[name]!();
  });
});

describe('a client that stops reading', () => {
  it('is cut off and counted as a slow consumer', async () => {
    const server = await startTestApp({ MAX_BUFFERED_BYTES: '65536', MAX_PAYLOAD_BYTES: '1048576' });
    const reader = await openRawSocket(server.wsUrl);
    reader.send({ type: 'connection_init' });
    await reader.nextMessage('connection_ack');
    const live = server.expectSubscriptions('forumActivity');
    reader.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { forumActivity(forumId: "f-slow") { id excerpt } }' } });
    await live();
    // The client stops reading: what it is sent piles up in the kernel's buffers, then in the server's.
    (reader.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const excerpt = 'x'.repeat(900_000);
    const cuts = () => server.app.metrics.registry.getSingleMetric('realtime_slow_consumer_disconnects_total')!.get();
    while ((await cuts()).values[0]?.value !== 1) {
      const published = await postGraphQL(server.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'f-slow', excerpt } }, PUBLISHER_TOKEN);
      expect(published.errors).toBeUndefined();
    }
    expect(valueOf(await scrape(server.origin), 'realtime_slow_consumer_disconnects_total')).toBe(1);
  });
});
