import { randomUUID } from 'node:crypto';
import type { Caller } from '../../events/caller';
import { openPresenceStream } from '../../presence/presence-stream';
import type { PresenceSnapshot } from '../../presence/presence-store';
import { guardIterator } from '../../lib/guarded-iterator';
import { assertPublisher } from '../authorize';
import { graphQLError } from '../errors';
import { unlessBusUnavailable } from '../bus-unavailable';
import type { Resolvers, ThreadViewers } from '../generated/resolvers-types';
import { assertMaySeeThread } from '../thread-access';
import type { SubscriptionSharing } from '../subscriptions/subscription-sharing';
import type { ResolverDependencies } from './resolver-dependencies';

/** Everyone sees how many are reading; only signed-in users (and the publisher) see who. */
function viewOf(threadId: string, snapshot: PresenceSnapshot, caller: Caller): ThreadViewers {
  const mayKnowWho = caller.kind === 'user' || caller.kind === 'publisher';
  return { threadId, count: snapshot.count, viewers: mayKnowWho ? snapshot.userIds.map((id) => ({ id, info: snapshot.infos[id] ?? null })) : [] };
}

/** Each subscriber is present in the thread for as long as it subscribes: nothing is shared. */
export const threadViewersSharing: SubscriptionSharing = { kind: 'none' };

export function createPresenceResolvers({ bus, metrics, presence, visibilities, laravelAccess }: ResolverDependencies): Resolvers {
  return {
    Query: {
      async threadViewers(_parent, { threadId }, { caller }) {
        await assertMaySeeThread(caller, visibilities, threadId);
        await laravelAccess?.assertInThread(caller, threadId);
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
          // With LARAVEL_AUTH_URL the pipeline's hook has asked Laravel already: this reads its decision.
          const decision = await laravelAccess?.assertInThread(caller, threadId);
          const stream = await unlessBusUnavailable(() =>
            openPresenceStream({
              bus,
              store: presence,
              threadId,
              session: { sessionId: randomUUID(), userId: caller.kind === 'user' ? caller.user.id : null, info: decision?.userInfo ?? null },
              project: (snapshot) => viewOf(threadId, snapshot, caller),
              onEnd: () => metrics.subscriptionEnded('threadViewers'),
            }),
          );
          metrics.subscriptionStarted('threadViewers');
          if (!laravelAccess) return stream;
          // Decisions expire: while none is fresh the viewer is shown nothing; once Laravel refuses, it leaves.
          return guardIterator(stream, {
            check: () => laravelAccess.presenceVerdict(caller, threadId),
            everyMs: laravelAccess.recheckEveryMs,
            refusal: () => graphQLError('FORBIDDEN', 'Laravel no longer allows you in this thread.'),
          });
        },
        resolve: (view: ThreadViewers) => view,
      },
    },
  };
}
