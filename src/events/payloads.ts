/**
 * The events that travel on the bus, exactly as subscribers receive them. They are plain JSON
 * values (dates as ISO-8601 strings) so that every bus can carry them unchanged.
 */

export type Visibility = 'PUBLIC' | 'MEMBERS' | 'STAFF';

export type ForumActivityKind = 'THREAD_CREATED' | 'THREAD_UPDATED' | 'POST_CREATED' | 'POST_UPDATED' | 'POST_DELETED' | 'REACTION_ADDED';

export interface NotificationEvent {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly title: string;
  readonly body: string | null;
  readonly url: string | null;
  readonly data: unknown;
  readonly createdAt: string;
}

export interface ForumActivityEvent {
  readonly id: string;
  readonly kind: ForumActivityKind;
  readonly forumId: string;
  readonly threadId: string | null;
  readonly postId: string | null;
  readonly actorId: string | null;
  readonly title: string | null;
  readonly excerpt: string | null;
  readonly url: string | null;
  readonly visibility: Visibility;
  /** The Laravel channel it was broadcast on or published for (`private-forum.12`), absent or null when none was named (and from older processes). */
  readonly channel?: string | null;
  readonly data: unknown;
  readonly occurredAt: string;
}

/** When an event was accepted, for the publish-to-delivery latency. */
export function publishedAtMs(event: NotificationEvent | ForumActivityEvent): number {
  return Date.parse('createdAt' in event ? event.createdAt : event.occurredAt);
}
