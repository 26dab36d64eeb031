import { errorCodes, postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { subscribeOverSse } from '../utils/sse';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

describe.each(BUSES)('HTTP and SSE on the $name bus', (bus) => {
  let server: TestApp;
  beforeAll(async () => {
    server = await startTestApp(bus.env());
  });

  it('tells a caller who they are', async () => {
    const query = '{ viewer { id roles } }';
    expect((await postGraphQL(server.url, query, {}, await userToken(7, { roles: ['moderator'] }))).data).toEqual({
      viewer: { id: '7', roles: ['moderator'] },
    });
    expect((await postGraphQL(server.url, query)).data).toEqual({ viewer: null });
    const forged = await postGraphQL(server.url, query, {}, await userToken(7, { secret: 'forged-secret-of-an-attacker' }));
    expect(errorCodes(forged)).toEqual(['UNAUTHENTICATED']);
    expect(forged.status).toBe(401);
  });

  it('delivers a notification over SSE to the user named by the Authorization header', async () => {
    const live = server.expectSubscriptions('notification');
    const stream = await subscribeOverSse(server.url, NOTIFICATION_SUBSCRIPTION, { userId: '8' }, await userToken(8));
    expect(stream.status).toBe(200);
    await live();
    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '8', type: 'sse', title: 'over SSE' } }, PUBLISHER_TOKEN);
    expect(await stream.next()).toMatchObject({ data: { notification: { userId: '8', title: 'over SSE', type: 'sse' } } });
    stream.close();
  });
});
