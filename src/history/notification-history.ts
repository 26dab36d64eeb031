import type { NotificationDraft } from '../events/drafts';
import type { NotificationEvent } from '../events/payloads';

export type { NotificationDraft };

export interface RetentionLimits {
  /** Notifications kept per user; older ones are dropped first. */
  readonly maxPerUser: number;
  /** How long a notification is kept. */
  readonly maxAgeSeconds: number;
}

/**
 * Retains every accepted notification per user and publishes it live.
 *
 * Guarantees, for every implementation:
 * - `publish` retains and publishes as one step: it resolves with the event (its `id` being
 *   its stream position) only once the event is retained, and rejects with
 *   `BusUnavailableError` when it cannot retain it, in which case nothing is published.
 * - Positions increase for each user in publish order.
 * - `readAfter` returns the user's retained notifications strictly after `after`, oldest
 *   first; an `after` older than everything retained returns all that is retained.
 */
export interface NotificationHistory {
  publish(draft: NotificationDraft): Promise<NotificationEvent>;
  /**
   * Publishes several at once, in order, each as `publish` would; all of them or none (a
   * rejection means none was retained or published). Resolves with the events in order.
   */
  publishMany(drafts: readonly NotificationDraft[]): Promise<NotificationEvent[]>;
  readAfter(userId: string, after: string): Promise<NotificationEvent[]>;
}
