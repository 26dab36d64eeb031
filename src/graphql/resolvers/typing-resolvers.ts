import type { TypingEvent } from '../../events/thread-payloads';
import { typingTopic } from '../../events/topics';
import { openEventStream } from '../../pubsub/event-stream';
import { unlessBusUnavailable } from '../bus-unavailable';
import type { Resolvers } from '../generated/resolvers-types';
import { assertMaySeeThread, assertSignedIn } from '../thread-access';
import { audienceOf } from '../authorize';
import { visibleClasses } from '../../events/visibility';
import type { SubscriptionSharing } from '../subscriptions/subscription-sharing';
import type { ResolverDependencies } from './resolver-dependencies';

/** At most one typing broadcast per user and thread in this window, across every process. */
export const TYPING_WINDOW_MS = 2_000;

/**
 * One user's subscriptions to a thread (their tabs) share: the resolver reads the user (their
 * own typing is never echoed) and what their roles may see.
 */
export const typingSharing: SubscriptionSharing = {
  kind: 'group',
  groupOf: (caller) => (caller.kind === 'user' ? `${caller.user.id}\u0000${visibleClasses(audienceOf(caller)).join(',')}` : caller.kind),
};

export function createTypingResolvers({ bus, metrics, typingSlots, visibilities, laravelAccess }: ResolverDependencies): Resolvers {
  return {
    Mutation: {
      async typing(_parent, { threadId }, { caller }) {
        const user = assertSignedIn(caller, 'say that you are typing');
        await assertMaySeeThread(caller, visibilities, threadId);
        await laravelAccess?.assertInThread(caller, threadId);
        const claimed = await unlessBusUnavailable(() => typingSlots.claim(threadId, user.id, TYPING_WINDOW_MS));
        if (!claimed) return false;
        const event: TypingEvent = { threadId, userId: user.id, at: new Date().toISOString() };
        await unlessBusUnavailable(() => bus.publish(typingTopic(threadId), event));
        metrics.eventPublished('typing');
        return true;
      },
    },
    Subscription: {
      typing: {
        async subscribe(_parent, { threadId }, { caller }) {
          const user = assertSignedIn(caller, 'see who is typing');
          await assertMaySeeThread(caller, visibilities, threadId);
          const stream = await unlessBusUnavailable(() =>
            openEventStream(bus, [typingTopic(threadId)], {
              // Never echoed to the sender, in any of their tabs.
              accept: (event) => event.userId !== user.id,
              onEnd: () => metrics.subscriptionEnded('typing'),
            }),
          );
          metrics.subscriptionStarted('typing');
          // With LARAVEL_AUTH_URL, only while Laravel allows this caller on the thread's presence channel.
          return laravelAccess ? laravelAccess.filterEvents(caller, stream, laravelAccess.guardOfTyping) : stream;
        },
        resolve(event: TypingEvent) {
          metrics.eventDelivered('typing', Date.parse(event.at));
          return event;
        },
      },
    },
  };
}
