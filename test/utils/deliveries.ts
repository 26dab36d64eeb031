import pino from 'pino';
import { createDelivery } from '../../src/history/create-delivery';
import type { NotificationDraft, RetentionLimits } from '../../src/history/notification-history';
import { sharedRedis } from './redis';

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
