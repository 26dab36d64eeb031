import { freePort } from '../utils/free-port';
import { errorCodes, postGraphQL } from '../utils/http';
import { NOTIFICATION_SUBSCRIPTION, PUBLISH_NOTIFICATION } from '../utils/operations';
import { isolatedPrefix, REDIS_URL } from '../utils/redis';
import { PUBLISHER_TOKEN, startTestApp } from '../utils/test-app';
import { userToken } from '../utils/tokens';
import { connectClient } from '../utils/ws-client';

describe('operations endpoints', () => {
  it('answers /healthz and /readyz with 200 while the bus is connected', async () => {
    const server = await startTestApp({ REDIS_URL, REDIS_KEY_PREFIX: isolatedPrefix() });
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(200);
  });

  it('answers /readyz with 503 and publishes with UNAVAILABLE while Redis is unreachable, and stays alive', async () => {
    const server = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}` }, 200);
    expect((await fetch(`${server.origin}/healthz`)).status).toBe(200);
    expect((await fetch(`${server.origin}/readyz`)).status).toBe(503);
    const input = { userId: '1', type: 't', title: 'lost?' };
    const response = await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input }, PUBLISHER_TOKEN);
    expect(errorCodes(response)).toEqual(['UNAVAILABLE']);
    expect(response.data).toBeNull();
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(1)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '1' });
    expect(await subscription.failure()).toMatchObject([{ extensions: { code: 'UNAVAILABLE' } }]);
  });

  it('exposes connections, live subscriptions, published and delivered events and latency at /metrics', async () => {
    const server = await startTestApp();
    const live = server.expectSubscriptions('notification');
    const subscription = connectClient(server.wsUrl, `Bearer ${await userToken(11)}`).subscribe(NOTIFICATION_SUBSCRIPTION, { userId: '11' });
    await live();
    await postGraphQL(server.url, PUBLISH_NOTIFICATION, { input: { userId: '11', type: 't', title: 'measured' } }, PUBLISHER_TOKEN);
    await subscription.next();
    const response = await fetch(`${server.origin}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toMatch(/^realtime_websocket_connections 1$/m);
    expect(text).toMatch(/^realtime_active_subscriptions\{field="notification"\} 1$/m);
    expect(text).toMatch(/^realtime_events_published_total\{kind="notification"\} 1$/m);
    expect(text).toMatch(/^realtime_events_delivered_total\{field="notification"\} 1$/m);
    expect(text).toMatch(/^realtime_delivery_latency_seconds_count\{field="notification"\} 1$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^process_open_fds \d+/m);
    // Listing every handle per scrape stalls a process with thousands of sockets.
    expect(text).not.toMatch(/^nodejs_active_(handles|requests|resources)/m);
  });
});
