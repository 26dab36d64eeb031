import type { Caller, UserIdentity } from '../events/caller';
import type { Audience } from '../events/visibility';
import { graphQLError } from './errors';

/** Only the publisher may publish; anyone else is told so and nothing is published. */
export function assertPublisher(caller: Caller): void {
  if (caller.kind === 'invalid') throw graphQLError('UNAUTHENTICATED', 'The token is not valid.');
  if (caller.kind !== 'publisher') throw graphQLError('FORBIDDEN', 'Only the publisher may publish events.');
}

/** A user's notifications are theirs alone. */
export function assertIsUser(caller: Caller, userId: string): UserIdentity {
  if (caller.kind === 'anonymous' || caller.kind === 'invalid') {
    throw graphQLError('UNAUTHENTICATED', 'Sign in to receive notifications.');
  }
  if (caller.kind !== 'user' || caller.user.id !== userId) {
    throw graphQLError('FORBIDDEN', 'Only the user themselves may receive their notifications.');
  }
  return caller.user;
}

export function audienceOf(caller: Caller): Audience {
  return caller.kind === 'user' ? { signedIn: true, roles: caller.user.roles } : { signedIn: false, roles: [] };
}
