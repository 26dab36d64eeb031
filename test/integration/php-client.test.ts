import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { FORUM_ACTIVITY_SUBSCRIPTION, NOTIFICATION_SUBSCRIPTION } from '../utils/operations';
import { lintPhp, PHP, PHP_CLIENT_DIR, runPhpClient } from '../utils/php-client';
import { describeWithProgram } from '../utils/programs';
import { freePort } from '../utils/free-port';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

/** Fast retries, so that a test of three attempts takes well under a second. */
const FAST = { retries: 2, backoff_ms: 40, max_backoff_ms: 200, timeout: 3 };

interface Stub {
  readonly url: string;
  requests(): number;
  close(): Promise<void>;
}

/** An HTTP server in front of nothing or of the service, to play a failing load balancer. */
async function startStub(handle: (request: IncomingMessage, response: ServerResponse, body: string, count: number) => void): Promise<Stub> {
  let count = 0;
  const server: Server = createServer((request, response) => {
    count += 1;
    const seen = count;
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => handle(request, response, body, seen));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    requests: () => count,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Passes a request on to the service unchanged. */
async function forward(target: string, request: IncomingMessage, response: ServerResponse, body: string): Promise<void> {
  const answer = await fetch(target, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: request.headers.authorization ?? '' },
    body,
  });
  response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  response.end(await answer.text());
}

