import type { Caller } from '../events/caller';
import { isStreamPosition } from '../history/stream-position';
import { assertIsUser } from './authorize';
import { graphQLError } from './errors';

export interface NotificationSubscriptionArgs {
  readonly userId: string;
  readonly after?: string | null;
}

/**
 * Who may subscribe to `notification(userId, after)` and with what: the user themselves, with
 * an `after` that is a notification id. The resolver and the subscription pipeline both
 * decide with this one function, so they cannot disagree.
 */
export function checkNotificationSubscription(caller: Caller, { userId, after }: NotificationSubscriptionArgs): { userId: string; after: string | null } {
  assertIsUser(caller, userId);
  if (after != null && !isStreamPosition(after)) {
    throw graphQLError('BAD_USER_INPUT', 'The argument "after" must be the id of a notification.');
  }
  return { userId, after: after ?? null };
}
