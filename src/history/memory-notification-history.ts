import type { NotificationEvent } from '../events/payloads';
import { notificationTopic } from '../events/topics';
import type { EventBus } from '../pubsub/event-bus';
import type { NotificationDraft, NotificationHistory, RetentionLimits } from './notification-history';
import { compareStreamPositions } from './stream-position';

/** Positions for the process: milliseconds, then a sequence within the same millisecond. */
export function createPositionGenerator(now: () => number = Date.now): () => string {
  let lastMs = 0;
  let sequence = 0;
  return () => {
    const ms = Math.max(now(), lastMs);
    sequence = ms === lastMs ? sequence + 1 : 0;
    lastMs = ms;
    return `${ms}-${sequence}`;
  };
}

/** A bounded ring per user in this process, beside the in-memory bus. */
export function createMemoryNotificationHistory(bus: EventBus, limits: RetentionLimits, now: () => number = Date.now): NotificationHistory {
  const retainedByUser = new Map<string, NotificationEvent[]>();
  const nextPosition = createPositionGenerator(now);

  const retained = (userId: string): NotificationEvent[] => {
    const events = retainedByUser.get(userId) ?? [];
    const oldestKept = now() - limits.maxAgeSeconds * 1000;
    const firstYoungEnough = events.findIndex((event) => Date.parse(event.createdAt) >= oldestKept);
    const kept = firstYoungEnough < 0 ? [] : events.slice(Math.max(firstYoungEnough, events.length - limits.maxPerUser));
    if (kept.length === 0) retainedByUser.delete(userId);
    else retainedByUser.set(userId, kept);
    return kept;
  };

  const publish = async (draft: NotificationDraft): Promise<NotificationEvent> => {
    const event: NotificationEvent = { id: nextPosition(), ...draft };
    retainedByUser.set(draft.userId, [...retained(draft.userId), event].slice(-limits.maxPerUser));
    await bus.publish(notificationTopic(draft.userId), event);
    return event;
  };

  return {
    publish,
    async publishMany(drafts: readonly NotificationDraft[]): Promise<NotificationEvent[]> {
      const events: NotificationEvent[] = [];
      for (const draft of drafts) events.push(await publish(draft));
      return events;
    },
    async readAfter(userId: string, after: string): Promise<NotificationEvent[]> {
      return retained(userId).filter((event) => compareStreamPositions(event.id, after) > 0);
    },
  };
}
