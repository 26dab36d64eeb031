import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../utils/chromium';
import { startWebExample, type WebExample } from '../../examples/web/serve';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/observability/logger';
import { freePort } from '../utils/free-port';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';

/** Set to a folder to (re)take the README's screenshots. */
const SCREENSHOTS = process.env['SCREENSHOT_DIR'];

jest.setTimeout(60_000);

describe('the live page and GraphiQL in a real browser', () => {
  let app: App;
  let graphqlUrl: string;
  let wsUrl: string;
  let web: WebExample;
  let browser: Browser;

  /** The service, on a fixed port so that it can be restarted under the pages; on Redis, so another process can publish meanwhile. */
  const env = { REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() };
  let port: number;
  async function startService(): Promise<void> {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent', ...env });
    // GraphiQL opens with user 701's token in its Headers tab, as `npm start` does for user 1.
    app = createApp(config, { logger: createLogger('silent'), graphiqlHeaders: { Authorization: `Bearer ${await userToken('701')}` } });
    graphqlUrl = (await app.start()).url;
    wsUrl = graphqlUrl.replace(/^http/, 'ws');
  }

  beforeAll(async () => {
    port = await freePort();
    await startService();
    web = await startWebExample({ port: 0 });
    browser = await launchChromium();
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await app?.stop();
  });

  async function openAs(userId: string, threadId: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 620 } })).newPage();
    await page.goto(`${web.url}?graphql=${encodeURIComponent(wsUrl)}`);
    await page.fill('#token', await userToken(userId));
    await page.click('#sign-in');
    await page.fill('#thread', threadId);
    await page.click('#join');
    await page.locator('#who', { hasText: `user ${userId}` }).waitFor();
    await page.locator('#status[data-state="connected"]').waitFor();
    return page;
  }

  /** Resolves once the service has a live `notification` subscription (a publish after it reaches the page). */
  const notificationsLive = () =>
    new Promise<void>((resolve) => {
      const check = () => app.metrics.liveSubscriptions('notification') > 0 && (undo(), resolve());
      const undo = app.metrics.onSubscriptionsChanged(check);
      check();
    });

  const viewerIds = (page: Page) => page.locator('#viewers li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['id']));

  /** Publishes a notification the way the README's first minute does: with curl. */
  const curlNotification = (userId: string, title: string, url = graphqlUrl) =>
    promisify(execFile)('curl', [
      '-sf',
      url,
      '-H',
      'content-type: application/json',
      '-H',
      `authorization: Bearer ${PUBLISHER_TOKEN}`,
      '-d',
      JSON.stringify({
        query: `mutation { publishNotification(input: {userId: "${userId}", type: "thread.reply", title: "${title}", body: "from curl"}) { id } }`,
      }),
    ]);

  it('shows two users on one thread each other, who is typing, and notifications on the right page', async () => {
    const alice = await openAs('711', 'browser-thread');
    const bob = await openAs('712', 'browser-thread');
    await alice.locator('#viewers li[data-id="712"]').waitFor();
    await bob.locator('#viewers li[data-id="711"]').waitFor();
    expect(await viewerIds(alice)).toEqual(['711', '712']);
    expect(await bob.locator('#viewer-count').textContent()).toBe('2');

    await alice.locator('#reply').pressSequentially('Hello Bob');
    await bob.locator('#typing', { hasText: 'user 711 is typing' }).waitFor();
    expect(await alice.locator('#typing').textContent()).toBe('');

    await curlNotification('712', 'Alice replied to your thread');
    await bob.locator('#notifications li', { hasText: 'Alice replied to your thread' }).waitFor();
    await curlNotification('711', 'Bob reacted to your post');
    await alice.locator('#notifications li', { hasText: 'Bob reacted to your post' }).waitFor();
    expect(await alice.locator('#notifications li').allTextContents()).toEqual([expect.stringContaining('Bob reacted to your post')]);
    expect(await bob.locator('#notifications li').allTextContents()).toEqual([expect.stringContaining('Alice replied to your thread')]);
    if (SCREENSHOTS) {
      await bob.locator('#reply').pressSequentially('Hi');
      await alice.locator('#typing', { hasText: 'user 712 is typing' }).waitFor();
      await alice.screenshot({ path: join(SCREENSHOTS, 'live-page-alice.png') });
      await bob.screenshot({ path: join(SCREENSHOTS, 'live-page-bob.png') });
    }

    await bob.close();
    await alice.locator('#viewers li[data-id="712"]').waitFor({ state: 'detached' });
    expect(await viewerIds(alice)).toEqual(['711']);
  });

  it('shows its connection state and catches up after the service restarted under it and after the network was cut', async () => {
    const page = await openAs('713', 'browser-thread-2');
    await notificationsLive();
    await curlNotification('713', 'Before the restart');
    await page.locator('#notifications li', { hasText: 'Before the restart' }).waitFor();

    const other = await startTestApp(env); // another process of the service, on the same Redis
    await app.stop(); // the page's socket is closed with 1012
    await page.locator('#status[data-state="reconnecting"]').waitFor();
    await curlNotification('713', 'While the service restarted', other.url);
    await startService();
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator('#notifications li', { hasText: 'While the service restarted' }).waitFor();
    await page.locator('#viewers li[data-id="713"]').waitFor();

    await page.context().setOffline(true);
    await page.locator('#status[data-state="offline"]').waitFor();
    expect(await page.locator('#status').textContent()).toBe('offline: waiting for the network');
    await curlNotification('713', 'While the network was cut');
    await page.context().setOffline(false);
    await page.locator('#status[data-state="connected"]').waitFor();
    await page.locator('#notifications li', { hasText: 'While the network was cut' }).waitFor();

    expect(await page.locator('#notifications li strong').allTextContents()).toEqual([
      'While the network was cut',
      'While the service restarted',
      'Before the restart',
    ]);
    await other.stop();
    await page.close();
  });

  it('runs a subscription in GraphiQL at /graphql, with its assets served by the service', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1200, height: 700 } })).newPage();
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(new URL(graphqlUrl).origin) && !request.url().startsWith('blob:') && !request.url().startsWith('data:'))
        external.push(request.url());
    });
    await page.goto(graphqlUrl);
    const editor = page.locator('.graphiql-query-editor .monaco-editor').first();
    await editor.waitFor();
    await editor.click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('subscription { notification(userId: "701") { id title } }');
    await page.keyboard.press('Home');
    const started = app.metrics.startedSubscriptions('notification');
    await page.click('.graphiql-execute-button');
    // The subscription is live once the server counts it.
    await new Promise<void>((resolve) => {
      const check = () => app.metrics.startedSubscriptions('notification') > started && (undo(), resolve());
      const undo = app.metrics.onSubscriptionsChanged(check);
      check();
    });
    await curlNotification('701', 'Hello GraphiQL');
    await page.locator('.graphiql-response', { hasText: 'Hello GraphiQL' }).waitFor();
    if (SCREENSHOTS) await page.screenshot({ path: join(SCREENSHOTS, 'graphiql-subscription.png') });
    expect(external).toEqual([]);
  });
});
