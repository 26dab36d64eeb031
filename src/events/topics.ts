import type { ForumActivityEvent, NotificationEvent, Visibility } from './payloads';
import type { EventStreamMessage, EventStreamReply } from './event-stream-relay';
import type { PresenceChangedEvent, TypingEvent } from './thread-payloads';

/**
 * A bus channel together with the type of what travels on it. Topics are made only here, so
 * no channel name is ever spelled out elsewhere.
 *
 * Each channel carries a Redis Cluster hash tag (the part in braces): the user for
 * notifications, the thread for typing and presence. On a cluster the channel then lives in
 * the slot of the keys stored with it (`userStreamKey`, the thread's presence), so one script
 * can retain and publish in one atomic step, and a sharded publish travels only to that slot's
 * shard. Outside a cluster the braces are just characters.
 */
export interface Topic<Payload> {
  readonly channel: string;
  /**
   * The key subscribers of this topic may be indexed by (see `openEventStream`'s `routeKey`),
   * so that an event reaches only the subscribers it can match.
   */
  readonly routeKey?: (payload: Payload) => string;
  /** Never set: it only carries the payload type. */
  readonly payloadType?: Payload;
}

/** One channel per user, so a process receives only the notifications its own subscribers want. */
export function notificationTopic(userId: string): Topic<NotificationEvent> {
  return { channel: `notification:{${userId}}` };
}

/** One channel per visibility class, so who may see an event is decided by the channel itself. */
export function forumActivityTopic(visibility: Visibility): Topic<ForumActivityEvent> {
  return { channel: `forum-activity:{${visibility}}`, routeKey: forumIdOf };
}

function forumIdOf(event: ForumActivityEvent): string {
  return event.forumId;
}

/** One channel per thread for typing, so only processes with readers of that thread get it. */
export function typingTopic(threadId: string): Topic<TypingEvent> {
  return { channel: `typing:{${threadId}}` };
}

/** One channel per thread that says "presence changed, read it again" (presence lives in the store). */
export function presenceChangedTopic(threadId: string): Topic<PresenceChangedEvent> {
  return { channel: `thread-presence:{${threadId}}` };
}

/** One channel per single-connection SSE stream (by reservation id): requests for it, wherever they arrive. */
export function eventStreamTopic(reservationId: string): Topic<EventStreamMessage> {
  return { channel: `event-stream:${reservationId}` };
}

/** One channel per process, for the answers to the stream requests it handed on. */
export function eventStreamRepliesTopic(processId: string): Topic<EventStreamReply> {
  return { channel: `event-stream-replies:${processId}` };
}
