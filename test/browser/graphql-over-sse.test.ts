import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../utils/chromium';
import { postGraphQL } from '../utils/http';
import { FORUM_ACTIVITY_SUBSCRIPTION, PUBLISH_FORUM_ACTIVITY, PUBLISH_NOTIFICATION } from '../utils/operations';
import { PUBLISHER_TOKEN, startTestApp, type TestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

jest.setTimeout(60_000);

/** A page on its own origin (so every request to the service is cross-origin, as a forum's is) with examples/realtime-sse.ts as `realtime`. */
async function startPageServer(): Promise<{ server: Server; url: string }> {
  const bundle = await build({
    entryPoints: [join(__dirname, '..', '..', 'examples', 'realtime-sse.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'realtime',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0]!.contents;
  const server = createServer((request, response) => {
    if (request.url === '/realtime.js') return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>forum</title><script src="/realtime.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

interface Tab {
  readonly page: Page;
  /** What the page has received so far: notification titles, forum activity titles, error codes. */
  seen(): Promise<{ notifications: string[]; activity: string[]; errors: string[] }>;
}

describe('GraphQL over SSE from a browser (chromium), with examples/realtime-sse.ts', () => {
  let service: TestApp;
  let pages: { server: Server; url: string };
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    [service, pages] = await Promise.all([startTestApp(), startPageServer()]);
    browser = await launchChromium();
    context = await browser.newContext();
  });
  afterAll(async () => {
    await browser?.close();
    pages?.server.closeAllConnections();
    await new Promise((resolve) => pages?.server.close(resolve));
  });

  /**
   * A forum tab: the user's notifications, forum activity, who reads the thread and who types,
   * all over one client (`singleConnection`), as a forum page holds them.
   */
  async function openTab(options: { userId: string; singleConnection: boolean; forumId: string; notificationsOf?: string }): Promise<Tab> {
    const page = await context.newPage();
    await page.goto(pages.url);
    const token = await userToken(options.userId);
    await page.evaluate(
      ({ stream, token, userId, singleConnection, forumId, notificationsOf, activityQuery }) => {
        const page = globalThis as unknown as Record<string, any>;
        page['seen'] = { notifications: [], activity: [], errors: [] };
        const client = page['realtime'].createRealtimeSse({ url: stream, getToken: () => token, singleConnection, retryAttempts: 0 });
        const onErrors = (errors: Array<{ extensions?: { code?: string }; message: string }>) =>
          page['seen'].errors.push(...errors.map((error) => error.extensions?.code ?? error.message));
        page['stopNotifications'] = page['realtime'].subscribeToNotifications(
          client,
          notificationsOf,
          (n: { title: string }) => page['seen'].notifications.push(n.title),
          onErrors,
        );
        if (!singleConnection) return;
        const sink = (onData: (data: any) => void) => ({
          next: ({ data, errors }: any) => (errors ? onErrors(errors) : onData(data)),
          error: onErrors,
          complete: () => {},
        });
        client.subscribe(
          { query: activityQuery, variables: { forumId } },
          sink((data) => page['seen'].activity.push(data.forumActivity.title)),
        );
        client.subscribe(
          { query: 'subscription ($threadId: ID!) { threadViewers(threadId: $threadId) { count } }', variables: { threadId: `${forumId}-thread` } },
          sink(() => {}),
        );
        client.subscribe(
          { query: 'subscription ($threadId: ID!) { typing(threadId: $threadId) { userId } }', variables: { threadId: `${forumId}-thread` } },
          sink(() => {}),
        );
        void userId;
      },
      {
        stream: `${service.url}/stream`,
        token,
        userId: options.userId,
        singleConnection: options.singleConnection,
        forumId: options.forumId,
        notificationsOf: options.notificationsOf ?? options.userId,
        activityQuery: FORUM_ACTIVITY_SUBSCRIPTION,
      },
    );
    return { page, seen: () => page.evaluate(() => (globalThis as unknown as { seen: Awaited<ReturnType<Tab['seen']>> }).seen) };
  }

  const waitForSeen = (tab: Tab, kind: 'notifications' | 'activity' | 'errors', value: string) =>
    tab.page.waitForFunction(([kind, value]) => (globalThis as unknown as Record<string, Record<string, string[]>>)['seen']![kind]!.includes(value), [
      kind,
      value,
    ] as const);

  it('holds four subscriptions in each of two tabs over HTTP/1.1 with one stream per tab, and delivers to both', async () => {
    const live = [service.expectSubscriptions('notification', 2), service.expectSubscriptions('forumActivity', 2), service.expectSubscriptions('typing', 2)];
    // Distinct connections would need 8 streams here, past the browser's 6 per origin: the second tab would stall.
    const tabs = [
      await openTab({ userId: '901', singleConnection: true, forumId: 'browser-forum' }),
      await openTab({ userId: '902', singleConnection: true, forumId: 'browser-forum' }),
    ];
    await Promise.all(live.map((isLive) => isLive()));

    await postGraphQL(
      service.url,
      PUBLISH_FORUM_ACTIVITY,
      { input: { kind: 'THREAD_CREATED', forumId: 'browser-forum', title: 'seen by both tabs' } },
      PUBLISHER_TOKEN,
    );
    for (const [index, tab] of tabs.entries()) {
      const userId = String(901 + index);
      await postGraphQL(service.url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title: `for ${userId}` } }, PUBLISHER_TOKEN);
      await waitForSeen(tab, 'activity', 'seen by both tabs');
      await waitForSeen(tab, 'notifications', `for ${userId}`);
      expect((await tab.seen()).notifications).toEqual([`for ${userId}`]);
    }

    await tabs[0]!.page.evaluate(() => (globalThis as unknown as { stopNotifications: () => void }).stopNotifications());
    await service.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === 1);
    await Promise.all(tabs.map(({ page }) => page.close()));
    await service.whenSubscriptions((metrics) => metrics.liveSubscriptions('notification') === 0 && metrics.liveSubscriptions('forumActivity') === 0);
  });

  it.each([true, false])('refuses somebody else’s notifications with FORBIDDEN (single connection: %s)', async (singleConnection) => {
    const tab = await openTab({ userId: '903', singleConnection, forumId: 'browser-forbidden', notificationsOf: '904' });
    await waitForSeen(tab, 'errors', 'FORBIDDEN');
    await tab.page.close();
  });

  it('delivers in the distinct connections mode too', async () => {
    const live = service.expectSubscriptions('notification');
    const tab = await openTab({ userId: '905', singleConnection: false, forumId: 'browser-distinct' });
    await live();
    await postGraphQL(service.url, PUBLISH_NOTIFICATION, { input: { userId: '905', type: 't', title: 'one stream per operation' } }, PUBLISHER_TOKEN);
    await waitForSeen(tab, 'notifications', 'one stream per operation');
    await tab.page.close();
  });
});
