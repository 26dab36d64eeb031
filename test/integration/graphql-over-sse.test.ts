import { get, type IncomingMessage } from 'node:http';
import { NetworkError } from 'graphql-sse';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { DEVELOPMENT_JWT_SECRET } from '../../src/config/config';
import { createReservationTokens, RESERVATION_OPEN_WINDOW_MS } from '../../src/transport/sse/reservation-token';
import { postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { connectSseClient } from '../utils/sse-client';
import { singleConnection } from '../utils/sse-single-connection';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { failureCodes, subscribeWith } from '../utils/ws-client';

const MODES = [
  { name: 'distinct connections', singleConnection: false },
  { name: 'single connection', singleConnection: true },
];

/** A refusal's status, and the codes of the GraphQL errors it carries. */
async function refusal(response: Response) {
  const codes = [...(await response.text()).matchAll(/"code":"([A-Z_]+)"/g)].map((match) => match[1]);
  return { status: response.status, codes };
}

describe('GraphQL over SSE at /graphql/stream, with graphql-sse’s own client', () => {
  let server: TestApp;
  let streamUrl: string;
  beforeAll(async () => {
    server = await startTestApp({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '3' });
    streamUrl = `${server.url}/stream`;
  });

  describe.each(MODES)('in the $name mode', ({ singleConnection }) => {
    it('delivers notifications to the user named by the Authorization header, and forum activity to anybody', async () => {
      const token = await userToken(501);
      const user = connectSseClient(streamUrl, { singleConnection, token: () => token });
      const anonymous = connectSseClient(streamUrl, { singleConnection });
      const live = server.expectSubscriptions('notification');
      const liveActivity = server.expectSubscriptions('forumActivity');
      const notifications = user.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '501' });
      const activity = anonymous.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'sse-forum' });
      await live();
      await liveActivity();

      await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '501', type: 't', title: 'over graphql-sse' } }, PUBLISHER_TOKEN);
      await postGraphQL(server.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'sse-forum', title: 'public' } }, PUBLISHER_TOKEN);
      expect(await notifications.next()).toMatchObject({ data: { notification: { userId: '501', title: 'over graphql-sse' } } });
      expect(await activity.next()).toMatchObject({ data: { forumActivity: { forumId: 'sse-forum', title: 'public' } } });
      user.dispose();
      anonymous.dispose();
    });

    it('answers queries and mutations on the stream too', async () => {
      const client = connectSseClient(streamUrl, { singleConnection, token: () => PUBLISHER_TOKEN });
      const published = client.subscribe(PUBLISH_NOTIFICATION, { input: { userId: '502', type: 't', title: 'a mutation over SSE' } });
      expect(await published.next()).toMatchObject({ data: { publishNotification: { id: expect.any(String) } } });
      client.dispose();
    });

    it("refuses a subscription to somebody else's notifications with FORBIDDEN in its errors", async () => {
      const token = await userToken(503);
      const client = connectSseClient(streamUrl, { singleConnection, token: () => token });
      expect(failureCodes(await client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '504' }).failure())).toEqual(['FORBIDDEN']);
      client.dispose();
    });

    it('refuses a token that is not valid with 401 and UNAUTHENTICATED', async () => {
      const forged = await userToken(505, { secret: 'forged-secret-of-an-attacker' });
      const client = connectSseClient(streamUrl, { singleConnection, token: () => forged });
      const failure = await client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '505' }).failure();
      expect(failure).toBeInstanceOf(NetworkError);
      expect((failure as NetworkError<Response>).response?.status).toBe(401);
      client.dispose();
      // The client drops the body of a refused reservation; it carries the GraphQL errors all the same.
      const answer = singleConnection
        ? await fetch(streamUrl, { method: 'PUT', headers: { authorization: `Bearer ${forged}` } })
        : await fetch(streamUrl, {
            method: 'POST',
            headers: { authorization: `Bearer ${forged}`, accept: 'text/event-stream', 'content-type': 'application/json' },
            body: JSON.stringify({ query: '{ viewer { id } }' }),
          });
      expect(await refusal(answer)).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
    });

    it('stops an operation the client stops, and frees it on the server', async () => {
      const token = await userToken(506);
      const client = connectSseClient(streamUrl, { singleConnection, token: () => token });
      const live = [server.expectSubscriptions('notification'), server.expectSubscriptions('forumActivity')];
      const stopped = client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '506' });
      const kept = client.subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'sse-kept' });
      await Promise.all(live.map((isLive) => isLive()));
      if (singleConnection) await client.whenAccepted(2);
      stopped.dispose();
      await server.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === 0);

      await postGraphQL(server.url, PUBLISH_FORUM_ACTIVITY, { input: { kind: 'POST_CREATED', forumId: 'sse-kept', title: 'still flowing' } }, PUBLISHER_TOKEN);
      expect(await kept.next()).toMatchObject({ data: { forumActivity: { title: 'still flowing' } } });
      client.dispose();
      await server.whenSubscriptions((metrics) => metrics.liveSubscriptions('forumActivity') === 0);
    });
  });
});

