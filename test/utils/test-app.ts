import { createApp, type App, type AppOptions } from '../../src/app';
import { DEVELOPMENT_PUBLISHER_TOKEN } from '../../src/config/config';
import { loadConfig } from '../../src/config/load-config';
import { createLogger } from '../../src/observability/logger';
import type { SubscriptionField } from '../../src/observability/metrics';

export const PUBLISHER_TOKEN = DEVELOPMENT_PUBLISHER_TOKEN;

export interface TestApp {
  readonly app: App;
  readonly url: string;
  readonly wsUrl: string;
  readonly origin: string;
  /**
   * Call before subscribing; the returned function resolves once `count` more subscriptions
   * of `field` have become live (confirmed by the bus), so a publish after it is never missed.
   */
  expectSubscriptions(field: SubscriptionField, count?: number): () => Promise<void>;
  /** Resolves once `condition` holds, checked whenever a subscription becomes live or ends. */
  whenSubscriptions(condition: (metrics: App['metrics']) => boolean): Promise<void>;
  stop(): Promise<void>;
}

const running = new Set<TestApp>();
afterAll(async () => {
  await Promise.all([...running].map((testApp) => testApp.stop()));
});

/** Starts the service on a free loopback port; it is stopped after the test file at the latest. */
export async function startTestApp(
  env: Record<string, string> = {},
  busConnectTimeoutMs?: number,
  options: Pick<AppOptions, 'subscriptionHooks' | 'keepBearerTokens'> = {},
): Promise<TestApp> {
  const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'silent', ...env });
  const app = createApp(config, { logger: createLogger(config.logLevel), busConnectTimeoutMs, ...options });
  const { url } = await app.start();
  let stopped: Promise<void> | undefined;
  const testApp: TestApp = {
    app,
    url,
    wsUrl: url.replace(/^http/, 'ws'),
    origin: new URL(url).origin,
    expectSubscriptions(field, count = 1) {
      const target = app.metrics.startedSubscriptions(field) + count;
      return () => testApp.whenSubscriptions((metrics) => metrics.startedSubscriptions(field) >= target);
    },
    whenSubscriptions(condition) {
      return new Promise((resolve) => {
        const check = () => {
          if (!condition(app.metrics)) return;
          undo();
          resolve();
        };
        const undo = app.metrics.onSubscriptionsChanged(check);
        check();
      });
    },
    stop() {
      running.delete(testApp);
      stopped ??= app.stop();
      return stopped;
    },
  };
  running.add(testApp);
  return testApp;
}
