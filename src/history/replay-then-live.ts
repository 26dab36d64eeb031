import type { NotificationEvent } from '../events/payloads';
import { notificationTopic } from '../events/topics';
import type { EventBus } from '../pubsub/event-bus';
import { openEventStream } from '../pubsub/event-stream';
import type { NotificationHistory } from './notification-history';
import { compareStreamPositions } from './stream-position';

/**
 * The handover from replay to live, for a reader that subscribed live before it read the
 * history after `after`: the position it has replayed up to (the last event replayed, or
 * `after` itself when there was none)…
 */
export function handoverPosition(replayed: readonly NotificationEvent[], after: string): string {
  return replayed.at(-1)?.id ?? after;
}

/** …after which a live event is new; one at or before it was in the history read, and is skipped. */
export function isLiveAfter(event: NotificationEvent, position: string): boolean {
  return compareStreamPositions(event.id, position) > 0;
}

/**
 * A user's notifications after `after` (when given), then live ones, with no gap and no
 * duplicate. The handover: subscribe live first (so nothing published from now on is missed),
 * then read the history after `after`; anything live at or before the last position already
 * replayed was in that history too and is skipped.
 */
export async function openNotificationStream(
  bus: EventBus,
  history: NotificationHistory,
  userId: string,
  after: string | null,
  onEnd: () => void,
): Promise<AsyncIterableIterator<NotificationEvent>> {
  const live = await openEventStream(bus, [notificationTopic(userId)], { onEnd });
  if (after === null) return live;

  let replay: NotificationEvent[];
  try {
    replay = await history.readAfter(userId, after);
  } catch (error) {
    await live.return?.();
    throw error;
  }
  const lastReplayed = handoverPosition(replay, after);

  async function nextLive(): Promise<IteratorResult<NotificationEvent>> {
    for (;;) {
      const result = await live.next();
      if (result.done || isLiveAfter(result.value, lastReplayed)) return result;
    }
  }

  const stream: AsyncIterableIterator<NotificationEvent> = {
    next: () => {
      const replayed = replay.shift();
      return replayed ? Promise.resolve({ value: replayed, done: false }) : nextLive();
    },
    return: () => {
      replay = [];
      return live.return!();
    },
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}
