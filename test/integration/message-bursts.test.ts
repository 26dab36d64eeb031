import { postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATIONS } from '../utils/operations';
import { openRawSocket, type RawSocket } from '../utils/raw-socket';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

const SOCKETS = 400;

describe('a burst of messages from many sockets at once', () => {
  let server: TestApp;
  let sockets: RawSocket[];
  beforeAll(async () => {
    server = await startTestApp();
    sockets = await Promise.all(
      Array.from({ length: SOCKETS }, async (_, index) => {
        const socket = await openRawSocket(server.wsUrl);
        socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${await userToken(index + 1)}` } });
        await socket.nextMessage('connection_ack');
        return socket;
      }),
    );
  });
  afterAll(() => sockets.forEach(({ socket }) => socket.close()));

  it('is handled in each socket’s order: what a socket completed stays ended, what it asked for next runs', async () => {
    // More subscribes than one 10 ms turn handles: most messages wait for their turn before they
    // are parsed. Sent in three waves, a loop turn apart, so that later waves arrive while
    // earlier messages still wait, and must queue behind them.
    const started = server.expectSubscriptions('notification', SOCKETS);
    const subscribe = (index: number, id: string) => ({
      id,
      type: 'subscribe',
      payload: { query: NOTIFICATION_SUBSCRIPTION, variables: { userId: String(index + 1) } },
    });
    const waves = [
      (index: number) => subscribe(index, 'completed'),
      () => ({ id: 'completed', type: 'complete' }),
      (index: number) => subscribe(index, 'kept'),
    ];
    for (const message of waves) {
      sockets.forEach(({ send }, index) => send(message(index)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await started();

    const inputs = sockets.map((_, index) => ({ userId: String(index + 1), type: 'burst', title: `for ${index + 1}` }));
    expect((await postGraphQL(server.url, PUBLISH_NOTIFICATIONS, { inputs }, PUBLISHER_TOKEN)).errors).toBeUndefined();
    const kept = await Promise.all(
      sockets.map(async ({ nextMessage }) => {
        for (;;) {
          const message = await nextMessage('next');
          if (message['id'] === 'kept') return message;
        }
      }),
    );
    kept.forEach((message, index) => expect(message).toMatchObject({ payload: { data: { notification: { title: `for ${index + 1}` } } } }));
    // Had a `complete` overtaken its `subscribe`, that operation would run for good: the count
    // would never come down to one operation per socket.
    await server.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === SOCKETS);
  });
});
