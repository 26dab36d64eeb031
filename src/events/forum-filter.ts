import type { ForumActivityEvent, ForumActivityKind } from './payloads';

/** The narrowing a `forumActivity` subscriber asked for; every given part must match. */
export interface ForumActivityFilter {
  readonly forumId?: string | null;
  readonly threadId?: string | null;
  readonly kinds?: readonly ForumActivityKind[] | null;
}

export function matchesForumFilter(event: ForumActivityEvent, filter: ForumActivityFilter): boolean {
  if (filter.forumId != null && event.forumId !== filter.forumId) return false;
  if (filter.threadId != null && event.threadId !== filter.threadId) return false;
  if (filter.kinds != null && !filter.kinds.includes(event.kind)) return false;
  return true;
}
