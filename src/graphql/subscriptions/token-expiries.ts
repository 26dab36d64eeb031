import type { Caller } from '../../events/caller';
import { createDeadlines } from '../../lib/deadlines';

/**
 * No subscription outlives its user's token: every transport registers what a user's token
 * holds open (a WebSocket, an SSE stream) here, and `onExpired` ends it when the token expires
 * — the WebSocket adapter closes the socket with 4403, the SSE writer ends the stream. One
 * timer for all of them (see `createDeadlines`). Callers that are not users never expire.
 */
export function createTokenExpiries<Item>(onExpired: (item: Item) => void) {
  const deadlines = createDeadlines<Item>(onExpired);
  return {
    watch(item: Item, caller: Caller): void {
      if (caller.kind === 'user') deadlines.add(item, caller.user.expiresAtMs);
    },
    forget(item: Item, caller: Caller): void {
      if (caller.kind === 'user') deadlines.delete(item, caller.user.expiresAtMs);
    },
    clear: () => deadlines.clear(),
  };
}
