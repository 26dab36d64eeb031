import type { ForumActivityEvent, ForumActivityKind, NotificationEvent, Visibility } from './payloads';

/** A notification before retention gives it its id (its stream position). */
export type NotificationDraft = Omit<NotificationEvent, 'id'>;

/** What a publisher says about a notification: `publishNotification`'s input, or a Laravel broadcast. */
export interface NotificationInput {
  readonly userId: string;
  readonly type: string;
  readonly title: string;
  readonly body?: string | null;
  readonly url?: string | null;
  readonly data?: unknown;
}

/** What a publisher says about forum activity: `publishForumActivity`'s input, or a Laravel broadcast. */
export interface ForumActivityInput {
  readonly kind: ForumActivityKind;
  readonly forumId: string;
  readonly threadId?: string | null;
  readonly postId?: string | null;
  readonly actorId?: string | null;
  readonly title?: string | null;
  readonly excerpt?: string | null;
  readonly url?: string | null;
  readonly visibility?: Visibility | null;
  /** The Laravel channel that guards it (`private-forum.12`); see src/laravel/channel-guard.ts. */
  readonly channel?: string | null;
  readonly data?: unknown;
}

/** The one way a notification input becomes a draft, whichever way it arrived. */
export function notificationDraft(input: NotificationInput, createdAt: string): NotificationDraft {
  return {
    userId: input.userId,
    type: input.type,
    title: input.title,
    body: input.body ?? null,
    url: input.url ?? null,
    data: input.data ?? null,
    createdAt,
  };
}

/** The one way a forum activity input becomes an event, whichever way it arrived. */
export function forumActivityEvent(input: ForumActivityInput, id: string, occurredAt: string): ForumActivityEvent {
  return {
    id,
    kind: input.kind,
    forumId: input.forumId,
    threadId: input.threadId ?? null,
    postId: input.postId ?? null,
    actorId: input.actorId ?? null,
    title: input.title ?? null,
    excerpt: input.excerpt ?? null,
    url: input.url ?? null,
    visibility: input.visibility ?? 'PUBLIC',
    channel: input.channel ?? null,
    data: input.data ?? null,
    occurredAt,
  };
}
