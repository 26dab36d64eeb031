import { randomUUID } from 'node:crypto';
import type { Caller } from '../../auth/caller';
import { openPresenceStream } from '../../presence/presence-stream';
import type { PresenceSnapshot } from '../../presence/presence-store';
import { assertPublisher } from '../authorize';
import { unlessBusUnavailable } from '../bus-unavailable';
import type { Resolvers, ThreadViewers } from '../generated/resolvers-types';
import { assertMaySeeThread } from '../thread-access';
import type { SubscriptionSharing } from '../subscriptions/subscription-sharing';
import type { ResolverDependencies } from './resolver-dependencies';

/** Everyone sees how many are reading; only signed-in users (and the publisher) see who. */
function viewOf(threadId: string, snapshot: PresenceSnapshot, caller: Caller): ThreadViewers {
  const mayKnowWho = caller.kind === 'user' || caller.kind === 'publisher';
  return { threadId, count: snapshot.count, viewers: mayKnowWho ? snapshot.userIds.map((id) => ({ id })) : [] };
}

/** Each subscriber is present in the thread for as long as it subscribes: nothing is shared. */
export const threadViewersSharing: SubscriptionSharing = { kind: 'none' };

export function createPresenceResolvers({ bus, metrics, presence, visibilities }: ResolverDependencies): Resolvers {
  return {
    Query: {
      async threadViewers(_parent, { threadId }, { caller }) {
        await assertMaySeeThread(caller, visibilities, threadId);
        return viewOf(threadId, await unlessBusUnavailable(() => presence.snapshot(threadId)), caller);
      },
    },
    Mutation: {
      async setThreadVisibility(_parent, { threadId, visibility }, { caller }) {
        assertPublisher(caller);
        await unlessBusUnavailable(() => visibilities.set(threadId, visibility));
        return true;
      },
    },
    Subscription: {
      threadViewers: {
        async subscribe(_parent, { threadId }, { caller }) {
          await assertMaySeeThread(caller, visibilities, threadId);
          const stream = await unlessBusUnavailable(() =>
            openPresenceStream({
              bus,
              store: presence,
              threadId,
              session: { sessionId: randomUUID(), userId: caller.kind === 'user' ? caller.user.id : null },
              project: (snapshot) => viewOf(threadId, snapshot, caller),
              onEnd: () => metrics.subscriptionEnded('threadViewers'),
            }),
          );
          metrics.subscriptionStarted('threadViewers');
          return stream;
        },
        resolve: (view: ThreadViewers) => view,
      },
    },
  };
}
