import { randomUUID } from 'node:crypto';
import type { Caller } from '../../events/caller';
import { visibleClasses } from '../../events/visibility';
import { enterThread, watchPresence } from '../../presence/presence-stream';
import type { PresenceSnapshot } from '../../presence/presence-store';
import { guardIterator } from '../../lib/guarded-iterator';
import { assertPublisher, audienceOf } from '../authorize';
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

/**
 * Viewers of one thread who may see the same (the thread's visibility by their classes, the
 * names once signed in) share one watch of it and one execution per change. Each is present in
 * the thread for as long as it subscribes, checked and entered on its own (its membership), and
 * is sent the thread's view once it is in it.
 */
export function createThreadViewersSharing({ bus, presence, visibilities, laravelAccess }: ResolverDependencies): SubscriptionSharing {
  return {
    kind: 'group',
    groupOf: (caller) => (caller.kind === 'user' ? `user\u0000${visibleClasses(audienceOf(caller)).join(',')}` : caller.kind),
    states: true,
    membership: {
      async enter({ caller, args }) {
        const threadId = String(args['threadId']);
        await assertMaySeeThread(caller, visibilities, threadId);
        // With LARAVEL_AUTH_URL the pipeline's hook has asked Laravel already: this reads its decision.
        const decision = await laravelAccess?.assertInThread(caller, threadId);
        const session = { sessionId: randomUUID(), userId: caller.kind === 'user' ? caller.user.id : null, info: decision?.userInfo ?? null };
        const present = await unlessBusUnavailable(() => enterThread(bus, presence, threadId, session));
        return { joined: present.announce, leave: present.leave };
      },
    },
  };
}

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
          // Run once per group of viewers (see `createThreadViewersSharing`), whose members are present on their own.
          await assertMaySeeThread(caller, visibilities, threadId);
          await laravelAccess?.assertInThread(caller, threadId);
          const stream = await unlessBusUnavailable(() =>
            watchPresence({
              bus,
              store: presence,
              threadId,
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
