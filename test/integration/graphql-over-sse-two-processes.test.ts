import { createClient as createHttpClient } from 'graphql-http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { startServicePair, waitForLiveSubscriptions, type ServiceProcess } from '../utils/service-process';
import { connectSseClient } from '../utils/sse-client';
import { PUBLISHER_TOKEN } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { failureCodes } from '../utils/ws-client';

const RESUMING = 'subscription ($userId: ID!, $after: ID) { notification(userId: $userId, after: $after) { id title } }';

/** graphql-http's own client: one query or mutation, its result. */
function httpOperation(url: string, token: string | undefined, query: string, variables: Record<string, unknown> = {}) {
  const client = createHttpClient({ url, headers: token ? { authorization: `Bearer ${token}` } : {} });
  return new Promise<{ data?: unknown; errors?: unknown }>((resolve, reject) => {
    let result: { data?: unknown; errors?: unknown } = {};
    client.subscribe({ query, variables }, { next: (value) => (result = value as typeof result), error: reject, complete: () => resolve(result) });
  });
}

/**
 * Sends each request to the next of `origins` in turn, as a load balancer without sticky
 * sessions may: the reservation, the stream and the operations reach different processes.
 * `origins` is read on every request, so a test can take a process out.
 */
function roundRobin(origins: () => string[], before: () => Promise<void> = async () => {}): typeof fetch {
  let turn = 0;
  return async (input, init) => {
    await before();
    const url = new URL(input instanceof Request ? input.url : input);
    const live = origins();
    return fetch(new URL(url.pathname + url.search, live[turn++ % live.length]), init);
  };
}

describe('GraphQL over SSE across two processes on one Redis, with no sticky sessions', () => {
  let first: ServiceProcess;
  let second: ServiceProcess;
  beforeAll(async () => {
    [first, second] = await startServicePair();
  }, 60_000);

  it('answers graphql-http’s client for queries and mutations on either process', async () => {
    const token = await userToken(801);
    expect(await httpOperation(first.url, token, '{ viewer { id } }')).toEqual({ data: { viewer: { id: '801' } } });
    const published = await httpOperation(second.url, PUBLISHER_TOKEN, PUBLISH_NOTIFICATION, {
      input: { userId: '801', type: 't', title: 'via graphql-http' },
    });
    expect(published).toMatchObject({ data: { publishNotification: { id: expect.any(String) } } });
    expect(await httpOperation(second.url, token, PUBLISH_NOTIFICATION, { input: { userId: '801', type: 't', title: 'not a publisher' } })).toMatchObject({
      errors: [{ extensions: { code: 'FORBIDDEN' } }],
    });
  });

  describe.each([
    { name: 'distinct connections', singleConnection: false },
    { name: 'single connection', singleConnection: true },
  ])('in the $name mode', ({ singleConnection }) => {
    it('delivers what either process publishes, refuses with FORBIDDEN, and stops what the client stops', async () => {
      const token = await userToken(802);
      const client = connectSseClient(`${first.url}/stream`, {
        singleConnection,
        token: () => token,
        fetchFn: roundRobin(() => [first.origin, second.origin]),
      });
      const notifications = client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '802' });
      const refused = client.subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '803' });
      expect(failureCodes(await refused.failure())).toEqual(['FORBIDDEN']);
      await Promise.race([waitForLiveSubscriptions(first.origin, 'notification', 1), waitForLiveSubscriptions(second.origin, 'notification', 1)]);
      if (singleConnection) await client.whenAccepted(2);

      for (const [index, origin] of [first.url, second.url].entries()) {
        await httpOperation(origin, PUBLISHER_TOKEN, PUBLISH_NOTIFICATION, { input: { userId: '802', type: 't', title: `from process ${index + 1}` } });
        expect(await notifications.next()).toMatchObject({ data: { notification: { title: `from process ${index + 1}` } } });
      }

      notifications.dispose();
      await Promise.all([waitForLiveSubscriptions(first.origin, 'notification', 0), waitForLiveSubscriptions(second.origin, 'notification', 0)]);
      client.dispose();
    });
  });

  it('resumes with `after` when the process holding the stream restarts, missing nothing', async () => {
    const token = await userToken(804);
    let origins = [first.origin, second.origin];
    let reconnecting: Promise<void> | null = null;
    let lastId: string | undefined;
    const client = connectSseClient(`${first.url}/stream`, {
      singleConnection: true,
      token: () => token,
      retryAttempts: 10,
      // While the test publishes what the client must catch up on, its requests wait.
      fetchFn: roundRobin(
        () => origins,
        () => reconnecting ?? Promise.resolve(),
      ),
    });
    const notifications = client.subscribe<{ notification: { id: string; title: string } }>(RESUMING, {
      userId: '804',
      get after() {
        return lastId;
      },
    });
    const next = async () => {
      const { data } = await notifications.next();
      lastId = data!.notification.id;
      return data!.notification.title;
    };
    // PUT goes to the first process, the stream to the second: the second holds it.
    await waitForLiveSubscriptions(second.origin, 'notification', 1);
    await client.whenAccepted(1);
    await httpOperation(first.url, PUBLISHER_TOKEN, PUBLISH_NOTIFICATION, { input: { userId: '804', type: 't', title: 'before the restart' } });
    expect(await next()).toBe('before the restart');

    let reconnect: () => void = () => {};
    reconnecting = new Promise((resolve) => (reconnect = resolve));
    origins = [first.origin];
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    await httpOperation(first.url, PUBLISHER_TOKEN, PUBLISH_NOTIFICATION, { input: { userId: '804', type: 't', title: 'while reconnecting' } });
    reconnecting = null;
    reconnect();

    expect(await next()).toBe('while reconnecting');
    await httpOperation(first.url, PUBLISHER_TOKEN, PUBLISH_NOTIFICATION, { input: { userId: '804', type: 't', title: 'after the restart' } });
    expect(await next()).toBe('after the restart');
    client.dispose();
  });
});
