import { createPublisherTokenMatcher } from '../auth/publisher-token';
import type { Config } from '../config/config';
import type { SharedState } from '../redis/shared-state';
import { notificationDraft } from '../events/drafts';
import type { NotificationHistory } from '../history/notification-history';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { createMemoryProcessDirectory, createRedisProcessDirectory } from './process-directory';
import { startProcessHeartbeat } from './process-heartbeat';
import { useAdminView } from './use-admin-view';

/** How often each process announces itself: the charts' resolution. */
export const ADMIN_HEARTBEAT_MS = 1000;

export interface AdminViewDependencies {
  readonly history: NotificationHistory;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

/**
 * The admin view of this process (ADMIN=on): its page and API, and its heartbeat into the
 * directory where every process finds the others (Redis, with the bus's key prefix; in memory
 * without Redis). With Redis it has a connection of its own, closed by `stop`.
 */
export function createAdminView(admin: NonNullable<Config['admin']>, shared: SharedState, { history, metrics, logger }: AdminViewDependencies) {
  const redis = shared.kind === 'redis' ? shared.redis.forCommands('admin') : null;
  const directory = redis && shared.kind === 'redis' ? createRedisProcessDirectory(redis, shared.keyPrefix) : createMemoryProcessDirectory();
  let heartbeat: ReturnType<typeof startProcessHeartbeat> | null = null;

  const plugin = useAdminView({
    isAdminToken: createPublisherTokenMatcher(admin.tokens),
    directory,
    async publishTestNotification({ userId, title, body }) {
      const event = await history.publish(notificationDraft({ userId, type: 'admin.test', title, body }, new Date().toISOString()));
      metrics.eventPublished('notification');
      return event;
    },
  });

  return {
    plugin,
    start() {
      heartbeat = startProcessHeartbeat({ directory, snapshot: metrics.snapshot, intervalMs: ADMIN_HEARTBEAT_MS, logger });
    },
    async stop() {
      await heartbeat?.stop();
      redis?.disconnect();
    },
  };
}
