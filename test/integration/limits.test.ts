import { errorCodes, postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { openRawSocket } from '../utils/raw-socket';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient, failureCodes } from '../utils/ws-client';

const publish = (url: string, userId: string, title: string, data: unknown = null) =>
  postGraphQL(url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title, data } }, PUBLISHER_TOKEN);

describe('connection limits', () => {
  it('closes a socket that sends no connection_init in time with 4408 (CONNECTION_INIT_TIMEOUT_MS)', async () => {
    const server = await startTestApp({ CONNECTION_INIT_TIMEOUT_MS: '200' });
    const raw = await openRawSocket(server.wsUrl);
    expect((await raw.closed).code).toBe(4408);
  });

  it('terminates a half-open socket that stops answering pings, and only that one (HEARTBEAT_INTERVAL_MS)', async () => {
    const server = await startTestApp({ HEARTBEAT_INTERVAL_MS: '100' });
    const live = server.expectSubscriptions('notification');
    const healthy = connectClient(server.wsUrl, `Bearer ${await userToken(70)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '70' });
    await live();
    const deaf = await openRawSocket(server.wsUrl, { autoPong: false });
    deaf.send({ type: 'connection_init' });
    await deaf.nextMessage('connection_ack');
    expect((await deaf.closed).code).toBe(1006);
    await publish(server.url, '70', 'still alive');
    expect(await healthy.next()).toMatchObject({ data: { notification: { title: 'still alive' } } });
  });

  it('refuses connections over MAX_CONNECTIONS with 1013', async () => {
    const server = await startTestApp({ MAX_CONNECTIONS: '2' });
    const first = await openRawSocket(server.wsUrl);
    const second = await openRawSocket(server.wsUrl);
    const third = await openRawSocket(server.wsUrl);
    expect(await third.closed).toEqual({ code: 1013, reason: 'Too many connections' });
    for (const raw of [first, second]) raw.socket.close();
  });

  it('refuses operations over MAX_SUBSCRIPTIONS_PER_CONNECTION on one socket with TOO_MANY_OPERATIONS', async () => {
    const server = await startTestApp({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    const live = server.expectSubscriptions('forumActivity', 2);
    const client = connectClient(server.wsUrl);
    client.subscribe('subscription { forumActivity { id } }');
    const second = client.subscribe('subscription { forumActivity { id } }');
    await live();
    expect(failureCodes(await client.subscribe('subscription { forumActivity { id } }').failure())).toEqual(['TOO_MANY_OPERATIONS']);
    second.dispose();
    const third = client.subscribe<{ viewer: null }>('{ viewer { id } }');
    expect(await third.next()).toEqual({ data: { viewer: null } });
  });

  it('closes a socket with 4403 when its token expires, and only that one', async () => {
    const server = await startTestApp();
    const live = server.expectSubscriptions('notification');
    const lasting = connectClient(server.wsUrl, `Bearer ${await userToken(71)}`).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, {
      userId: '71',
    });
    await live();
    const client = connectClient(server.wsUrl, `Bearer ${await userToken(71, { expiresInSeconds: 1 })}`);
    client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '71' });
    expect(await client.closed).toEqual({ code: 4403, reason: 'Token expired' });
    await publish(server.url, '71', 'after the expiry');
    expect(await lasting.next()).toMatchObject({ data: { notification: { title: 'after the expiry' } } });
  });

  it('cuts off a client that stops reading once its unsent buffer passes MAX_BUFFERED_BYTES, while others keep receiving', async () => {
    const server = await startTestApp({ MAX_BUFFERED_BYTES: String(256 * 1024) });
    const token = `Bearer ${await userToken(72)}`;
    const live = server.expectSubscriptions('notification', 2);
    const reader = connectClient(server.wsUrl, token).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, { userId: '72' });
    const paused = await openRawSocket(server.wsUrl);
    paused.send({ type: 'connection_init', payload: { authorization: token } });
    await paused.nextMessage('connection_ack');
    paused.send({ id: '1', type: 'subscribe', payload: { query: NOTIFICATION_SUBSCRIPTION, variables: { userId: '72' } } });
    await live();
    const pausedEnded = new Promise((resolve) =>
      server.app.metrics.onSubscriptionsChanged(() => server.app.metrics.liveSubscriptions('notification') === 1 && resolve(true)),
    );
    paused.socket.pause();

    const blob = 'x'.repeat(60_000);
    let published = 0;
    let received = 0;
    while (server.app.metrics.liveSubscriptions('notification') > 1) {
      expect((await publish(server.url, '72', `${published}`, { blob })).errors).toBeUndefined();
      published += 1;
      expect((await reader.next()).data!.notification.title).toBe(`${received}`);
      received += 1;
      expect(published).toBeLessThan(2000);
    }
    await pausedEnded;
    await publish(server.url, '72', 'after the cut');
    expect((await reader.next()).data!.notification.title).toBe('after the cut');
  });
});

describe('document limits', () => {
  it.each([
    [{ MAX_QUERY_DEPTH: '1' }, '{ viewer { id } }'],
    [{ MAX_QUERY_ALIASES: '2' }, '{ a: viewer { id } b: viewer { id } c: viewer { id } }'],
    [{ MAX_QUERY_TOKENS: '10' }, '{ viewer { id roles } other: viewer { id roles } }'],
  ])('refuses a document over the limit %j, over HTTP and WebSocket', async (env, query) => {
    const server = await startTestApp(env);
    const response = await postGraphQL(server.url, query);
    expect(response.data).toBeUndefined();
    expect(response.errors?.[0]?.message).toMatch(/Syntax Error|exceeded|limit/i);
    expect(await connectClient(server.wsUrl).subscribe(query).failure()).toMatchObject([{ message: response.errors![0]!.message }]);
  });

  it('turns introspection off in production unless INTROSPECTION is on', async () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'a-production-secret', PUBLISHER_TOKENS: 'a-production-token' };
    const closed = await startTestApp(production);
    expect(errorCodes(await postGraphQL(closed.url, '{ __schema { queryType { name } } }'))).not.toEqual([]);
    const open = await startTestApp({ ...production, INTROSPECTION: 'on' });
    expect((await postGraphQL(open.url, '{ __schema { queryType { name } } }')).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });
});
