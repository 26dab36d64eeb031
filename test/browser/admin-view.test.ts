import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../utils/chromium';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { postGraphQL } from '../utils/http';
import { startServicePair, type ServiceProcess } from '../utils/service-process';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

/** Set to a folder to (re)take the README's screenshot (docs/screenshots). */
const SCREENSHOTS = process.env['SCREENSHOT_DIR'];
const ADMIN_TOKEN = 'admin-token-for-the-admin-view-test';

jest.setTimeout(60_000);

describe('the admin view is off by default', () => {
  it('serves nothing at /admin without ADMIN=on', async () => {
    const server = await startTestApp();
    for (const path of ['/admin', '/admin/api/processes', '/admin/assets/uPlot.iife.min.js']) {
      const response = await fetch(`${server.origin}${path}`, { headers: { authorization: `Bearer ${PUBLISHER_TOKEN}` } });
      expect([path, response.status]).toEqual([path, 404]);
    }
  });
});

describe('the admin view of two processes, in a real browser', () => {
  let processes: [ServiceProcess, ServiceProcess];
  let browser: Browser;

  beforeAll(async () => {
    processes = await startServicePair({ ADMIN: 'on', ADMIN_TOKENS: ADMIN_TOKEN, LOG_LEVEL: 'info' });
    browser = await launchChromium();
    if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('wants an admin token for its data, and only ADMIN_TOKENS once they are set', async () => {
    const [first] = processes;
    const ask = (token?: string) => fetch(`${first.origin}/admin/api/processes`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    expect((await ask()).status).toBe(401);
    expect((await ask(PUBLISHER_TOKEN)).status).toBe(401);
    expect((await ask(ADMIN_TOKEN)).status).toBe(200);
    const refused = await fetch(`${first.origin}/admin/api/notify`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ userId: '../../etc', title: 'x' }),
    });
    expect([refused.status, ((await refused.json()) as { error: string }).error]).toEqual([400, expect.stringContaining('userId')]);
  });

  it('shows both processes with live charts and publishes a test notification that a subscriber receives', async () => {
    const [first, second] = processes;
    // Traffic: a subscriber on each process, and deliveries to them.
    const alice = connectClient(first.wsUrl, `Bearer ${await userToken(501)}`).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, {
      userId: '501',
    });
    const bob = connectClient(second.wsUrl, `Bearer ${await userToken(502)}`).subscribe<{ notification: { title: string } }>(NOTIFICATION_SUBSCRIPTION, {
      userId: '502',
    });
    const page: Page = await (await browser.newContext({ viewport: { width: 1120, height: 760 } })).newPage();
    await page.goto(`${first.origin}/admin`);
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#sign-in button');
    await page.locator('body[data-processes="2"]').waitFor();
    // Each process shows itself with its one connection, from its own heartbeat.
    await page.locator('.process .figures', { hasText: '1 connections · 1 subscriptions' }).nth(1).waitFor();
    expect(await page.locator('.process .uplot').count()).toBe(8);

    // Deliveries until both processes' cards show them (deliveries/s above 0 and a p99): a card
    // shows the rate of its last heartbeat window, so traffic goes on until one has seen it.
    const cardsWithDeliveries = page.locator('.process .figures', { hasText: /[1-9][\d.]* deliveries\/s · p99 [\d.]+ ms/ });
    for (let round = 0; (await cardsWithDeliveries.count()) < 2; round += 1) {
      for (const userId of ['501', '502']) {
        await postGraphQL(first.url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title: `round ${round}` } }, PUBLISHER_TOKEN);
      }
      expect((await alice.next()).data!.notification.title).toBe(`round ${round}`);
      expect((await bob.next()).data!.notification.title).toBe(`round ${round}`);
    }

    await page.fill('#notify-user', '502');
    await page.fill('#notify-title', 'Hello from the admin view');
    await page.click('#notify button');
    await page.locator('#published', { hasText: 'to user 502' }).waitFor();
    expect((await bob.next()).data!.notification.title).toBe('Hello from the admin view');

    if (SCREENSHOTS) {
      // A quarter of a minute of steady traffic, so that the charts have a history to show.
      for (let tick = 0; tick < 60; tick += 1) {
        const userId = tick % 3 === 0 ? '502' : '501';
        await postGraphQL(processes[tick % 2]!.url, PUBLISH_NOTIFICATION, { input: { userId, type: 't', title: `tick ${tick}` } }, PUBLISHER_TOKEN);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      await page.screenshot({ path: join(SCREENSHOTS, 'admin-view.png'), fullPage: true });
    }
  });
});
