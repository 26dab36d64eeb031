import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'undici';
import { makeSelfSignedCertificate } from '../utils/certificates';
import { errorCodes, postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { BUSES } from '../utils/redis';
import { readEvents, subscribeOverSse } from '../utils/sse';
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

describe('an event stream, whose connection the service takes from the HTTP server', () => {
  it('is served over TLS too, and frees its subscription when the client goes', async () => {
    const certificate = makeSelfSignedCertificate(mkdtempSync(join(tmpdir(), 'sse-tls-')), 'sse');
    const server = await startTestApp({ TLS_CERT_FILE: certificate.certFile, TLS_KEY_FILE: certificate.keyFile });
    const dispatcher = new Agent({ connect: { ca: certificate.cert } });
    const post = (accept: string, token: string, query: string, variables: Record<string, unknown>, signal?: AbortSignal) =>
      fetch(server.url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', accept, authorization: `Bearer ${token}` },
        body: JSON.stringify({ query, variables }),
        dispatcher,
      } as RequestInit);
    const controller = new AbortController();
    const live = server.expectSubscriptions('notification');
    const response = await post('text/event-stream', await userToken(9), NOTIFICATION_SUBSCRIPTION, { userId: '9' }, controller.signal);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const next = readEvents(response);
    await live();
    const published = await post('application/json', PUBLISHER_TOKEN, PUBLISH_NOTIFICATION, { input: { userId: '9', type: 'tls', title: 'over TLS' } });
    expect(published.status).toBe(200);
    expect(JSON.parse((await next()).data)).toMatchObject({ data: { notification: { title: 'over TLS' } } });
    controller.abort();
    await server.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === 0);
    await dispatcher.close();
  });

  it('is cut once the drain time has passed when the service stops (the HTTP server no longer knows it)', async () => {
    const server = await startTestApp();
    const live = server.expectSubscriptions('notification');
    const stream = await subscribeOverSse(server.url, NOTIFICATION_SUBSCRIPTION, { userId: '10' }, await userToken(10));
    await live();
    const ended = stream.next().then(
      () => 'an event',
      (error: Error) => error.message,
    );
    await server.stop();
    expect(await ended).toMatch(/ended|terminated/);
  });
});
