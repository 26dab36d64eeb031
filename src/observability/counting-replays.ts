import type { NotificationHistory } from '../history/notification-history';

/**
 * The history, counting what it serves to resuming subscribers: every `readAfter` is one
 * subscription that asked for `after` (whichever transport or fan-out path asked).
 */
export function countingReplays(history: NotificationHistory, replayServed: (count: number) => void): NotificationHistory {
  return {
    publish: (draft) => history.publish(draft),
    publishMany: (drafts) => history.publishMany(drafts),
    async readAfter(userId, after) {
      const events = await history.readAfter(userId, after);
      replayServed(events.length);
      return events;
    },
  };
}