describe('the single connection mode of /graphql/stream, request by request', () => {
  let server: TestApp;
  let sse: ReturnType<typeof singleConnection>;
  beforeAll(async () => {
    server = await startTestApp({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '2' });
    sse = singleConnection(`${server.url}/stream`);
  });

  const reservationOf = async (userToken?: string) => {
    const answer = await sse.reserve(userToken);
    expect(answer.status).toBe(201);
    return answer.text();
  };
  const codesOf = async (answer: Response) => ({
    status: answer.status,
    codes: ((await answer.json()) as { errors: Array<{ extensions?: { code?: string } }> }).errors.map((error) => error.extensions?.code),
  });

  it("refuses the stream and every operation to anybody but the reservation's holder, with FORBIDDEN", async () => {
    const [alice, bob] = [await userToken(601), await userToken(602)];
    const reservation = await reservationOf(alice);
    expect(
      await codesOf(
        await fetch(`${server.url}/stream`, {
          headers: { accept: 'text/event-stream', 'x-graphql-event-stream-token': reservation, authorization: `Bearer ${bob}` },
        }),
      ),
    ).toEqual({ status: 403, codes: ['FORBIDDEN'] });
    expect((await sse.open(reservation)).status).toBe(403); // anonymous is somebody else too
    const stream = await sse.open(reservation, alice);
    expect(stream.status).toBe(200);
    expect(await codesOf(await sse.post(reservation, bob, 'op-1', NOTIFICATION_SUBSCRIPTION, { userId: '602' }))).toEqual({
      status: 403,
      codes: ['FORBIDDEN'],
    });
    expect(await codesOf(await sse.stop(reservation, bob, 'op-1'))).toEqual({ status: 403, codes: ['FORBIDDEN'] });
    expect(await codesOf(await sse.post(reservation, 'not-a-jwt', 'op-1', NOTIFICATION_SUBSCRIPTION, { userId: '601' }))).toEqual({
      status: 401,
      codes: ['UNAUTHENTICATED'],
    });

    const live = server.expectSubscriptions('notification');
    expect((await sse.post(reservation, alice, 'op-1', NOTIFICATION_SUBSCRIPTION, { userId: '601' })).status).toBe(202);
    await live();
    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '601', type: 't', title: 'for alice only' } }, PUBLISHER_TOKEN);
    expect(await stream.next()).toMatchObject({ event: 'next', data: { id: 'op-1', payload: { data: { notification: { title: 'for alice only' } } } } });
    stream.close();
  });

  it('knows no reservation it did not sign, and answers a request without one as the protocol says', async () => {
    const reservation = await reservationOf();
    const [payload] = reservation.split('.');
    expect((await sse.open(`${payload}.${Buffer.alloc(32).toString('base64url')}`)).status).toBe(404);
    expect((await sse.post('made-up', undefined, 'op', '{ viewer { id } }')).status).toBe(404);
    expect((await sse.post(reservation, undefined, 'op', '{ viewer { id } }')).status).toBe(404); // reserved, not opened
    expect((await fetch(`${server.url}/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(406);
    expect((await fetch(`${server.url}/stream`, { method: 'PATCH' })).status).toBe(405);
  });

  it('lets a reservation that was not opened in time expire', async () => {
    const reservedLongAgo = createReservationTokens(DEVELOPMENT_JWT_SECRET, () => Date.now() - RESERVATION_OPEN_WINDOW_MS - 1000).issue('anonymous');
    expect((await sse.open(reservedLongAgo)).status).toBe(404);
  });

  it('refuses a document that does not validate with 400 and its errors, and a second operation of the same id with 409', async () => {
    const reservation = await reservationOf();
    const stream = await sse.open(reservation);
    expect(await codesOf(await sse.post(reservation, undefined, 'bad', '{ nope }'))).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });
    expect((await sse.post(reservation, undefined, 'same', FORUM_ACTIVITY_SUBSCRIPTION)).status).toBe(202);
    expect((await sse.post(reservation, undefined, 'same', FORUM_ACTIVITY_SUBSCRIPTION)).status).toBe(409);
    expect(
      (
        await fetch(`${server.url}/stream`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-graphql-event-stream-token': reservation },
          body: JSON.stringify({ query: '{ viewer { id } }' }),
        })
      ).status,
    ).toBe(400);
    stream.close();
  });

  it('runs at most MAX_SUBSCRIPTIONS_PER_CONNECTION operations on one stream, as on a socket', async () => {
    const reservation = await reservationOf();
    const stream = await sse.open(reservation);
    for (const id of ['a', 'b', 'c']) expect((await sse.post(reservation, undefined, id, FORUM_ACTIVITY_SUBSCRIPTION)).status).toBe(202);
    expect(await stream.next()).toMatchObject({ event: 'next', data: { id: 'c', payload: { errors: [{ extensions: { code: 'TOO_MANY_OPERATIONS' } }] } } });
    expect(await stream.next()).toEqual({ event: 'complete', data: { id: 'c' } });
    expect((await sse.stop(reservation, undefined, 'a')).status).toBe(200);
    expect((await sse.post(reservation, undefined, 'd', FORUM_ACTIVITY_SUBSCRIPTION)).status).toBe(202);
    stream.close();
  });

  it('shares a forum event between a socket and a stream whose operations have the same id, each framed in its own protocol', async () => {
    const live = server.expectSubscriptions('forumActivity', 2);
    // graphql-ws' client names its operation as the stream's is named (its own default is a UUID).
    const socket = createClient({
      url: server.wsUrl,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      generateID: () => 'both',
      onNonLazyError: () => {},
    });
    const overSocket = subscribeWith<{ forumActivity: Record<string, unknown> }>(socket, FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'framed' });
    const reservation = await reservationOf();
    const stream = await sse.open(reservation);
    expect((await sse.post(reservation, undefined, 'both', FORUM_ACTIVITY_SUBSCRIPTION, { forumId: 'framed' })).status).toBe(202);
    await live();

    await postGraphQL(
      server.url,
      PUBLISH_FORUM_ACTIVITY,
      { input: { kind: 'POST_CREATED', forumId: 'framed', title: 'one event, two protocols' } },
      PUBLISHER_TOKEN,
    );
    const [socketResult, streamEvent] = await Promise.all([overSocket.next(), stream.next()]);
    expect(socketResult).toMatchObject({ data: { forumActivity: { forumId: 'framed', title: 'one event, two protocols' } } });
    expect(streamEvent).toEqual({ event: 'next', data: { id: 'both', payload: { data: socketResult.data } } });
    stream.close();
    await socket.dispose();
  });

  it('frees the operations of a stream its client abandons', async () => {
    const reservation = await reservationOf();
    const stream = await sse.open(reservation);
    const live = server.expectSubscriptions('forumActivity', 2);
    for (const id of ['x', 'y']) expect((await sse.post(reservation, undefined, id, FORUM_ACTIVITY_SUBSCRIPTION)).status).toBe(202);
    await live();
    stream.close();
    await server.whenSubscriptions((metrics) => metrics.liveSubscriptions('forumActivity') === 0);
    expect((await sse.post(reservation, undefined, 'z', FORUM_ACTIVITY_SUBSCRIPTION)).status).toBe(404);
  });

  it("ends the stream when its holder's token expires", async () => {
    // JWT expiry is in whole seconds: 2 leaves the test at least one to reserve, open and subscribe.
    const expiring = await userToken(603, { expiresInSeconds: 2 });
    const reservation = await reservationOf(expiring);
    const stream = await sse.open(reservation, expiring);
    expect((await sse.post(reservation, expiring, 'n', NOTIFICATION_SUBSCRIPTION, { userId: '603' })).status).toBe(202);
    await expect(stream.next()).rejects.toThrow('the event stream ended');
  });

  it('closes the older stream when a newer one opens for the same reservation', async () => {
    const reservation = await reservationOf();
    const older = await sse.open(reservation);
    const newer = await sse.open(reservation);
    expect(newer.status).toBe(200);
    await expect(older.next()).rejects.toThrow('the event stream ended');
    newer.close();
  });
});

describe('a single connection stream that stops reading', () => {
  it('is cut once its unsent output passes MAX_BUFFERED_BYTES, as a socket is, while other streams keep receiving', async () => {
    const server = await startTestApp({ MAX_BUFFERED_BYTES: String(256 * 1024) });
    const streamUrl = `${server.url}/stream`;
    const token = await userToken(611);
    const reader = connectSseClient(streamUrl, { singleConnection: true, token: () => token }).subscribe<{ notification: { title: string } }>(
      NOTIFICATION_SUBSCRIPTION,
      { userId: '611' },
    );
    const reservation = await (await singleConnection(streamUrl).reserve(token)).text();
    // A reader that stops reading: node's own request, its response paused.
    const paused = await new Promise<IncomingMessage>((resolve) =>
      get(streamUrl, { headers: { accept: 'text/event-stream', 'x-graphql-event-stream-token': reservation, authorization: `Bearer ${token}` } }, resolve),
    );
    paused.pause();
    const live = server.expectSubscriptions('notification', 2);
    expect((await singleConnection(streamUrl).post(reservation, token, 'paused', NOTIFICATION_SUBSCRIPTION, { userId: '611' })).status).toBe(202);
    await live();

    const blob = 'x'.repeat(60_000);
    let published = 0;
    while (server.app.metrics.liveSubscriptions('notification') > 1) {
      await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '611', type: 't', title: `${published}`, data: { blob } } }, PUBLISHER_TOKEN);
      expect((await reader.next()).data!.notification.title).toBe(`${published}`);
      published += 1;
      expect(published).toBeLessThan(2000);
    }
    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '611', type: 't', title: 'after the cut' } }, PUBLISHER_TOKEN);
    expect((await reader.next()).data!.notification.title).toBe('after the cut');
    paused.destroy();
  });
});
