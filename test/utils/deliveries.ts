import pino from 'pino';
import { createDelivery } from '../../src/history/create-delivery';
import type { NotificationDraft, RetentionLimits } from '../../src/history/notification-history';
import { sharedRedis } from './redis';
import { useRedisCluster } from './redis-cluster';

export const silentLogger = pino({ level: 'silent' });
const LIMITS: RetentionLimits = { maxPerUser: 100, maxAgeSeconds: 3600 };

/** Bus and history in memory and on Redis: the contract suites loop over both. */
export const DELIVERIES = [
  { name: 'memory', make: (limits = LIMITS) => createDelivery({ kind: 'memory' }, limits, silentLogger) },
  { name: 'redis', make: (limits = LIMITS) => createDelivery(sharedRedis(), limits, silentLogger) },
];

/** A notification for `userId` titled `title`, created now. */
export const draftFor = (userId: string, title: string, data: NotificationDraft['data'] = null): NotificationDraft => ({
  userId,
  type: 't',
  title,
  body: null,
  url: null,
  data,
  createdAt: new Date().toISOString(),
});

/** DELIVERIES and, on a Redis Cluster started for the calling test file, the cluster's (sharded pub/sub). */
export function deliveriesWithCluster() {
  const { topology } = useRedisCluster();
  return [...DELIVERIES, { name: 'cluster', make: (limits = LIMITS) => createDelivery(sharedRedis({ topology: topology() }), limits, silentLogger) }];
}
