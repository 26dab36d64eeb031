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
import { PUBLISHER_TOKEN } from '../utils/test-app';
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

  beforeAll(async () => {
    const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent' });
    // GraphiQL opens with user 701's token in its Headers tab, as `npm start` does for user 1.
    app = createApp(config, { logger: createLogger('silent'), graphiqlHeaders: { Authorization: `Bearer ${await userToken('701')}` } });
    graphqlUrl = (await app.start()).url;
    wsUrl = graphqlUrl.replace(/^http/, 'ws');
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
    return page;
  }

  const viewerIds = (page: Page) => page.locator('#viewers li').evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset['id']));

  /** Publishes a notification the way the README's first minute does: with curl. */
  const curlNotification = (userId: string, title: string) =>
    promisify(execFile)('curl', [
      '-sf',
      graphqlUrl,
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