describeWithProgram(PHP, 'php-cli php-curl', 'the PHP publisher client under php-cli', () => {
  let server: TestApp;
  const stubs: Stub[] = [];
  beforeAll(async () => {
    server = await startTestApp();
  });
  afterAll(async () => {
    await Promise.all(stubs.map((stub) => stub.close()));
  });
  const stub = async (handle: Parameters<typeof startStub>[0]) => {
    const started = await startStub(handle);
    stubs.push(started);
    return started;
  };

  it('publishes a notification that reaches its user, every field intact', async () => {
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(61)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '61' });
    await live();
    const data = { threadId: 7, mentions: ['ana', 'bo'], quote: 'Ünïcødé "quoted" / slashed' };
    const outcome = await runPhpClient({
      endpoint: server.url,
      token: PUBLISHER_TOKEN,
      method: 'publishNotification',
      input: { userId: 61, type: 'thread.reply', title: 'Bo replied', body: 'to your thread', url: '/threads/7', data },
    });
    expect(outcome.error).toBeUndefined();
    expect(outcome.result).toEqual({ id: expect.any(String), publishedAt: expect.any(String) });
    expect((await subscription.next()).data).toEqual({
      notification: {
        id: outcome.result!.id,
        userId: '61',
        type: 'thread.reply',
        title: 'Bo replied',
        body: 'to your thread',
        url: '/threads/7',
        data,
        createdAt: outcome.result!.publishedAt,
      },
    });
  });

  it('publishes forum activity that reaches an anonymous subscriber', async () => {
    const live = server.expectSubscriptions('forumActivity');
    const subscription = connectClient(server.wsUrl).subscribe(FORUM_ACTIVITY_SUBSCRIPTION, { forumId: '12' });
    await live();
    const outcome = await runPhpClient({
      endpoint: server.url,
      token: PUBLISHER_TOKEN,
      method: 'publishForumActivity',
      input: { kind: 'POST_CREATED', forumId: '12', threadId: '345', postId: '6789', actorId: '42', title: 'A post', visibility: 'PUBLIC' },
    });
    expect(outcome.error).toBeUndefined();
    expect((await subscription.next()).data).toMatchObject({
      forumActivity: { id: outcome.result!.id, kind: 'POST_CREATED', forumId: '12', threadId: '345', postId: '6789', title: 'A post' },
    });
  });

  it('raises FORBIDDEN for a token that is not the publisher, UNAUTHENTICATED for a bad one, without retrying', async () => {
    const input = { userId: '62', type: 't', title: 'not yours to send' };
    const asUser = await runPhpClient({ endpoint: server.url, token: await userToken(62), method: 'publishNotification', input, options: FAST });
    expect(asUser.error).toMatchObject({ class: 'RealtimeException', code: 'FORBIDDEN', attempts: 1, retryable: false });
    const wrong = await runPhpClient({ endpoint: server.url, token: 'not-the-publisher-token', method: 'publishNotification', input, options: FAST });
    expect(wrong.error).toMatchObject({ class: 'RealtimeException', code: 'UNAUTHENTICATED', status: 401, attempts: 1, retryable: false });
  });

  it('raises BAD_USER_INPUT without retrying, and publishes nothing', async () => {
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(63)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '63' });
    await live();
    const call = { endpoint: server.url, token: PUBLISHER_TOKEN, method: 'publishNotification', options: FAST } as const;
    const blank = await runPhpClient({ ...call, input: { userId: '63', type: 't', title: '   ' } });
    expect(blank.error).toMatchObject({ code: 'BAD_USER_INPUT', attempts: 1, retryable: false });
    const missing = await runPhpClient({ ...call, input: { userId: '63', title: 'no type' } });
    expect(missing.error).toMatchObject({ code: 'BAD_USER_INPUT', attempts: 1 });
    const good = await runPhpClient({ ...call, input: { userId: '63', type: 't', title: 'the only one' } });
    expect((await subscription.next()).data).toMatchObject({ notification: { id: good.result!.id, title: 'the only one' } });
  });

  it('retries UNAVAILABLE (Redis unreachable) with backoff, then raises it', async () => {
    const closed = await freePort();
    const unavailable = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${closed}` }, 200);
    const outcome = await runPhpClient({
      endpoint: unavailable.url,
      token: PUBLISHER_TOKEN,
      method: 'publishNotification',
      input: { userId: '64', type: 't', title: 'lost?' },
      options: FAST,
    });
    expect(outcome.error).toMatchObject({ class: 'RealtimeException', code: 'UNAVAILABLE', status: 200, attempts: 3, retryable: true });
    // Equal jitter waits at least half of each delay: 20 ms, then 40 ms.
    expect(outcome.elapsedMs).toBeGreaterThanOrEqual(60);
    await unavailable.stop();
  });

  it('retries a 503 from the load balancer and publishes once the service answers', async () => {
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(65)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '65' });
    await live();
    const flaky = await stub((request, response, body, count) => {
      if (count <= 2) {
        response.writeHead(503, { 'content-type': 'text/html' }).end('<html>503 Service Temporarily Unavailable</html>');
      } else {
        void forward(server.url, request, response, body);
      }
    });
    const outcome = await runPhpClient({
      endpoint: flaky.url,
      token: PUBLISHER_TOKEN,
      method: 'publishNotification',
      input: { userId: '65', type: 't', title: 'third time' },
      options: FAST,
    });
    expect(outcome.error).toBeUndefined();
    expect(flaky.requests()).toBe(3);
    expect((await subscription.next()).data).toMatchObject({ notification: { id: outcome.result!.id, title: 'third time' } });
  });

  it('gives up after its retries on a 5xx that persists, and on a connection refused', async () => {
    const broken = await stub((_request, response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>'));
    const input = { userId: '66', type: 't', title: 'x' };
    const outcome = await runPhpClient({ endpoint: broken.url, token: PUBLISHER_TOKEN, method: 'publishNotification', input, options: FAST });
    expect(outcome.error).toMatchObject({ code: null, status: 502, attempts: 3, retryable: true });
    expect(broken.requests()).toBe(3);
    const refused = await runPhpClient({
      endpoint: `http://127.0.0.1:${await freePort()}/graphql`,
      token: PUBLISHER_TOKEN,
      method: 'publishNotification',
      input,
      options: FAST,
    });
    expect(refused.error).toMatchObject({ class: 'RealtimeException', code: null, status: null, attempts: 3, retryable: true });
  });

  it('times out after `timeout` seconds and does not retry a publish that may have been accepted, unless told to', async () => {
    // Reads the request and never answers.
    const silent = await stub(() => {});
    const call = { endpoint: silent.url, token: PUBLISHER_TOKEN, method: 'publishNotification', input: { userId: '67', type: 't', title: 'x' } } as const;
    const once = await runPhpClient({ ...call, options: { ...FAST, timeout: 0.3 } });
    expect(once.error).toMatchObject({ class: 'RealtimeTimeoutException', code: null, status: null, attempts: 1 });
    // curl's timer and PHP's clock are not the same clock: within a few milliseconds of 300.
    expect(once.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(once.elapsedMs).toBeLessThan(2_000);
    expect(silent.requests()).toBe(1);
    const retried = await runPhpClient({ ...call, options: { ...FAST, timeout: 0.3, retry_on_timeout: true } });
    expect(retried.error).toMatchObject({ class: 'RealtimeTimeoutException', attempts: 3 });
    expect(silent.requests()).toBe(4);
  });

  it('ships a Laravel service-provider example that parses', async () => {
    expect(await lintPhp(join(PHP_CLIENT_DIR, 'examples', 'RealtimeServiceProvider.php'))).toContain('No syntax errors');
  });
});
