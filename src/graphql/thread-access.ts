import type { Caller, UserIdentity } from '../events/caller';
import { visibleClasses } from '../events/visibility';
import type { ThreadVisibilities } from '../threads/thread-visibilities';
import { audienceOf } from './authorize';
import { unlessBusUnavailable } from './bus-unavailable';
import { graphQLError } from './errors';

/**
 * Presence and typing of a thread are shown only to those its visibility allows. The service
 * learns a thread's visibility from the publisher (`setThreadVisibility`); one it was never told
 * about is public. The client never chooses it.
 */
export async function assertMaySeeThread(caller: Caller, visibilities: ThreadVisibilities, threadId: string): Promise<void> {
  if (caller.kind === 'invalid') throw graphQLError('UNAUTHENTICATED', 'The token is not valid.');
  if (caller.kind === 'publisher') return;
  const visibility = (await unlessBusUnavailable(() => visibilities.get(threadId))) ?? 'PUBLIC';
  if (visibleClasses(audienceOf(caller)).includes(visibility)) return;
  if (caller.kind === 'anonymous') throw graphQLError('UNAUTHENTICATED', 'Sign in to see who is in this thread.');
  throw graphQLError('FORBIDDEN', 'This thread is not visible to you.');
}

/** Typing is for signed-in users only, in both directions. */
export function assertSignedIn(caller: Caller, action: string): UserIdentity {
  if (caller.kind !== 'user') throw graphQLError('UNAUTHENTICATED', `Sign in to ${action}.`);
  return caller.user;
}
